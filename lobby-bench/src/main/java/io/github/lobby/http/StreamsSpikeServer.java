package io.github.lobby.http;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.github.lobby.core.CloseCodes;
import io.github.lobby.core.Federation;
import io.github.lobby.core.Lobby;
import io.github.lobby.core.LobbySettings;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;
import org.apache.pekko.Done;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.event.Logging;
import org.apache.pekko.event.LoggingAdapter;
import org.apache.pekko.http.javadsl.Http;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.settings.ServerSettings;
import org.apache.pekko.stream.Materializer;
import org.apache.pekko.stream.TLSProtocol.SslTlsInbound;
import org.apache.pekko.stream.TLSProtocol.SslTlsOutbound;
import org.apache.pekko.stream.javadsl.BidiFlow;
import org.apache.pekko.stream.javadsl.Flow;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.TLSPlacebo;
import org.apache.pekko.stream.javadsl.Tcp;
import org.apache.pekko.util.ByteString;

/**
 * Spike, candidate (a) of the connection layer, to be measured next to the lean path of {@link
 * LobbyServer}: the same Lobby, routes, settings and {@link WsConnection}, but the socket is Pekko
 * Streams' {@code Tcp} binding and each connection one {@link StreamsConnectionStage}.
 *
 * <pre>
 * java -Dlobby.http.port=18095 -cp lobby-bench/target/lobby-bench.jar io.github.lobby.http.StreamsSpikeServer
 * </pre>
 *
 * <p>Like the example server: reads {@code lobby.http.host:port} and the admin token ({@code
 * LOBBY_ADMIN_TOKEN}) from the system configuration, spawns the Lobby as system actor {@code
 * lobby} (single node), serves {@code /health}, the admin API and every other plain HTTP request
 * through Pekko HTTP's server layer, and WebSockets on the streams path; on SIGTERM it unbinds,
 * closes every session with 1001 and waits for the connections to end (at most {@code
 * close-timeout} + 0.5 s) before the system stops. Not done here: letting keep-alive plain HTTP
 * connections finish on stop (the lean path's {@code TERMINATE}); they end with the system. Lives
 * in lobby-bench, in this package for the package-private connection classes.
 */
public final class StreamsSpikeServer {

  /** Pekko's own logging through SLF4J, as in the example server's application.conf. */
  private static final String LOGGING =
      "pekko.loggers = [\"org.apache.pekko.event.slf4j.Slf4jLogger\"]\n"
          + "pekko.logging-filter = \"org.apache.pekko.event.slf4j.Slf4jLoggingFilter\"\n";

  private StreamsSpikeServer() {}

  /** Starts the spike server; it runs until the JVM is asked to stop. */
  public static void main(String[] args) {
    Config config =
        ConfigFactory.load(
            ConfigFactory.defaultApplication().withFallback(ConfigFactory.parseString(LOGGING)));
    ActorSystem<Void> system = ActorSystem.create(Behaviors.empty(), "lobby", config);
    start(system, config)
        .whenComplete(
            (address, error) -> {
              if (error != null) {
                System.err.println("Could not start the streams spike: " + error.getMessage());
                system.terminate();
              }
            });
  }

