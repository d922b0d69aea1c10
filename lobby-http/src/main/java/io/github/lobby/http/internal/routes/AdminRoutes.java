package io.github.lobby.http.internal.routes;

import io.github.lobby.core.Lobby;
import io.github.lobby.core.Payload;
import io.github.lobby.core.RoomId;
import io.github.lobby.core.SessionId;
import io.github.lobby.http.HttpSettings;
import io.github.lobby.http.auth.Authenticators;
import io.github.lobby.http.codec.AdminJson;
import io.github.lobby.http.codec.AdminJson.BadBody;
import io.github.lobby.http.codec.WireJson;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import java.util.function.BooleanSupplier;
import java.util.function.Function;
import java.util.function.Supplier;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.http.javadsl.model.ContentType;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpEntities;
import org.apache.pekko.http.javadsl.model.HttpEntity;
import org.apache.pekko.http.javadsl.model.HttpHeader;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.MediaTypes;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.model.headers.HttpChallenge;
import org.apache.pekko.http.javadsl.model.headers.WWWAuthenticate;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.PathMatchers;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.http.scaladsl.model.EntityStreamSizeException;

/**
 * The admin API and health check (PROTOCOL.md section 4). Stateless: every answer comes from an
 * ask to the {@link Lobby}; a Lobby that does not answer within {@code ask-timeout} gives 503.
 */
public final class AdminRoutes extends AllDirectives {

  private final ActorSystem<?> system;
  private final ActorRef<Lobby.AdminCommand> lobby;
  private final HttpSettings http;
  private final RoomId statisticsRoom;
  private final byte[] tokenDigest;
  /** The Prometheus text exposition format, version 0.0.4. */
  private static final ContentType PROMETHEUS_TEXT =
      ContentTypes.parse("text/plain; version=0.0.4; charset=utf-8");

  private final BooleanSupplier ready;
  /** Whether a bearer token is an admin JWT ({@code lobby.auth.admin-jwt}). */
  private final Function<String, CompletionStage<Boolean>> adminJwt;
  private final Supplier<String> metrics;

  /**
   * @param ready whether the server takes new connections (bound, not shutting down)
   * @param metrics renders the meters for {@code GET /metrics} (Prometheus text), or null for no
   *     such route
   */
  public AdminRoutes(
      ActorSystem<?> system,
      ActorRef<Lobby.AdminCommand> lobby,
      HttpSettings http,
      BooleanSupplier ready,
      Supplier<String> metrics,
      Function<String, CompletionStage<Boolean>> adminJwt) {
    this.system = system;
    this.adminJwt = adminJwt;
    this.lobby = lobby;
    this.http = http;
    this.ready = ready;
    this.metrics = metrics;
    this.statisticsRoom = new RoomId(http.statisticsRoom());
    this.tokenDigest = sha256(http.adminToken());
  }

  /** The admin and health routes. */
  public Route route() {
    return concat(
        path("health", () -> getOnly(this::health)),
        path(
            PathMatchers.segment("health").slash("live"),
            () -> getOnly(() -> ok(new AdminJson.Status("live")))),
        path(PathMatchers.segment("health").slash("ready"), () -> getOnly(this::readiness)),
        metrics == null
            ? reject()
            : path(
                "metrics",
                () -> getOnly(() -> http.metricsPublic() ? scrape() : admin(this::scrape))),
        path("dailyDashBoard", () -> publishing(AdminJson::statistics, statisticsRoom)),
        pathPrefix(
            "rooms",
            () ->
                concat(
                    pathEnd(() -> getOnly(() -> admin(this::listRooms))),
                    pathPrefix(
                        PathMatchers.segment(),
                        name ->
                            room(
                                name,
                                room ->
                                    concat(
                                        pathEnd(() -> getOnly(() -> admin(() -> getRoom(room)))),
                                        path(
                                            "messages",
                                            () -> publishing(AdminJson::anyValue, room)),
                                        path(
                                            "history",
                                            () -> getOnly(() -> admin(() -> history(room))))))))));
  }

  /** {@code GET} answered by {@code inner}; any other method 405. */
  private Route getOnly(Supplier<Route> inner) {
    return concat(get(inner), methodNotAllowed("GET"));
  }

