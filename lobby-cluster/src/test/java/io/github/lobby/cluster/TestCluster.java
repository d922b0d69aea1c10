package io.github.lobby.cluster;

import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import io.github.lobby.http.LobbyServer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.function.BiFunction;
import java.util.stream.StreamSupport;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Join;

/**
 * ActorSystems in this JVM that form one cluster on 127.0.0.1, each then serving a Lobby: what the
 * cluster tests start from.
 */
final class TestCluster implements AutoCloseable {

  final List<ActorSystem<Void>> systems = new ArrayList<>();
  final List<LobbyServer> servers = new ArrayList<>();

  private TestCluster() {}

  /**
   * Starts one system and its server per configuration, none told to join anything: the servers'
   * Lobbies start Cluster Bootstrap ({@code lobby.cluster.bootstrap = on}), which is to form one
   * cluster of them all; waits up to 30 s for it.
   */
  static TestCluster formedByBootstrap(
      List<Config> configs,
      BiFunction<ActorSystem<Void>, Config, CompletionStage<LobbyServer>> start)
      throws Exception {
    TestCluster cluster = new TestCluster();
    try {
      for (Config config : configs) {
        ActorSystem<Void> system = ActorSystem.create(Behaviors.empty(), "lobby", config);
        cluster.systems.add(system);
        cluster.servers.add(
            start.apply(system, config).toCompletableFuture().get(20, TimeUnit.SECONDS));
      }
      cluster.awaitUp(configs.size());
      return cluster;
    } catch (Exception | AssertionError e) {
      cluster.close();
      throw e;
    }
  }

  /**
   * Forms a cluster of {@code nodes} systems (waiting up to 30 s for all to be up), then starts a
   * server on each.
   */
  TestCluster(
      int nodes,
      Config config,
      BiFunction<ActorSystem<Void>, Config, CompletionStage<LobbyServer>> start)
      throws Exception {
    for (int i = 0; i < nodes; i++) {
      ActorSystem<Void> system = ActorSystem.create(Behaviors.empty(), "lobby", config);
      systems.add(system);
      Cluster.get(system)
          .manager()
          .tell(Join.create(Cluster.get(systems.get(0)).selfMember().address()));
    }
    awaitUp(nodes);
    for (ActorSystem<Void> system : systems) {
      servers.add(start.apply(system, config).toCompletableFuture().get(20, TimeUnit.SECONDS));
    }
  }

  /** Waits up to 30 s for every system to see {@code nodes} members up. */
  private void awaitUp(int nodes) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (!systems.stream().allMatch(s -> upMembers(s) == nodes)) {
      assertTrue(System.nanoTime() < deadline, "the cluster formed within 30 s");
      Thread.sleep(100);
    }
  }

  /** A port that was free on 127.0.0.1 a moment ago, for a server that must be named before. */
  static int freePort() throws java.io.IOException {
    try (java.net.ServerSocket socket =
        new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    }
  }

  /** A server on a node, configured by {@code config}. */
  static CompletionStage<LobbyServer> start(ActorSystem<Void> system, Config config) {
    return LobbyServer.builder(system).config(config).start();
  }

  /** How many members this system sees up. */
  static long upMembers(ActorSystem<?> system) {
    return StreamSupport.stream(Cluster.get(system).state().getMembers().spliterator(), false)
        .filter(m -> m.status() == MemberStatus.up())
        .count();
  }

  /** Whether this node's shard region runs the sequencer of {@code room}. */
  static boolean hostsSequencer(ActorSystem<?> system, String room) throws Exception {
    org.apache.pekko.cluster.sharding.ShardRegion.CurrentShardRegionState state =
        org.apache.pekko.actor.typed.javadsl.AskPattern
            .<Object, org.apache.pekko.cluster.sharding.ShardRegion.CurrentShardRegionState>ask(
                org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding.get(system)
                    .shardState()
                    .unsafeUpcast(),
                replyTo ->
                    new org.apache.pekko.cluster.sharding.typed.GetShardRegionState(
                        RoomSequencer.KEY, replyTo),
                java.time.Duration.ofSeconds(5),
                system.scheduler())
            .toCompletableFuture()
            .get(10, TimeUnit.SECONDS);
    return state.getShards().stream().anyMatch(s -> s.getEntityIds().contains(room));
  }

  @Override
  public void close() {
    for (ActorSystem<Void> system : systems) {
      system.terminate();
    }
    for (ActorSystem<Void> system : systems) {
      system.getWhenTerminated().toCompletableFuture().join();
    }
  }
}
