package io.github.lobby.http;

import com.typesafe.config.Config;
import io.github.lobby.core.CloseCodes;
import io.github.lobby.core.Federation;
import io.github.lobby.core.Lobby;
import io.github.lobby.core.LobbyMetrics;
import io.github.lobby.core.LobbySettings;
import io.github.lobby.core.auth.Authenticator;
import io.github.lobby.http.internal.guard.HeadGuard;
import io.github.lobby.http.internal.lean.LeanBinding;
import io.github.lobby.http.internal.routes.ListenerBinding;
import io.github.lobby.http.internal.tls.ReloadingSslContext;
import io.github.lobby.http.internal.tls.TlsBinding;
import io.micrometer.core.instrument.MeterRegistry;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import javax.net.ssl.SSLContext;
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
 * <p>The binding is plaintext (the lean path) unless {@code lobby.http.tls} configures a
 * certificate or {@link Builder#sslContext} gives one: then the port serves HTTPS and {@code
 * wss://} only, through Pekko HTTP's engine path ({@code docs/DEPLOYING.md}, TLS on the listener).
 *
 * <pre>{@code
 * LobbyServer server =
 *     LobbyServer.builder(system).routes(myRoutes).start().toCompletableFuture().join();
 * // ... later, or let CoordinatedShutdown do it:
 * server.stop();
 * }</pre>
 */
public final class LobbyServer {

  private static final Logger log = LoggerFactory.getLogger(LobbyServer.class);

  private final ActorSystem<?> system;
  private final ActorRef<Lobby.Command> lobby;
  private final LobbyRoutes routes;
  private final ListenerBinding binding;
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
      ListenerBinding binding) {
    this.system = system;
    this.lobby = lobby;
    this.routes = routes;
    this.binding = binding;
    this.address = binding.localAddress();
  }

  /**
   * Starts building a server in {@code system}; {@code LobbyServer.builder(system).start()} starts
   * the one the system's configuration describes.
   *
   * @param system the system the server runs in; its CoordinatedShutdown stops the server
   * @return a builder; {@link Builder#start()} starts the server
   */
  public static Builder builder(ActorSystem<?> system) {
    return new Builder(system);
  }

  /**
   * How a {@link LobbyServer} is started; every option has a default. Not thread-safe; each setter
   * returns this builder.
   */
  public static final class Builder {

    private final ActorSystem<?> system;
    // The options the routes have too (config, metrics route, authenticator) are kept there.
    private final LobbyRoutes.Builder routes;
    private Route own;
    private Federation federation;
    private MeterRegistry registry;
    private Supplier<SSLContext> sslContext;

    private Builder(ActorSystem<?> system) {
      this.system = Objects.requireNonNull(system, "system");
      this.routes = new LobbyRoutes.Builder(system);
    }

    /**
     * The configuration, with the {@code lobby} section; checked before anything starts. Default:
     * the system's configuration.
     */
    public Builder config(Config config) {
      routes.config(config);
      return this;
    }

    /**
     * Routes of your own, served next to the Lobby's on the same port. They are tried before the
     * Lobby's routes, which answer every other path (a one-segment path is a room), so yours
     * should match only what they are for and reject the rest. Default: none.
     */
    public Builder routes(Route own) {
      this.own = Objects.requireNonNull(own, "own");
      return this;
    }

    /**
     * How rooms reach the same room on other nodes ({@code lobby-cluster}). Default: {@link
     * Federation#fromConfig} of the {@link #config}, which {@code lobby.cluster.enabled} decides.
     */
    public Builder federation(Federation federation) {
      this.federation = Objects.requireNonNull(federation, "federation");
      return this;
    }

    /**
     * Records the Lobby's meters (README, section Observability) in a Micrometer registry.
     * Default: none, which records nothing at no cost.
     */
    public Builder meterRegistry(MeterRegistry registry) {
      this.registry = Objects.requireNonNull(registry, "registry");
      return this;
    }

    /**
     * Serves {@code GET /metrics} with what {@code scrape} renders (with Prometheus, {@code
     * prometheusRegistry::scrape}), behind the admin token unless {@code lobby.http.metrics-public
     * = on}. Default: no such route.
     */
    public Builder metricsRoute(Supplier<String> scrape) {
      routes.metricsRoute(scrape);
      return this;
    }

    /**
     * Serves TLS (HTTPS and {@code wss://}) on {@code lobby.http.host:port} with the context
     * {@code contexts} gives, asked once per new connection, so that you may hand out a new one
     * when your certificate changes. Overrides {@code lobby.http.tls}'s key store or certificate
     * (and its reload); {@code lobby.http.tls.protocols} still applies. Default: what {@code
     * lobby.http.tls} configures, plaintext when it configures nothing.
     */
    public Builder sslContext(Supplier<SSLContext> contexts) {
      this.sslContext = Objects.requireNonNull(contexts, "contexts");
      return this;
    }

    /**
     * Decides on every upgrade before it is answered (PROTOCOL.md, authentication); {@code
     * lobby.auth}, {@code admin-jwt} included, then does not apply. Default: the one {@code
     * lobby.auth} configures (none by default).
     */
    public Builder authenticator(Authenticator authenticator) {
      routes.authenticator(authenticator);
      return this;
    }

    /**
     * permessage-deflate on WebSocket connections, as {@link LobbyRoutes.Builder#compression}.
     * Default: {@code lobby.compression} of the configuration.
     */
    public Builder compression(CompressionSettings compression) {
      routes.compression(compression);
      return this;
    }

    /**
     * Spawns the Lobby actor (named {@code lobby}), binds {@code lobby.http.host:port} and hooks
     * {@link LobbyServer#stop()} into the system's CoordinatedShutdown. With no {@code
     * lobby.http.admin-token} configured, a token is generated and logged once.
     *
     * @return the running server, or a failure when it cannot bind
     * @throws com.typesafe.config.ConfigException when a {@code lobby} key is unknown or invalid
     */
    public CompletionStage<LobbyServer> start() {
      Config c = routes.config();
      // Everything read and checked before the Lobby actor is spawned.
      Federation federated = federation != null ? federation : Federation.fromConfig(c);
      LobbySettings settings = LobbySettings.fromConfig(c);
      LobbyRoutes.Authentication auth = routes.resolveAuthentication(c);
      // The one place a started server's admin token is generated (when none is configured).
      HttpSettings http = HttpSettings.fromConfig(c).withGeneratedAdminToken();
      if (routes.compression() == null) {
        routes.compression(CompressionSettings.fromConfig(c));
      }
      HeadGuard guard = HeadGuard.fromConfig(c);
      LobbyMetrics metrics = LobbyMetrics.of(registry);
      ActorRef<Lobby.Command> lobby =
          system.systemActorOf(
              Lobby.create(settings, LobbyRoutes.codecs(), federated, metrics),
              "lobby",
              Props.empty());
      routes
          .lobby(lobby)
          .config(c)
          .settings(settings)
          .httpSettings(http)
          .metrics(metrics)
          .authentication(auth);
      return bind(system, lobby, routes.build(), own, http, guard, sslContext);
    }
  }

  /**
   * Binds the lean path with the routes (yours first), or the TLS binding when TLS is configured
   * or {@code contexts} given, then hooks the stop into shutdown.
   */
  private static CompletionStage<LobbyServer> bind(
      ActorSystem<?> system,
      ActorRef<Lobby.Command> lobby,
      LobbyRoutes routes,
      Route own,
      HttpSettings http,
      HeadGuard guard,
      Supplier<SSLContext> contexts) {
    Route route = own == null ? routes.route() : Directives.concat(own, routes.route());
    CompletionStage<? extends ListenerBinding> bound;
    if (contexts != null || http.tls().enabled()) {
      Supplier<SSLContext> tls = contexts;
      Runnable stopReload = () -> {};
      if (tls == null) {
        ReloadingSslContext reloading = new ReloadingSslContext(http.tls());
        reloading.start(system);
        tls = reloading;
        stopReload = reloading::stop;
      }
      Runnable stopped = stopReload;
      // Each TLS connection's decrypted bytes pass the same request-head guard as the lean
      // path's (one head budget for both), and count against the same per-address limit.
      bound =
          TlsBinding.bind(
                  system,
                  http,
                  route,
                  tls,
                  http.tls().protocols(),
                  routes.context().admission(),
                  remote -> guard.bidiFlow(),
                  stopped,
                  LobbyServer.class)
              .whenComplete(
                  (b, error) -> {
                    if (error != null) {
                      stopped.run();
                    }
                  });
    } else {
      bound = LeanBinding.bind(system, routes.context(), guard, route, LobbyServer.class);
    }
    return bound
        .thenApply(
            binding -> {
              LobbyServer server = new LobbyServer(system, lobby, routes, binding);
              server.stopOnShutdown();
              log.info(
                  "Lobby listening on {}{}",
                  server.address,
                  binding instanceof TlsBinding ? " (TLS)" : "");
              if (http.adminTokenGenerated()) {
                log.info(
                    "No lobby.http.admin-token configured; generated admin token for this run: {}",
                    http.adminToken());
              }
              return server;
            });
  }

  /** The stop in CoordinatedShutdown's own phases, each with its own timeout. */
  private void stopOnShutdown() {
    HttpSettings http = routes.httpSettings();
    CoordinatedShutdown shutdown = CoordinatedShutdown.get(system);
    String name = "lobby-" + address.getPort();
    shutdown.addTask(
        CoordinatedShutdown.PhaseBeforeServiceUnbind(), name + "-not-ready", this::notReady);
    shutdown.addTask(CoordinatedShutdown.PhaseServiceUnbind(), name + "-unbind", this::unbind);
    shutdown.addTask(
        CoordinatedShutdown.PhaseServiceRequestsDone(), name + "-close-sessions", this::closeAll);
    shutdown.addTask(
        CoordinatedShutdown.PhaseServiceStop(), name + "-terminate", this::terminateBinding);
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
  }

  /**
   * Closes every session with 1001 and completes when every WebSocket connection has finished its
   * close handshake (each ends within {@code close-timeout} of its Close), or after {@code
   * shutdown-timeout} and then {@code close-timeout} plus half a second: terminating the binding
   * earlier would cut Close frames still on their way. The part of {@link #stop()} that does not
   * depend on how the server listens.
   */
  private static CompletionStage<Done> closeSessions(
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
    return ListenerBinding.pollUntil(system, () -> routes.activeConnections() == 0, patience);
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
