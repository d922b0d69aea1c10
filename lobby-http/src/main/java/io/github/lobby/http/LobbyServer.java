package io.github.lobby.http;

import com.typesafe.config.Config;
import io.github.lobby.core.CloseCodes;
import io.github.lobby.core.Federation;
import io.github.lobby.core.Lobby;
import io.github.lobby.core.LobbyMetrics;
import io.github.lobby.core.LobbySettings;
import io.github.lobby.core.auth.Authenticator;
import io.github.lobby.http.auth.Authenticators;
import io.github.lobby.http.internal.lean.LeanBinding;
import io.micrometer.core.instrument.MeterRegistry;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;
import java.util.function.Supplier;
import org.apache.pekko.Done;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.http.javadsl.server.Directives;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.pattern.Patterns;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A running Lobby server inside an ActorSystem you own: the Lobby actor, the routes and the HTTP
 * binding, with a clean stop that closes every session with 1001 before the binding goes.
 *
 * <pre>{@code
 * LobbyServer server = LobbyServer.start(system, system.settings().config())
 *     .toCompletableFuture().join();
 * // ... later, or let CoordinatedShutdown do it:
 * server.stop();
 * }</pre>
 */
public final class LobbyServer {

  private static final Logger log = LoggerFactory.getLogger(LobbyServer.class);

  private final ActorSystem<?> system;
  private final ActorRef<Lobby.Command> lobby;
  private final LobbyRoutes routes;
  private final LeanBinding binding;
  private final InetSocketAddress address;
  private final AtomicReference<CompletableFuture<Done>> stopping = new AtomicReference<>();
  private final AtomicReference<CompletableFuture<Done>> notReadying = new AtomicReference<>();
  private final AtomicReference<CompletableFuture<Done>> unbinding = new AtomicReference<>();
  private final AtomicReference<CompletableFuture<Done>> closing = new AtomicReference<>();
  private final AtomicReference<CompletableFuture<Done>> terminating = new AtomicReference<>();

  private LobbyServer(
      ActorSystem<?> system,
      ActorRef<Lobby.Command> lobby,
      LobbyRoutes routes,
      LeanBinding binding) {
    this.system = system;
    this.lobby = lobby;
    this.routes = routes;
    this.binding = binding;
    this.address = binding.localAddress();
  }

  /** Starts a server configured by the system's own configuration. */
  public static CompletionStage<LobbyServer> start(ActorSystem<?> system) {
    return start(system, system.settings().config());
  }

  /**
   * Spawns the Lobby actor (named {@code lobby}), binds {@code lobby.http.host:port} and hooks
   * {@link #stop()} into the system's CoordinatedShutdown.
   *
   * @param config a configuration with the {@code lobby} section; checked before anything starts
   */
  public static CompletionStage<LobbyServer> start(ActorSystem<?> system, Config config) {
    return start(system, config, null);
  }

  /**
   * Like {@link #start(ActorSystem, Config)}, also serving routes of your own. They are tried
   * before the Lobby's routes, which answer every other path (a one-segment path is a room), so
   * yours should match only what they are for and reject the rest.
   *
   * @param own routes served next to the Lobby's, or {@code null} for none
   */
  public static CompletionStage<LobbyServer> start(
      ActorSystem<?> system, Config config, Route own) {
    return start(system, config, own, Federation.fromConfig(config));
  }

  /**
   * Like {@link #start(ActorSystem, Config, Route)}, with a federation chosen in code rather than
   * by {@code lobby.cluster.enabled}.
   *
   * @param federation how rooms reach the same room on other nodes ({@code lobby-cluster})
   */
  public static CompletionStage<LobbyServer> start(
      ActorSystem<?> system, Config config, Route own, Federation federation) {
    return start(system, config, own, federation, null, null);
  }

  /**
   * Like {@link #start(ActorSystem, Config, Route, Federation)}, recording the Lobby's meters
   * (README, section Observability) in a Micrometer registry.
   *
   * @param registry where the meters go; null records nothing, at no cost
   * @param scrape renders the registry for {@code GET /metrics} (with Prometheus, {@code
   *     prometheusRegistry::scrape}); null serves no such route
   */
  public static CompletionStage<LobbyServer> start(
      ActorSystem<?> system,
      Config config,
      Route own,
      Federation federation,
      MeterRegistry registry,
      Supplier<String> scrape) {
    return start(system, config, own, federation, registry, scrape, null);
  }

