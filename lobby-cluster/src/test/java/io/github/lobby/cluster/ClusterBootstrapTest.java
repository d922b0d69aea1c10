package io.github.lobby.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import io.github.lobby.http.LobbyServer;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.junit.jupiter.api.Test;

/**
 * Nodes with no seed nodes at all form one cluster with Cluster Bootstrap ({@code
 * lobby.cluster.bootstrap = on}), from what Pekko Discovery's {@code config} method lists: the
 * Pekko Management endpoints of the nodes, on 127.0.0.1.
 */
class ClusterBootstrapTest {

  /**
   * A node that forms its cluster by bootstrap, its own Pekko Management on {@code port}, finding
   * the others at {@code ports} (its own among them), with short bootstrap timings.
   */
  static Config node(int port, List<Integer> ports) {
    String endpoints =
        ports.stream()
            .map(p -> "{ host = \"127.0.0.1\", port = " + p + " }")
            .collect(Collectors.joining(", "));
    return ConfigFactory.parseString(
            ClusterTest.CLUSTER_NODE
                + """
                lobby.cluster.bootstrap = on
                lobby.cluster.resync-interval = 500ms
                lobby.cluster.member-lease = 2s
                lobby.client-timeout = 120s
                pekko.management.http.hostname = 127.0.0.1
                pekko.management.http.port = %d
                pekko.discovery.method = config
                pekko.discovery.config.services.lobby.endpoints = [ %s ]
                pekko.management.cluster.bootstrap {
                  contact-point-discovery {
                    service-name = lobby
                    required-contact-point-nr = %d
                    stable-margin = 1s
                    interval = 250ms
                    exponential-backoff-max = 1s
                  }
                  contact-point {
                    # Each node's management port differs: probe every endpoint listed, not only
                    # those on this node's port.
                    filter-on-fallback-port = off
                    probe-interval = 250ms
                    probing-failure-timeout = 2s
                  }
                }
                """
                    .formatted(port, endpoints, ports.size()))
        .withFallback(ConfigFactory.load());
  }

  @Test
  void nodesWithoutSeedNodesFormOneClusterFromDiscoveryAndCarryARoom() throws Exception {
    List<Integer> ports =
        List.of(TestCluster.freePort(), TestCluster.freePort(), TestCluster.freePort());
    List<Config> configs = new ArrayList<>();
    for (int port : ports) {
      Config config = node(port, ports);
      assertEquals(List.of(), config.getStringList("pekko.cluster.seed-nodes"));
      configs.add(config);
    }
    try (TestCluster cluster = TestCluster.formedByBootstrap(configs, TestCluster::start)) {
      ClusterTest.Client a = new ClusterTest.Client(cluster.servers.get(0), "discovered");
      ClusterTest.Client c = new ClusterTest.Client(cluster.servers.get(2), "discovered");
      Set<String> both = Set.of(a.id, c.id);
      a.awaitMembers(both);
      c.awaitMembers(both);

      c.send("{\"type\":\"message\",\"msg\":\"found by discovery\"}");
      JsonNode message = a.next("message");
      assertEquals(c.id, message.get("id").asText());
      assertEquals("found by discovery", message.get("msg").asText());
    }
  }

  @Test
  void bootstrapWithSeedNodesTooIsRefusedAtStart() {
    Config both =
        ConfigFactory.parseString(
                "pekko.cluster.seed-nodes = [\"pekko://lobby@127.0.0.1:2552\"]")
            .withFallback(node(8558, List.of(8558)));
    ConfigException refused =
        assertThrows(ConfigException.class, () -> ClusterFederation.fromConfig(both));
    assertTrue(refused.getMessage().contains("lobby.cluster.bootstrap"), refused.getMessage());
    assertTrue(refused.getMessage().contains("pekko.cluster.seed-nodes"), refused.getMessage());
  }

  @Test
  void aNodeWhoseManagementPortIsTakenStops() throws Exception {
    try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      int port = taken.getLocalPort();
      Config config = node(port, List.of(port));
      ActorSystem<Void> system = ActorSystem.create(Behaviors.empty(), "lobby", config);
      try {
        // Pekko Management cannot bind: the node would never be found, so it stops (whether or
        // not the server had bound its own port by then).
        LobbyServer.builder(system).config(config).start();
        system.getWhenTerminated().toCompletableFuture().get(20, TimeUnit.SECONDS);
      } finally {
        system.terminate();
      }
    }
  }
}
