package io.github.lobby.http.internal.routes;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.BooleanSupplier;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorSystem;

/**
 * A listener of {@code LobbyServer} (the lean path's, or the TLS binding's), as its stop drives
 * it: unbind, then (after the sessions have closed) terminate.
 */
public interface ListenerBinding {

  /** The address the listener is bound to (useful with port 0). */
  InetSocketAddress localAddress();

  /** Stops accepting connections; completes once unbound, or after {@code timeout}. */
  CompletionStage<Done> unbind(Duration timeout);

  /**
   * Lets open connections finish what they have received, waits up to {@code deadline} for every
   * connection to end, then drops what is left.
   */
  CompletionStage<Done> terminate(Duration deadline);

  /** How many TCP connections of this listener are open. */
  CompletionStage<Integer> openConnections();

  /**
   * Completes when {@code condition} holds, looked at now and every 20 ms on the system's
   * scheduler, or once {@code patience} has passed: how a stop waits for connections to end.
   */
  static CompletionStage<Done> pollUntil(
      ActorSystem<?> system, BooleanSupplier condition, Duration patience) {
    CompletableFuture<Done> done = new CompletableFuture<>();
    long deadline = System.nanoTime() + patience.toNanos();
    Runnable[] check = new Runnable[1];
    check[0] =
        () -> {
          if (condition.getAsBoolean() || System.nanoTime() >= deadline) {
            done.complete(Done.getInstance());
          } else {
            system
                .scheduler()
                .scheduleOnce(Duration.ofMillis(20), check[0], system.executionContext());
          }
        };
    check[0].run();
    return done;
  }
}
