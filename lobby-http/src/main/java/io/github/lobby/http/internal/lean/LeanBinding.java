package io.github.lobby.http.internal.lean;

import io.github.lobby.http.HttpSettings;
import io.github.lobby.http.internal.guard.HeadGuard;
import io.github.lobby.http.internal.routes.ListenerBinding;
import io.github.lobby.http.internal.ws.ConnectionContext;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.pekko.Done;
import org.apache.pekko.actor.ActorRef;
import org.apache.pekko.actor.ExtendedActorSystem;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.pattern.Patterns;

/**
 * The lean path's binding, as {@code LobbyServer} drives it: a {@link LeanListener} on {@code
 * lobby.http.host:port} whose connections serve WebSocket upgrades themselves and hand every
 * other request to Pekko HTTP with the route tree; and the two steps of its stop.
 */
public final class LeanBinding implements ListenerBinding {

  private static final AtomicInteger LISTENERS = new AtomicInteger();

  private final ActorSystem<?> system;
  private final ActorRef listener;
  private final InetSocketAddress address;

  private LeanBinding(ActorSystem<?> system, ActorRef listener, InetSocketAddress address) {
    this.system = system;
    this.listener = listener;
    this.address = address;
  }

  /**
   * Binds {@code context.http()}'s host and port (with its backlog and connection limit).
   *
   * @param guard the request-head guard of the server (its budget is shared with any other
   *     listener of the server)
   * @param route every request that is not a WebSocket upgrade the lean path takes goes there
   * @param logSource the class Pekko HTTP's server layer logs as
   * @return the binding once bound; failed with a {@link java.net.BindException} when it cannot be
   */
  public static CompletionStage<LeanBinding> bind(
      ActorSystem<?> system,
      ConnectionContext context,
      HeadGuard guard,
      Route route,
      Class<?> logSource) {
    HttpSettings http = context.http();
    LeanShared shared = LeanShared.create(system, context, guard, route, logSource);
    CompletableFuture<InetSocketAddress> bound = new CompletableFuture<>();
    ActorRef listener =
        ((ExtendedActorSystem) system.classicSystem())
            .systemActorOf(
                LeanListener.props(
                    new InetSocketAddress(http.host(), http.port()),
                    http.backlog(),
                    http.maxConnections(),
                    shared,
                    bound),
                "lobby-listener-" + LISTENERS.incrementAndGet());
    return bound.thenApply(address -> new LeanBinding(system, listener, address));
  }

  @Override
  public InetSocketAddress localAddress() {
    return address;
  }

  @Override
  public CompletionStage<Done> unbind(Duration timeout) {
    return Patterns.ask(listener, LeanListener.Command.UNBIND, timeout)
        .handle((unbound, error) -> Done.getInstance());
  }

  /**
   * Lets plain HTTP connections answer what they have received and close, waits up to {@code
   * deadline} for every connection to end, then stops the listener (which drops what is left).
   */
  @Override
  public CompletionStage<Done> terminate(Duration deadline) {
    listener.tell(LeanListener.Command.TERMINATE, ActorRef.noSender());
    CompletableFuture<Done> done = new CompletableFuture<>();
    long end = System.nanoTime() + deadline.toNanos();
    Runnable[] check = new Runnable[1];
    check[0] =
        () ->
            Patterns.ask(listener, LeanListener.Command.OPEN, Duration.ofSeconds(1))
                .whenComplete(
                    (open, error) -> {
                      if (error != null || (Integer) open == 0 || System.nanoTime() >= end) {
                        system.classicSystem().stop(listener);
                        done.complete(Done.getInstance());
                      } else {
                        system
                            .scheduler()
                            .scheduleOnce(
                                Duration.ofMillis(20), check[0], system.executionContext());
                      }
                    });
    check[0].run();
    return done;
  }

  @Override
  public CompletionStage<Integer> openConnections() {
    return Patterns.ask(listener, LeanListener.Command.OPEN, Duration.ofSeconds(1))
        .thenApply(open -> (Integer) open);
  }
}