  /**
   * Like {@link #start(ActorSystem, Config, Route, Federation, MeterRegistry, Supplier)}, with an
   * authenticator given in code rather than chosen by {@code lobby.auth.mode}: every upgrade is
   * decided by it before it is answered (PROTOCOL.md, authentication).
   *
   * @param authenticator decides on every upgrade; null: the one {@code lobby.auth} configures
   *     (none by default); with one given here, {@code lobby.auth.admin-jwt} does not apply
   */
  public static CompletionStage<LobbyServer> start(
      ActorSystem<?> system,
      Config config,
      Route own,
      Federation federation,
      MeterRegistry registry,
      Supplier<String> scrape,
      Authenticator authenticator) {
    LobbySettings settings = LobbySettings.fromConfig(config);
    Optional<Authenticator> auth =
        authenticator != null
            ? Optional.of(authenticator)
            : LobbyRoutes.authenticator(system, config);
    Function<String, CompletionStage<Boolean>> adminJwt =
        authenticator != null
            ? Authenticators.NO_ADMIN_JWT
            : Authenticators.adminCheck(config, auth);
    // The one place a started server's admin token is generated (when none is configured).
    HttpSettings http = HttpSettings.fromConfig(config).withGeneratedAdminToken();
    LobbyMetrics metrics = LobbyMetrics.of(registry);
    ActorRef<Lobby.Command> lobby =
        system.systemActorOf(
            Lobby.create(settings, LobbyRoutes.codecs(), federation, metrics),
            "lobby",
            Props.empty());
    LobbyRoutes routes =
        LobbyRoutes.create(system, lobby, settings, http, metrics, scrape, auth, adminJwt);
    Route route = own == null ? routes.route() : Directives.concat(own, routes.route());
    return LeanBinding.bind(system, routes.context(), route, LobbyServer.class)
        .thenApply(
        binding -> {
          LobbyServer server = new LobbyServer(system, lobby, routes, binding);
          InetSocketAddress address = server.address;
          // The stop in CoordinatedShutdown's own phases, each with its own timeout.
          CoordinatedShutdown shutdown = CoordinatedShutdown.get(system);
          String name = "lobby-" + address.getPort();
          shutdown.addTask(
              CoordinatedShutdown.PhaseBeforeServiceUnbind(), name + "-not-ready", server::notReady);
          shutdown.addTask(
              CoordinatedShutdown.PhaseServiceUnbind(), name + "-unbind", server::unbind);
          shutdown.addTask(
              CoordinatedShutdown.PhaseServiceRequestsDone(),
              name + "-close-sessions",
              server::closeAll);
          shutdown.addTask(
              CoordinatedShutdown.PhaseServiceStop(), name + "-terminate", server::terminateBinding);
          Duration needed = http.shutdownTimeout().plus(http.closeTimeout()).plusSeconds(1);
          Duration phase =
              Duration.ofNanos(
                  shutdown.timeout(CoordinatedShutdown.PhaseServiceRequestsDone()).toNanos());
          if (phase.compareTo(needed) < 0) {
            log.warn(
                "pekko.coordinated-shutdown.phases.service-requests-done.timeout ({}) is shorter"
                    + " than lobby.http.shutdown-timeout + close-timeout + 1s ({}): a stop may cut"
                    + " sessions short",
                phase,
                needed);
          }
          Duration notReadyPhase =
              Duration.ofNanos(
                  shutdown.timeout(CoordinatedShutdown.PhaseBeforeServiceUnbind()).toNanos());
          if (notReadyPhase.compareTo(http.unbindDelay().plusSeconds(1)) < 0) {
            log.warn(
                "pekko.coordinated-shutdown.phases.before-service-unbind.timeout ({}) is shorter"
                    + " than lobby.http.unbind-delay + 1s ({}): the delay will be cut short",
                notReadyPhase,
                http.unbindDelay().plusSeconds(1));
          }
          log.info("Lobby listening on {}", address);
          if (http.adminTokenGenerated()) {
            log.info(
                "No lobby.http.admin-token configured; generated admin token for this run: {}",
                http.adminToken());
          }
          return server;
        });
  }

  /**
   * Closes every session with 1001 and completes when every WebSocket connection has finished its
   * close handshake (each ends within {@code close-timeout} of its Close), or after {@code
   * shutdown-timeout} and then {@code close-timeout} plus half a second: terminating the binding
   * earlier would cut Close frames still on their way. The part of {@link #stop()} that does not
   * depend on how the server listens.
   */
  static CompletionStage<Done> closeSessions(
      ActorSystem<?> system, ActorRef<Lobby.Command> lobby, LobbyRoutes routes) {
    HttpSettings http = routes.httpSettings();
    return AskPattern.<Lobby.Command, Done>ask(
            lobby,
            replyTo -> new Lobby.CloseAll(CloseCodes.GOING_AWAY, "server shutting down", replyTo),
            http.shutdownTimeout(),
            system.scheduler())
        .exceptionally(
            error -> {
              log.warn("Sessions did not all close within {}", http.shutdownTimeout());
              return Done.getInstance();
            })
        .thenCompose(
            closed -> connectionsClosed(system, routes, http.closeTimeout().plusMillis(500)));
  }

