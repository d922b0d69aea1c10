package io.github.lobby.cluster;

import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import io.github.lobby.http.LobbyServer;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.Address;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Join;

/**
 * A cluster of three for the crash tests: a seed with a server and a witness in this JVM (two of
 * three, so the majority survives), and a third node with a server in a process of its own, to be
 * killed ({@link ClusterNodeProcess}). Closing it kills the process and stops the systems.
 */
final class CrashCluster implements AutoCloseable {

  final ActorSystem<Void> seed;
  final ActorSystem<Void> witness;
  final LobbyServer server;
  final Process process;
  /** The process node's server port. */
  final int port;

  /**
   * Forms the cluster (waiting up to 30 s for all three to be up).
   *
   * @param node the configuration of the nodes in this JVM
   * @param settings the process node's configuration (HOCON)
   * @param serverOnWitness whether the witness serves a Lobby too (a history's sharding counts
   *     every node for its majority)
   */
  CrashCluster(Config node, String settings, boolean serverOnWitness) throws Exception {
    seed = ActorSystem.create(Behaviors.empty(), "lobby", node);
    witness = ActorSystem.create(Behaviors.empty(), "lobby", node);
    try {
      Launched started = form(node, settings, serverOnWitness);
      server = started.server();
      process = started.process();
      port = started.port();
    } catch (Exception | Error e) {
      stopSystems();
      throw e;
    }
  }

  private record Launched(LobbyServer server, Process process, int port) {}

  private Launched form(Config node, String settings, boolean serverOnWitness) throws Exception {
    Address seedAddress = Cluster.get(seed).selfMember().address();
    Cluster.get(seed).manager().tell(Join.create(seedAddress));
    Cluster.get(witness).manager().tell(Join.create(seedAddress));
    LobbyServer server =
        TestCluster.start(seed, node).toCompletableFuture().get(20, TimeUnit.SECONDS);
    if (serverOnWitness) {
      TestCluster.start(witness, node).toCompletableFuture().get(20, TimeUnit.SECONDS);
    }
    ClusterNodeProcess.Launched launched = ClusterNodeProcess.launch(seedAddress, settings);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (TestCluster.upMembers(seed) != 3) {
      if (System.nanoTime() >= deadline) {
        launched.process().destroyForcibly();
      }
      assertTrue(System.nanoTime() < deadline, "the cluster of three formed within 30 s");
      Thread.sleep(100);
    }
    return new Launched(server, launched.process(), launched.port());
  }

  @Override
  public void close() {
    process.destroyForcibly();
    stopSystems();
  }

  private void stopSystems() {
    seed.terminate();
    witness.terminate();
    seed.getWhenTerminated().toCompletableFuture().join();
    witness.getWhenTerminated().toCompletableFuture().join();
  }
}
