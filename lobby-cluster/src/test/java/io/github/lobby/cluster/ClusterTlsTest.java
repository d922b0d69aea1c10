package io.github.lobby.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.StreamSupport;
import org.apache.pekko.actor.Address;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Join;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two nodes that speak Artery's tls-tcp transport with mutual authentication, each holding the
 * cluster's certificate and trusting only it, form a cluster and carry a room; a node with a
 * certificate of its own, which it made itself, neither joins nor gets a message to a node.
 */
class ClusterTlsTest {

  @TempDir static Path dir;

  private static Path clusterKeys;
  private static Path clusterTrust;
  private static TestCluster cluster;

  /** The settings every node here has, TLS aside. */
  private static final Config NODE =
      ConfigFactory.parseString(
          ClusterTest.CLUSTER_NODE
              + """
              lobby.cluster.resync-interval = 500ms
              lobby.cluster.member-lease = 2s
              lobby.client-timeout = 120s
              """);

  @BeforeAll
  static void formCluster() throws Exception {
    clusterKeys = TestCertificates.keyStore(dir, "cluster");
    clusterTrust = TestCertificates.trustStore(dir, "cluster-trust", "cluster");
    TestCertificates.keyStore(dir, "foreign");
    Config config =
        TestCertificates.tls(clusterKeys, clusterTrust, true)
            .withFallback(NODE)
            .withFallback(ConfigFactory.load());
    cluster = new TestCluster(2, config, TestCluster::start);
  }

  @AfterAll
  static void stop() {
    if (cluster != null) {
      cluster.close();
    }
  }

  @Test
  void nodesWithTheClusterCertificateCarryARoom() throws Exception {
    ClusterTest.Client a = new ClusterTest.Client(cluster.servers.get(0), "over-tls");
    ClusterTest.Client b = new ClusterTest.Client(cluster.servers.get(1), "over-tls");
    Set<String> both = Set.of(a.id, b.id);
    a.awaitMembers(both);
    b.awaitMembers(both);

    a.send("{\"type\":\"message\",\"msg\":\"across TLS\"}");
    JsonNode message = b.next("message");
    assertEquals(a.id, message.get("id").asText());
    assertEquals("across TLS", message.get("msg").asText());
  }

  @Test
  void aNodeWithAForeignCertificateNeitherJoinsNorReachesARoom() throws Exception {
    String room = "guarded";
    ClusterTest.Client a = new ClusterTest.Client(cluster.servers.get(0), room);
    a.awaitMembers(Set.of(a.id));
    a.client.clear();

    // The foreign node trusts the cluster's certificate (it is no secret), so that what keeps it
    // out is the cluster's side: its trust store, and that it asks every peer for a certificate.
    Path foreignTrust =
        TestCertificates.trustStore(dir, "foreign-trust-" + UUID.randomUUID(), "cluster");
    Config foreignConfig =
        TestCertificates.tls(dir.resolve("foreign.p12"), foreignTrust, true)
            .withFallback(NODE)
            .withFallback(ConfigFactory.load());
    ActorSystem<Void> foreign = ActorSystem.create(Behaviors.empty(), "lobby", foreignConfig);
    try {
      ActorSystem<Void> first = cluster.systems.get(0);
      Address firstAddress = Cluster.get(first).selfMember().address();
      Address foreignAddress = Cluster.get(foreign).selfMember().address();
      Cluster.get(foreign).manager().tell(Join.create(firstAddress));
      // And, not being a member, it sends a broadcast straight to the first node's hub.
      String forged = UUID.randomUUID().toString();
      Envelope injected =
          new Envelope(
              "message", room, foreignAddress.toString(), forged, null, "forged", null, null, null,
              null);
      String hub = firstAddress + "/system/lobby/cluster-hub";

      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(6);
      while (System.nanoTime() < deadline) {
        foreign.classicSystem().actorSelection(hub).tell(injected, null);
        for (ActorSystem<Void> member : cluster.systems) {
          assertFalse(
              addresses(member).contains(foreignAddress),
              "the foreign node is not a member of the cluster: " + addresses(member));
        }
        assertEquals(List.of(), addresses(foreign), "the foreign node sees no cluster");
        Thread.sleep(250);
      }
      for (ActorSystem<Void> member : cluster.systems) {
        assertEquals(2, TestCluster.upMembers(member));
      }
      assertTrue(
          a.drain().stream().noneMatch(f -> forged.equals(f.path("id").asText())),
          "no broadcast of the foreign node reached the room");
    } finally {
      foreign.terminate();
      foreign.getWhenTerminated().toCompletableFuture().get(20, TimeUnit.SECONDS);
    }
  }

  /** The addresses of the members a system knows of, in any status. */
  private static List<Address> addresses(ActorSystem<?> system) {
    return StreamSupport.stream(Cluster.get(system).state().getMembers().spliterator(), false)
        .map(m -> m.address())
        .toList();
  }
}
