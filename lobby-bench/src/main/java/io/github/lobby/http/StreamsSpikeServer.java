package io.github.lobby.http;

import com.typesafe.config.Config;
import io.github.lobby.core.Lobby;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.Done;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.stream.Materializer;
import org.apache.pekko.stream.javadsl.Flow;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Tcp;

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
 * LOBBY_ADMIN_TOKEN}) from the system configuration, spawns the Lobby as system actor {@code lobby}
 * (single node), serves {@code /health}, the admin API and every other plain HTTP request through
 * Pekko HTTP's server layer, and WebSockets on the streams path; on SIGTERM it unbinds, closes
 * every session with 1001 and waits for the connections to end (at most {@code close-timeout} + 0.5
 * s) before the system stops. Not done here: letting keep-alive plain HTTP connections finish on
 * stop (the lean path's {@code TERMINATE}); they end with the system. Lives in lobby-bench, in this
 * package for the package-private connection classes.
 */
public final class StreamsSpikeServer {

  private StreamsSpikeServer() {}

  /** Starts the spike server; it runs until the JVM is asked to stop. */
  public static void main(String[] args) {
    SpikeServers.run("streams spike", StreamsSpikeServer::start);
  }

  /**
   * Spawns the Lobby, binds {@code lobby.http.host:port} with Pekko Streams' {@code Tcp} and hooks
   * the stop into CoordinatedShutdown; completes with the bound address.
   */
  static CompletionStage<InetSocketAddress> start(ActorSystem<?> system, Config config) {
    SpikeServers.Lobbied set = SpikeServers.setUp(system, config, StreamsSpikeServer.class);
    HttpSettings http = set.http();
    ActorRef<Lobby.Command> lobby = set.lobby();
    LobbyRoutes routes = set.routes();
    LeanConnection.Shared shared = set.shared();
    Materializer materializer = shared.materializer();

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

  /** LobbyServer.stop without its last step: unbind, then LobbyServer.closeSessions. */
  private static CompletionStage<Done> stop(
      ActorSystem<?> system,
      ActorRef<Lobby.Command> lobby,
      LobbyRoutes routes,
      Tcp.ServerBinding binding) {
    return binding
        .unbind()
        .thenCompose(unbound -> LobbyServer.closeSessions(system, lobby, routes));
  }
}
