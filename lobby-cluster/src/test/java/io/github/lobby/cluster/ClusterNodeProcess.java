package io.github.lobby.cluster;

import com.typesafe.config.ConfigFactory;
import io.github.lobby.http.LobbyServer;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;

/**
 * A cluster node with a Lobby server in a process of its own, for {@link ClusterCrashTest} to kill:
 * joins the seed node given as the first argument, with the configuration (HOCON) given as the
 * second, binds a free port on 127.0.0.1, prints {@code PORT <n>} and runs until killed.
 */
final class ClusterNodeProcess {

  private ClusterNodeProcess() {}

  /** A node process that started, and the port its server listens on. */
  record Launched(Process process, int port) {}

  /**
   * Starts a node in a process of its own that joins {@code seed} with {@code settings} (HOCON),
   * and waits for its port; its later output is read and dropped.
   */
  static Launched launch(org.apache.pekko.actor.Address seed, String settings)
      throws java.io.IOException {
    Process process =
        new ProcessBuilder(
                java.nio.file.Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx256m",
                // As this JVM has it (the module's surefire configuration): the class path is the
                // same, with Cluster Bootstrap's older Pekko Discovery.
                "-Dpekko.fail-mixed-versions="
                    + System.getProperty("pekko.fail-mixed-versions", "on"),
                "-cp",
                System.getProperty("java.class.path"),
                ClusterNodeProcess.class.getName(),
                seed.toString(),
                settings)
            .redirectErrorStream(true)
            .start();
    java.io.BufferedReader output =
        new java.io.BufferedReader(
            new java.io.InputStreamReader(
                process.getInputStream(), java.nio.charset.StandardCharsets.UTF_8));
    String line;
    while ((line = output.readLine()) != null && !line.startsWith("PORT ")) {
      // start-up output
    }
    if (line == null) {
      process.destroyForcibly();
      throw new AssertionError("the node process ended without printing its port");
    }
    Thread drain = new Thread(() -> output.lines().forEach(l -> {}));
    drain.setDaemon(true);
    drain.start();
    return new Launched(process, Integer.parseInt(line.substring(5)));
  }

  public static void main(String[] args) {
    ActorSystem<Void> system =
        ActorSystem.create(
            Behaviors.empty(),
            "lobby",
            ConfigFactory.parseString(
                    "pekko.cluster.seed-nodes = [\"" + args[0] + "\"]\n" + args[1])
                .withFallback(ConfigFactory.load()));
    LobbyServer server = LobbyServer.builder(system).start().toCompletableFuture().join();
    System.out.println("PORT " + server.localAddress().getPort());
    System.out.flush();
  }
}
