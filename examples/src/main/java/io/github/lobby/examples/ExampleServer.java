package io.github.lobby.examples;

import com.sun.management.HotSpotDiagnosticMXBean;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigValueFactory;
import io.github.lobby.core.LobbySettings;
import io.github.lobby.http.HttpSettings;
import io.github.lobby.http.LobbyServer;
import io.github.lobby.http.auth.AuthSettings;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.lang.management.ManagementFactory;
import java.util.Arrays;
import java.util.HashMap;
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
 * node ({@code LOBBY_CLUSTER_PORT}; {@code LOBBY_SEED_NODES} or {@code LOBBY_CLUSTER_BOOTSTRAP};
 * {@code LOBBY_CLUSTER_TLS}) and its rooms span the cluster.
 */
public final class ExampleServer {

  private static final Logger log = LoggerFactory.getLogger(ExampleServer.class);

  private ExampleServer() {}

  /** Starts the server; it runs until the JVM is asked to stop. */
  public static void main(String[] args) {
    log.info("{}", jvmOptions());
    Config config = configuration(ConfigFactory.load());
    // A misspelt or unknown lobby.* key, or a bad value, stops the start here, naming the key,
    // before any thread is started.
    LobbySettings.fromConfig(config);
    HttpSettings.fromConfig(config);
    AuthSettings.fromConfig(config);
    boolean cluster = config.getBoolean("lobby.cluster.enabled");
    // CoordinatedShutdown runs on the JVM shutdown hook (Ctrl-C, SIGTERM) and stops the server.
    ActorSystem<Void> system = ActorSystem.create(Behaviors.empty(), "lobby", config);
    CompletionStage<LobbyServer> started;
    try {
      started = start(system, config);
    } catch (RuntimeException e) {
      // A check only the start makes (a JWK Set file that cannot be read, say): the actor
      // system's threads would keep the JVM running after main fails, serving nothing.
      system.terminate();
      throw e;
    }
    started
        .whenComplete(
            (server, error) -> {
              if (error != null) {
                log.error("Could not start the Lobby server: {}", error.getMessage());
                system.terminate();
              } else if (cluster && config.getBoolean("lobby.cluster.bootstrap")) {
                log.info(
                    "Cluster node {} ({}), forms its cluster by Cluster Bootstrap: service {}"
                        + " found by {}",
                    config.getString("pekko.remote.artery.canonical.port"),
                    config.getString("pekko.remote.artery.transport"),
                    config.getString(
                        "pekko.management.cluster.bootstrap.contact-point-discovery.service-name"),
                    config.getString("pekko.discovery.method"));
              } else if (cluster) {
                log.info(
                    "Cluster node {} ({}), seed nodes {}",
                    config.getString("pekko.remote.artery.canonical.port"),
                    config.getString("pekko.remote.artery.transport"),
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

  /** The HotSpot options that make a chat server lean (bin/lobby sets them), as the JVM runs. */
  static final List<String> LEAN_OPTIONS =
      List.of("UseSerialGC", "InitialHeapSize", "NewSize", "MaxNewSize", "TieredStopAtLevel");

  /**
   * One line for the log with the values the JVM took for {@link #LEAN_OPTIONS} (after every
   * option given to it, the last one of each winning), e.g. {@code JVM options in effect:
   * UseSerialGC=true InitialHeapSize=134217728 ...}; values in bytes.
   */
  static String jvmOptions() {
    StringBuilder line = new StringBuilder("JVM options in effect:");
    try {
      HotSpotDiagnosticMXBean hotSpot =
          ManagementFactory.getPlatformMXBean(HotSpotDiagnosticMXBean.class);
      for (String name : LEAN_OPTIONS) {
        line.append(' ').append(name).append('=').append(hotSpot.getVMOption(name).getValue());
      }
    } catch (RuntimeException | LinkageError notHotSpot) {
      line.append(" unknown (").append(notHotSpot.getMessage()).append(')');
    }
    return line.toString();
  }

  /** {@link #configuration(Config, Map)} with this process's environment. */
  static Config configuration(Config loaded) {
    return configuration(loaded, System.getenv());
  }

  /**
   * The example server's configuration: in cluster mode the provider is {@code cluster}; the
   * cluster forms by Cluster Bootstrap ({@code lobby.cluster.bootstrap}, {@code
   * LOBBY_CLUSTER_BOOTSTRAP=on}), or from the seed nodes of {@code LOBBY_SEED_NODES}
   * (comma-separated), or this node itself; with {@code LOBBY_CLUSTER_TLS=on} the nodes speak TLS
   * with mutual authentication ({@link ClusterTls}).
   *
   * @param env the environment variables
   * @throws ConfigException when bootstrap and seed nodes are both asked for, or TLS is on and a
   *     store is missing or does not open
   */
  static Config configuration(Config loaded, Map<String, String> env) {
    if (!loaded.getBoolean("lobby.cluster.enabled")) {
      return loaded;
    }
    Map<String, Object> cluster = new HashMap<>();
    cluster.put("pekko.actor.provider", "cluster");
    String seeds = env.get("LOBBY_SEED_NODES");
    boolean seedsGiven = seeds != null && !seeds.isBlank();
    if (loaded.getBoolean("lobby.cluster.bootstrap")) {
      if (seedsGiven) {
        throw new ConfigException.Generic(
            "LOBBY_SEED_NODES is set, but LOBBY_CLUSTER_BOOTSTRAP=on (lobby.cluster.bootstrap)"
                + " forms the cluster from service discovery instead: set one or the other");
      }
    } else {
      List<String> seedNodes =
          seedsGiven
              ? Arrays.stream(seeds.split(",")).map(String::strip).toList()
              : loaded.getStringList("pekko.cluster.seed-nodes").isEmpty()
                  ? List.of(
                      "pekko://lobby@"
                          + loaded.getString("pekko.remote.artery.canonical.hostname")
                          + ":"
                          + loaded.getInt("pekko.remote.artery.canonical.port"))
                  : loaded.getStringList("pekko.cluster.seed-nodes");
      cluster.put("pekko.cluster.seed-nodes", ConfigValueFactory.fromIterable(seedNodes));
    }
    if (ClusterTls.on(env)) {
      cluster.put("pekko.remote.artery.transport", "tls-tcp");
    }
    Config config = ConfigFactory.parseMap(cluster).withFallback(loaded);
    if (config.getString("pekko.remote.artery.transport").equals("tls-tcp")) {
      ClusterTls.checkStores(config);
    }
    return config;
  }
}