  /**
   * An admin {@code POST} whose JSON body {@code parser} reads and publishes to {@code room}; any
   * other method 405.
   */
  private Route publishing(BodyParser parser, RoomId room) {
    return concat(
        post(() -> admin(() -> jsonBody(parser, p -> publish(room, p)))), methodNotAllowed("POST"));
  }

  /** 200 while the server takes connections; 503 from the start of its shutdown on. */
  private Route readiness() {
    if (ready.getAsBoolean()) {
      return ok(new AdminJson.Status("ready"));
    }
    return complete(
        StatusCodes.SERVICE_UNAVAILABLE, HttpErrors.json(new AdminJson.Status("shutting_down")));
  }

  private Route scrape() {
    return complete(
        HttpResponse.create()
            .withEntity(
                HttpEntities.create(
                    PROMETHEUS_TEXT, metrics.get().getBytes(StandardCharsets.UTF_8))));
  }

  private Route health() {
    return asked(
        ask(Lobby.GetStats::new),
        stats -> ok(new AdminJson.Health("ok", stats.sessions(), stats.rooms())));
  }

  private Route listRooms() {
    return asked(
        ask(Lobby.ListRooms::new),
        list ->
            ok(
                new AdminJson.Rooms(
                    list.rooms().stream()
                        .map(r -> new AdminJson.RoomCount(r.room().value(), r.members()))
                        .toList())));
  }

  private Route getRoom(RoomId room) {
    CompletionStage<Optional<Lobby.RoomView>> view =
        ask(replyTo -> new Lobby.GetRoom(room, replyTo));
    return asked(
        view,
        found ->
            found
                .map(
                    v ->
                        ok(
                            new AdminJson.RoomMembers(
                                room.value(),
                                v.members().stream().map(SessionId::toString).toList(),
                                WireJson.users(v.users()))))
                .orElseGet(
                    () ->
                        complete(
                            HttpErrors.error(StatusCodes.NOT_FOUND, "no room " + room.value()))));
  }

  /**
   * {@code GET /rooms/{room}/history?since=<offset>}: the broadcasts the room keeps after {@code
   * since} (0 when not given), or 404 when there is no such room or rooms keep no history.
   */
  private Route history(RoomId room) {
    return parameterOptional(
        "since",
        given -> {
          long since = given.map(RecoveryQuery::offset).orElse(0L);
          if (since < 0) {
            return complete(
                HttpErrors.error(
                    StatusCodes.BAD_REQUEST, "since must be an offset: a whole number, 0 or more"));
          }
          CompletionStage<Optional<Lobby.HistoryView>> view =
              ask(replyTo -> new Lobby.GetHistory(room, since, replyTo));
          return asked(
              view,
              found ->
                  found
                      .map(v -> ok(history(v)))
                      .orElseGet(
                          () ->
                              complete(
                                  HttpErrors.error(
                                      StatusCodes.NOT_FOUND,
                                      "no history of room "
                                          + room.value()
                                          + ": no such room, or rooms keep none"
                                          + " (lobby.history.size = 0)"))));
        });
  }

  private static AdminJson.History history(Lobby.HistoryView view) {
    return new AdminJson.History(
        view.room().value(),
        view.epoch(),
        view.offset(),
        view.kept().stream()
            .map(k -> new AdminJson.Kept(k.offset(), k.from().toString(), k.msg()))
            .toList());
  }

  private Route publish(RoomId room, Payload payload) {
    CompletionStage<Lobby.Published> reply =
        ask(replyTo -> new Lobby.Publish(room, payload, replyTo));
    return asked(
        reply, published -> ok(new AdminJson.Delivered(room.value(), published.delivered())));
  }

  /** Asks the Lobby, failing after {@code ask-timeout}. */
  private <T> CompletionStage<T> ask(Function<ActorRef<T>, Lobby.AdminCommand> message) {
    return AskPattern.ask(lobby, message::apply, http.askTimeout(), system.scheduler());
  }

  /** A 200 with a JSON wire record as body. */
  private Route ok(Object body) {
    return complete(StatusCodes.OK, HttpErrors.json(body));
  }

  /** A parser of a request body that reports what is wrong with it. */
  @FunctionalInterface
  private interface BodyParser {
    Payload parse(byte[] body) throws BadBody;
  }