  /**
   * Spawns the Lobby, binds {@code lobby.http.host:port} with Pekko Streams' {@code Tcp} and hooks
   * the stop into CoordinatedShutdown; completes with the bound address.
   */
  static CompletionStage<InetSocketAddress> start(ActorSystem<?> system, Config config) {
    // From here to `shared`: LobbyServer.start, so that both paths get the same settings.
    LobbySettings settings = LobbySettings.fromConfig(config);
    HttpSettings http = HttpSettings.fromConfig(config);
    ActorRef<Lobby.Command> lobby =
        system.systemActorOf(
            Lobby.create(settings, LobbyRoutes.codecs(), Federation.NONE), "lobby", Props.empty());
    LobbyRoutes routes = LobbyRoutes.create(system, lobby, settings, http);
    ServerSettings defaults = ServerSettings.create(system.settings().config());
    ServerSettings serverSettings =
        defaults
            .withParserSettings(
                defaults.getParserSettings().withHeaderValueCacheLimits(Map.<String, Object>of("default", 0)))
            .withRemoteAddressAttribute(true)
            .withParsingErrorHandler(JsonParsingErrorHandler.class.getName());
    Flow<HttpRequest, HttpResponse, NotUsed> handler = routes.route().flow(system);
    Http pekkoHttp = Http.get(system);
    LoggingAdapter httpLog = Logging.getLogger(system.classicSystem(), StreamsSpikeServer.class);
    @SuppressWarnings({"unchecked", "rawtypes"})
    BidiFlow<SslTlsOutbound, ByteString, ByteString, SslTlsInbound, NotUsed> placebo =
        (BidiFlow) TLSPlacebo.getInstance();
    Function<InetSocketAddress, Flow<ByteString, ByteString, ?>> plainHttp =
        remote -> handler.join(pekkoHttp.serverLayer(serverSettings, Optional.of(remote), httpLog).atop(placebo));
    int maxHead =
        (int)
            Math.min(
                64 * 1024,
                serverSettings.getParserSettings().getMaxUriLength()
                    + (long) serverSettings.getParserSettings().getMaxHeaderCount()
                        * serverSettings.getParserSettings().getMaxHeaderValueLength() / 4);
    Materializer materializer = Materializer.matFromSystem(system);
    LeanConnection.Shared shared =
        new LeanConnection.Shared(
            routes.context(), plainHttp, materializer, maxHead, idleTimeout(system), idleTimeout(system));

    // Half-close as on the lean path (Register with keepOpenOnPeerClosed): after our Close the
    // connection reads on to the client's FIN. No Tcp idle timeout: WebSockets have the session's
    // heartbeat, the head and plain HTTP their own timers in the stage. At most max-connections
    // at once, as Pekko HTTP's own bind does it: beyond that, no more accepts are pulled.
    CompletableFuture<Tcp.ServerBinding> binding = new CompletableFuture<>();
    Tcp.get(system)
        .bind(http.host(), http.port(), http.backlog(), List.of(), true, Optional.empty())
        .mapAsyncUnordered(
            http.maxConnections(),
            connection ->
                connection.handleWith(
                    Flow.fromGraph(new StreamsConnectionStage(shared, connection.remoteAddress())),
                    materializer))
        .to(Sink.ignore())
        .run(materializer)
        .whenComplete(
            (bound, error) -> {
              if (error != null) {
                binding.completeExceptionally(error);
              } else {
                binding.complete(bound);
              }
            });
    return binding.thenApply(
        bound -> {
          CoordinatedShutdown.get(system)
              .addTask(
                  CoordinatedShutdown.PhaseServiceUnbind(),
                  "lobby-streams-spike-stop",
                  () -> stop(system, lobby, routes, bound));
          System.out.println("Lobby (streams spike) listening on " + bound.localAddress());
          if (http.adminTokenGenerated()) {
            System.out.println(
                "No lobby.http.admin-token configured; generated token: " + http.adminToken());
          }
          return bound.localAddress();
        });
  }

  /** LobbyServer.stop without its last step: unbind, close sessions with 1001, wait for them. */
  private static CompletionStage<Done> stop(
      ActorSystem<?> system,
      ActorRef<Lobby.Command> lobby,
      LobbyRoutes routes,
      Tcp.ServerBinding binding) {
    HttpSettings http = routes.httpSettings();
    return binding
        .unbind()
        .thenCompose(
            unbound ->
                AskPattern.<Lobby.Command, Done>ask(
                    lobby,
                    replyTo ->
                        new Lobby.CloseAll(CloseCodes.GOING_AWAY, "server shutting down", replyTo),
                    http.shutdownTimeout(),
                    system.scheduler()))
        .exceptionally(error -> Done.getInstance())
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

  /** Pekko HTTP's {@code idle-timeout}, which plain connections and unfinished heads get too. */
  private static Duration idleTimeout(ActorSystem<?> system) {
    Config c = system.settings().config();
    String path = "pekko.http.server.idle-timeout";
    return "infinite".equals(c.getString(path)) ? Duration.ofDays(3650) : c.getDuration(path);
  }
}