  /** Completes when no WebSocket connection is left, or after {@code patience}. */
  private static CompletionStage<Done> connectionsClosed(
      ActorSystem<?> system, LobbyRoutes routes, Duration patience) {
    CompletableFuture<Done> done = new CompletableFuture<>();
    long deadline = System.nanoTime() + patience.toNanos();
    Runnable[] check = new Runnable[1];
    check[0] =
        () -> {
          if (routes.activeConnections() == 0 || System.nanoTime() >= deadline) {
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

  /** The address the server is bound to (useful with port 0). */
  public InetSocketAddress localAddress() {
    return address;
  }

  /** The bearer token of the admin API (configured or generated). */
  public String adminToken() {
    return routes.httpSettings().adminToken();
  }

  /**
   * The Lobby actor, to publish to rooms or query them from your own actors: narrowed to what an
   * application may send ({@link Lobby.AdminCommand}), so that connections and other nodes keep
   * the messages that are theirs.
   */
  public ActorRef<Lobby.AdminCommand> lobby() {
    return lobby.narrow();
  }

  /** The routes being served. */
  public LobbyRoutes routes() {
    return routes;
  }

  /**
   * Stops accepting connections, closes every session with 1001 and waits (up to {@code
   * shutdown-timeout}) for them to leave, then terminates the binding. Idempotent.
   */
  public CompletionStage<Done> stop() {
    CompletableFuture<Done> done = new CompletableFuture<>();
    if (!stopping.compareAndSet(null, done)) {
      return stopping.get();
    }
    notReady()
        .thenCompose(notReady -> unbind())
        .thenCompose(unbound -> closeAll())
        .thenCompose(closed -> terminateBinding())
        .whenComplete(
            (terminated, error) -> {
              log.info("Lobby on {} stopped", address);
              done.complete(Done.getInstance());
            });
    return done;
  }

  /**
   * The first step of {@link #stop()} (CoordinatedShutdown's {@code before-service-unbind}): {@code
   * GET /health/ready} answers 503 from now on, and this completes after {@code unbind-delay},
   * while the listener still accepts connections. Idempotent.
   */
  private CompletionStage<Done> notReady() {
    return once(
        notReadying,
        () -> {
          routes.shuttingDown();
          Duration delay = routes.httpSettings().unbindDelay();
          if (delay.isZero()) {
            return CompletableFuture.completedFuture(Done.getInstance());
          }
          log.info("Lobby on {} is not ready; it stops accepting in {}", address, delay);
          return Patterns.after(
              delay,
              system.classicSystem().scheduler(),
              system.executionContext(),
              () -> CompletableFuture.completedFuture(Done.getInstance()));
        });
  }

  /**
   * The next step ({@code service-unbind}): {@code GET /health/ready} answers 503 (if {@link
   * #notReady()} has not run), and the listener stops accepting connections. Idempotent.
   */
  private CompletionStage<Done> unbind() {
    return once(
        unbinding,
        () -> {
          routes.shuttingDown();
          log.info("Lobby on {} stops accepting connections", address);
          return binding.unbind(routes.httpSettings().askTimeout());
        });
  }

  /**
   * The second step ({@code service-requests-done}): every session closed with 1001, waiting up to
   * {@code shutdown-timeout}, then for the close handshakes. Idempotent.
   */
  private CompletionStage<Done> closeAll() {
    return once(closing, () -> unbind().thenCompose(u -> closeSessions(system, lobby, routes)));
  }

  /**
   * The last step ({@code service-stop}): the listener and what is left of its connections, even
   * when the sessions' step has not finished (its phase timed out). Idempotent.
   */
  private CompletionStage<Done> terminateBinding() {
    HttpSettings http = routes.httpSettings();
    return once(terminating, () -> binding.terminate(http.closeTimeout()));
  }

  /** Runs {@code step} once; later calls get its outcome. */
  private static CompletionStage<Done> once(
      AtomicReference<CompletableFuture<Done>> slot, Supplier<CompletionStage<Done>> step) {
    CompletableFuture<Done> done = new CompletableFuture<>();
    if (!slot.compareAndSet(null, done)) {
      return slot.get();
    }
    step.get().whenComplete((d, error) -> done.complete(Done.getInstance()));
    return done;
  }
}