  /** Reads a JSON body under {@code max-body}: 415, 413 and 400 before {@code inner} runs. */
  private Route jsonBody(BodyParser parser, Function<Payload, Route> inner) {
    return extractRequestEntity(
        entity -> {
          if (!entity.getContentType().mediaType().equals(MediaTypes.APPLICATION_JSON)) {
            return complete(
                HttpErrors.error(
                    StatusCodes.UNSUPPORTED_MEDIA_TYPE, "the body must be application/json"));
          }
          if (entity.getContentLengthOption().orElse(0L) > http.maxBody()) {
            return tooLarge();
          }
          // A chunked body has no Content-Length: the size limit on the entity's stream fails it
          // with EntityStreamSizeException (413) as soon as it passes max-body. toStrict's own
          // maxBytes check, which would fail first without it, gives only a generic
          // EntityStreamException (which would be a 400).
          CompletionStage<HttpEntity.Strict> strict =
              entity
                  .withSizeLimit(http.maxBody())
                  .toStrict(http.askTimeout().toMillis(), http.maxBody(), system);
          return onComplete(
              strict,
              result -> {
                if (result.isFailure()) {
                  return isSizeLimit(result.failed().get())
                      ? tooLarge()
                      : complete(
                          HttpErrors.error(
                              StatusCodes.BAD_REQUEST, "the body could not be read"));
                }
                try {
                  return inner.apply(parser.parse(result.get().getData().toArray()));
                } catch (BadBody e) {
                  return complete(HttpErrors.error(StatusCodes.BAD_REQUEST, e.getMessage()));
                }
              });
        });
  }

  private static boolean isSizeLimit(Throwable error) {
    for (Throwable t = error; t != null; t = t.getCause()) {
      if (t instanceof EntityStreamSizeException) {
        return true;
      }
    }
    return false;
  }

  private Route tooLarge() {
    return complete(
        HttpErrors.error(
            StatusCodes.PAYLOAD_TOO_LARGE, "the body is larger than " + http.maxBody() + " bytes"));
  }

  /**
   * Runs {@code inner} only for a request with the admin token or, with {@code
   * lobby.auth.admin-jwt = on}, an admin JWT; else 401.
   */
  private Route admin(java.util.function.Supplier<Route> inner) {
    return extractRequest(
        request -> {
          Optional<String> token = bearer(request);
          if (token.isPresent() && MessageDigest.isEqual(tokenDigest, sha256(token.get()))) {
            return inner.get();
          }
          if (token.isEmpty() || adminJwt == Authenticators.NO_ADMIN_JWT) {
            return unauthorized();
          }
          return onSuccess(adminJwt.apply(token.get()), ok -> ok ? inner.get() : unauthorized());
        });
  }

  private Route unauthorized() {
    return complete(
        HttpErrors.error(StatusCodes.UNAUTHORIZED, "a valid admin bearer token is required")
            .addHeader(WWWAuthenticate.create(HttpChallenge.create("Bearer", "lobby"))));
  }

  /**
   * The bearer token of a request. The admin token is compared by digest, so the comparison takes
   * the same time whatever the token's length.
   */
  private static Optional<String> bearer(HttpRequest request) {
    Optional<HttpHeader> header = request.getHeader("Authorization");
    if (header.isEmpty()) {
      return Optional.empty();
    }
    String value = header.get().value();
    if (value.length() < 7 || !value.regionMatches(true, 0, "Bearer ", 0, 7)) {
      return Optional.empty();
    }
    return Optional.of(value.substring(7).trim());
  }

  private static byte[] sha256(String text) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every Java runtime has SHA-256", e);
    }
  }

  /** Validates a room name from the path: 400 when it is not a valid name. */
  private Route room(String name, Function<RoomId, Route> inner) {
    return HttpErrors.invalidRoom(name)
        .map(this::complete)
        .orElseGet(() -> inner.apply(new RoomId(name)));
  }

  private Route methodNotAllowed(String allowed) {
    return complete(
        HttpErrors.error(StatusCodes.METHOD_NOT_ALLOWED, "only " + allowed + " is allowed here"));
  }

  /** Completes with the outcome of an ask, or 503 when the actor did not answer. */
  private <T> Route asked(CompletionStage<T> reply, Function<T, Route> inner) {
    return onComplete(
        reply,
        result ->
            result.isSuccess() ? inner.apply(result.get()) : complete(HttpErrors.unavailable()));
  }
}
