package io.github.lobby.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.github.lobby.cluster.ClusterTest.Client;
import io.github.lobby.http.LobbyServer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.StreamSupport;
import org.apache.pekko.actor.Address;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.cluster.typed.Cluster;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A cluster node killed with SIGKILL: no leave, no Close frames, no goodbye from its actors. The
 * survivors must notice through the failure detector, down it (Split Brain Resolver, keep-majority:
 * two nodes in this JVM against the killed one), and report each of its members as gone once.
 *
 * <p>What governs the time to notice, and why these settings: the failure detector marks the node
 * unreachable after {@code acceptable-heartbeat-pause} (2 s here, Pekko's default 3 s) and the
 * Split Brain Resolver downs it once the membership has been stable for {@code stable-after} (2 s
 * here, default 20 s), then the node is removed and every room tells its members. Lowered so the
 * test takes seconds; the member lease is raised to 60 s so that it is the downing that is tested,
 * not the lease. {@code -Dcrash-test.config="..."} overrides any of it (HOCON), to measure
 * other settings.
 */
class ClusterCrashTest {

  private static final String SETTINGS =
      ClusterTest.CLUSTER_NODE
          + """
      lobby.cluster.resync-interval = 1s
      lobby.cluster.member-lease = 60s
      """
          + System.getProperty("crash-test.config", "")
          + "\n";

  private static final Config NODE =
      ConfigFactory.parseString(SETTINGS).withFallback(ConfigFactory.load());

  private CrashCluster crash;

  @AfterEach
  void stop() {
    if (crash != null) {
      crash.close();
    }
  }

  private static boolean isMember(ActorSystem<?> system, Address address) {
    return StreamSupport.stream(Cluster.get(system).state().getMembers().spliterator(), false)
        .anyMatch(m -> m.address().equals(address));
  }

  @Test
  void aKilledNodesMembersLeaveOnceWithReasonErrorAndTheRoomKeepsWorking() throws Exception {
    crash = new CrashCluster(NODE, SETTINGS, false);
    ActorSystem<Void> seed = crash.seed;
    ActorSystem<Void> witness = crash.witness;
    Address seedAddress = Cluster.get(seed).selfMember().address();
    LobbyServer server = crash.server;
    Process process = crash.process;
    int port = crash.port;
    Address killed =
        StreamSupport.stream(Cluster.get(seed).state().getMembers().spliterator(), false)
            .map(m -> m.address())
            .filter(
                a ->
                    !a.equals(seedAddress)
                        && !a.equals(Cluster.get(witness).selfMember().address()))
            .findFirst()
            .orElseThrow();

    String room = "crash";
    Client a = new Client(server, room);
    Client b = new Client(server, room);
    List<Client> remote = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      remote.add(new Client(port, room));
    }
    Set<String> survivors = Set.of(a.id, b.id);
    Set<String> all = new java.util.HashSet<>(survivors);
    remote.forEach(c -> all.add(c.id));
    a.awaitMembers(all);
    b.awaitMembers(all);
    a.client.clear();
    b.client.clear();

    long killedAt = System.nanoTime();
    process.destroyForcibly(); // SIGKILL
    assertTrue(process.waitFor(10, TimeUnit.SECONDS), "the node process died");

    // Each of the killed node's members leaves once, with reason error, on the surviving node.
    long lastLeftAt = 0;
    for (Client client : List.of(a, b)) {
      Map<String, String> left = new HashMap<>();
      while (left.size() < remote.size()) {
        JsonNode frame = client.next(Duration.ofSeconds(40)); // every member of the killed node
        assertEquals("left", frame.get("type").asText(), "only departures meanwhile: " + frame);
        String previous = left.put(frame.get("id").asText(), frame.get("reason").asText());
        assertEquals(null, previous, "told once: " + frame);
        lastLeftAt = Math.max(lastLeftAt, System.nanoTime());
      }
      remote.forEach(c -> assertEquals("error", left.get(c.id), "reason of " + c.id));
    }
    long detectedMillis = TimeUnit.NANOSECONDS.toMillis(lastLeftAt - killedAt);
    System.out.printf(
        "SIGKILL to the last member's departure on the survivors: %d ms (%s)%n",
        detectedMillis,
        "acceptable-heartbeat-pause "
            + NODE.getDuration("pekko.cluster.failure-detector.acceptable-heartbeat-pause")
                .toMillis()
            + " ms, stable-after "
            + NODE.getDuration("pekko.cluster.split-brain-resolver.stable-after").toMillis()
            + " ms, member-lease "
            + NODE.getDuration("lobby.cluster.member-lease").toMillis()
            + " ms");
    // It was the downing: the node is out of the cluster (or on its way out).
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (isMember(seed, killed)) {
      assertTrue(System.nanoTime() < deadline, "the killed node was removed from the cluster");
      Thread.sleep(100);
    }

    // The room keeps working: messages, a new member, a member list of the survivors only.
    a.send("{\"type\":\"message\",\"msg\":\"still here\"}");
    for (Client client : List.of(a, b)) {
      JsonNode message = client.next("message");
      assertEquals(a.id, message.get("id").asText());
      assertEquals("still here", message.get("msg").asText());
    }
    Client c = new Client(server, room);
    assertEquals(c.id, a.next("joined").get("id").asText());
    a.awaitMembers(Set.of(a.id, b.id, c.id));
    Thread.sleep(1_000);
    for (Client client : List.of(a, b)) {
      List<JsonNode> meanwhile = client.drain();
      assertTrue(
          meanwhile.stream().noneMatch(f -> f.get("type").asText().equals("left")),
          "no departure told twice: " + meanwhile);
    }
  }
}
