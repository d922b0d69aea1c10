package io.github.lobby.examples;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigValueFactory;
import io.github.lobby.core.LobbySettings;
import io.github.lobby.http.HttpSettings;
import io.github.lobby.http.LobbyServer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The runnable Lobby server: binds {@code lobby.http.host:port} (127.0.0.1:8081 unless {@code
 * LOBBY_HOST}, {@code LOBBY_PORT} or {@code -Dlobby.http.port=...} say otherwise) and stops
 * cleanly on Ctrl-C, closing every session with 1001. Serves the browser client at {@code GET /}.
 * With {@code lobby.cluster.enabled = on} ({@code LOBBY_CLUSTER_ENABLED=on}) it is a Pekko Cluster
 * node ({@code LOBBY_CLUSTER_PORT}, {@code LOBBY_SEED_NODES}) and its rooms span the cluster.
 */
public final class ExampleServer {

  private static final Logger log = LoggerFactory.getLogger(ExampleServer.class);

  private ExampleServer() {}

  /** Starts the server; it runs until the JVM is asked to stop. */
  public static void main(String[] args) {
    Config config = configuration(ConfigFactory.load());
    // A misspelt or unknown lobby.* key, or a bad value, stops the start here, naming the key,
    // before any thread is started.
    LobbySettings.fromConfig(config);
    HttpSettings.fromConfig(config);
    boolean cluster = config.getBoolean("lobby.cluster.enabled");
    // CoordinatedShutdown runs on the JVM shutdown hook (Ctrl-C, SIGTERM) and stops the server.
    ActorSystem<Void> system = ActorSystem.create(Behaviors.empty(), "lobby", config);
    start(system, config)
        .whenComplete(
            (server, error) -> {
              if (error != null) {
                log.error("Could not start the Lobby server: {}", error.getMessage());
                system.terminate();
              } else if (cluster) {
                log.info(
                    "Cluster node {}, seed nodes {}",
                    config.getString("pekko.remote.artery.canonical.port"),
                    config.getStringList("pekko.cluster.seed-nodes"));
              }
            });
  }

  /**
   * Starts the example server's Lobby in {@code system}: the browser client's routes, meters in a
   * Prometheus registry served at {@code GET /metrics}, and rooms that span the cluster when {@code
   * lobby.cluster.enabled} (lobby-cluster is a dependency).
   */
  static CompletionStage<LobbyServer> start(ActorSystem<?> system, Config config) {
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    return LobbyServer.builder(system)
        .config(config)
        .routes(WebClient.route(config))
        .meterRegistry(registry)
        .metricsRoute(registry::scrape)
        .start();
  }

  /**
   * The example server's configuration: in cluster mode the provider is {@code cluster} and the
   * seed nodes come from {@code LOBBY_SEED_NODES} (comma-separated), or are this node itself.
   */
  static Config configuration(Config loaded) {
    if (!loaded.getBoolean("lobby.cluster.enabled")) {
      return loaded;
    }
    String seeds = System.getenv("LOBBY_SEED_NODES");
    List<String> seedNodes =
        seeds != null && !seeds.isBlank()
            ? Arrays.stream(seeds.split(",")).map(String::strip).toList()
            : loaded.getStringList("pekko.cluster.seed-nodes").isEmpty()
                ? List.of(
                    "pekko://lobby@"
                        + loaded.getString("pekko.remote.artery.canonical.hostname")
                        + ":"
                        + loaded.getInt("pekko.remote.artery.canonical.port"))
                : loaded.getStringList("pekko.cluster.seed-nodes");
    return ConfigFactory.parseMap(
            Map.of(
                "pekko.actor.provider", "cluster",
                "pekko.cluster.seed-nodes", ConfigValueFactory.fromIterable(seedNodes)))
        .withFallback(loaded);
  }
}
