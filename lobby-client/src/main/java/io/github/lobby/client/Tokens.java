package io.github.lobby.client;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Duration;
import java.time.Instant;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledFuture;
import java.util.function.Predicate;
import java.util.function.Supplier;

/**
 * Where the client's tokens come from, and when the session is refreshed. A fixed token is sent
 * on every connect; a supplier is asked at every connect and reconnect and, when the token is a
 * JWT with an {@code exp} claim, again at three quarters of its remaining life, to extend the
 * session with a {@code refresh} frame (and then at three quarters of the life the server's
 * {@code refreshed} answer gives). A refresh that failed for now (the supplier failed, the server
 * was {@code unavailable}) is tried again at half the remaining life; a refused one is not: the
 * session ends at expiry (4001) and the reconnect asks the supplier. Owned by the client's serial
 * executor.
 */
final class Tokens {

  /** The error codes that answer a {@code refresh} frame. */
  private static final Set<String> REFRESH_ERRORS =
      Set.of("unauthorized", "forbidden", "unavailable", "bad_request");

  private final String fixedToken;
  private final Supplier<? extends CompletionStage<String>> supplier;
  private final Executor loop;
  /** Whether this connection is still the client's current one, and welcomed. */
  private final Predicate<Connection> open;

  private ScheduledFuture<?> refreshTimer;
  private boolean refreshing;
  private Instant expiresAt;

  Tokens(
      String fixedToken,
      Supplier<? extends CompletionStage<String>> supplier,
      Executor loop,
      Predicate<Connection> open) {
    this.fixedToken = fixedToken;
    this.supplier = supplier;
    this.loop = loop;
    this.open = open;
  }

  boolean hasSupplier() {
    return supplier != null;
  }

  /** The token for a connect: the supplier's (a supplier that throws gives a failed stage). */
  CompletionStage<String> next() {
    if (supplier == null) {
      return CompletableFuture.completedFuture(fixedToken);
    }
    try {
      return supplier.get();
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
  }

  /** A welcome on this connection: its token's expiry, and the refresh before it. */
  void welcomed(Connection connection) {
    expiresAt = connection.token == null ? null : Frames.jwtExpiry(connection.token);
    refreshIn(connection, 0.75);
  }

  /** The server's {@code refreshed} frame: the session's new expiry. */
  void refreshed(JsonNode frame, Connection connection) {
    refreshing = false;
    Instant previous = expiresAt;
    expiresAt = Frames.expiresAt(frame);
    // A refresh that did not move the expiry on (the supplier gave the same token) is not
    // repeated: the session ends at expiry and the reconnect asks the supplier again.
    if (expiresAt != null && previous != null && !expiresAt.isAfter(previous)) {
      return;
    }
    refreshIn(connection, 0.75);
  }

  /**
   * An error frame without a reference: when it answers a refresh, the session keeps its expiry.
   * A token refused stays refused; a server that could not check it now is asked again.
   */
  void error(String code, Connection connection) {
    if (refreshing && REFRESH_ERRORS.contains(code)) {
      refreshing = false;
      if (code.equals("unavailable")) {
        refreshIn(connection, 0.5);
      }
    }
  }

  /** No refresh until the next welcome: the connection was lost, or the client stopped. */
  void cancel() {
    refreshing = false;
    if (refreshTimer != null) {
      refreshTimer.cancel(false);
      refreshTimer = null;
    }
  }

  /** Asks for a new token after this share of the remaining life, when it can be refreshed. */
  private void refreshIn(Connection connection, double share) {
    cancel();
    if (supplier == null || expiresAt == null || connection == null) {
      return;
    }
    long remaining = Duration.between(Instant.now(), expiresAt).toMillis();
    refreshTimer =
        SharedThreads.schedule(
            loop, Math.max(0, (long) (remaining * share)), () -> refresh(connection));
  }

  private void refresh(Connection connection) {
    if (!open.test(connection) || refreshing) {
      return;
    }
    refreshing = true;
    next()
        .whenComplete(
            (value, error) ->
                loop.execute(
                    () -> {
                      if (!open.test(connection)) {
                        return;
                      }
                      if (error != null || value == null || value.isEmpty()) {
                        refreshing = false;
                        refreshIn(connection, 0.5);
                        return;
                      }
                      ObjectNode refresh = Frames.JSON.createObjectNode();
                      refresh.put("type", "refresh");
                      refresh.put("token", value);
                      connection.token = value;
                      connection.write(refresh.toString());
                    }));
  }
}
