package io.github.lobby.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.github.lobby.testkit.TestClient;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.apache.pekko.actor.typed.ActorSystem;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * History across a cluster of three nodes (PROTOCOL.md section 8): every node gives a broadcast
 * the same offset, broadcasts of senders on different nodes reach every node in one order, and a
 * client that reconnects to another node recovers what it missed there, exactly once and in order.
 * One cluster for all the tests (each uses rooms of its own): forming one takes seconds.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ClusterHistoryTest {

  static final String HISTORY =
      """
      lobby.history.size = 100
      lobby.cluster.resync-interval = 500ms
      lobby.cluster.member-lease = 2s
      lobby.client-timeout = 120s
      """;

  private static final Config NODE =
      ConfigFactory.parseString(
              ClusterTest.CLUSTER_NODE
                  + HISTORY
                  // A room ends with its last member here, so sequencers can be seen to end.
                  + "lobby.history.max-kept-rooms = 0\nlobby.heartbeat-interval = 1s\n"
                  // Pekko's idle passivation, were it on for sequencers, would act within the test.
                  + "pekko.cluster.sharding.passivation.default-idle-strategy.idle-entity.timeout"
                  + " = 1s\n")
          .withFallback(ConfigFactory.load());

  private TestCluster cluster;
  private final List<TestClient> clients = new ArrayList<>();

  @BeforeAll
  void formCluster() throws Exception {
    cluster = new TestCluster(3, NODE, TestCluster::start);
  }

  @AfterEach
  void closeClients() {
    clients.forEach(TestClient::close);
    clients.clear();
  }

  @AfterAll
  void stop() {
    cluster.close();
  }

  /** Whether any node runs the sequencer of {@code room}. */
  private boolean sequencerRuns(String room) throws Exception {
    for (ActorSystem<Void> system : cluster.systems) {
      if (TestCluster.hostsSequencer(system, room)) {
        return true;
      }
    }
    return false;
  }

  @Test
  void aBusyRoomsSequencerIsNotPassivatedForIdlenessItsEpochStays() throws Exception {
    Joined a = join(0, "busy");
    Joined b = join(1, "busy");
    for (int i = 1; i <= 8; i++) { // 4 s of traffic, straight to the sequencer
      a.client().send("{\"type\":\"message\",\"msg\":\"m" + i + "\"}");
      assertEquals(List.of("m" + i + "@" + i), messages(b.client(), 1), "no reset meanwhile");
      Thread.sleep(500);
    }
    Joined c = join(2, "busy");
    assertEquals(a.welcome().get("epoch"), c.welcome().get("epoch"), "the same sequencer");
    assertEquals(8, c.welcome().get("offset").asLong());
  }

  @Test
  void aSequencerEndsOnceNoNodeHasItsRoom() throws Exception {
    Joined a = join(0, "ends");
    Joined b = join(1, "ends");
    a.client().send("{\"type\":\"message\",\"msg\":\"x\"}");
    assertEquals(List.of("x@1"), messages(b.client(), 1));
    assertTrue(sequencerRuns("ends"));
    a.client().close();
    b.client().close();
    long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
    while (sequencerRuns("ends")) {
      assertTrue(System.nanoTime() < deadline, "the sequencer passivated");
      Thread.sleep(200);
    }
    // The room starts again with a new sequencer, so a new epoch.
    Joined again = join(2, "ends");
    assertTrue(
        !again.welcome().get("epoch").equals(a.welcome().get("epoch")),
        "a new epoch: " + again.welcome());
    assertEquals(0, again.welcome().get("offset").asLong());
  }

  private int port(int node) {
    return cluster.servers.get(node).localAddress().getPort();
  }

  /** Connects in JSON mode and returns the client with its welcome taken. */
  private Joined join(int node, String target) {
    TestClient client =
        TestClient.connectJson(URI.create("ws://127.0.0.1:" + port(node) + "/" + target));
    clients.add(client);
    return new Joined(client, client.nextJson("welcome"));
  }

  record Joined(TestClient client, JsonNode welcome) {
    String id() {
      return welcome.get("id").asText();
    }
  }

  /** The next {@code count} messages (skipping presence frames): "msg@offset" each. */
  private static List<String> messages(TestClient client, int count) {
    List<String> seen = new ArrayList<>();
    while (seen.size() < count) {
      JsonNode frame = client.nextJson();
      if (frame.get("type").asText().equals("message")) {
        seen.add(frame.get("msg").asText() + "@" + frame.get("offset").asLong());
      }
    }
    return seen;
  }

  @Test
  void broadcastsFromTwoNodesReachEveryNodeInOneOrderWithTheSameOffsets() {
    Joined a = join(0, "order");
    Joined b = join(1, "order");
    Joined c = join(2, "order");
    assertEquals(a.welcome().get("epoch"), b.welcome().get("epoch"), "one epoch on every node");
    assertEquals(a.welcome().get("epoch"), c.welcome().get("epoch"));
    for (int i = 0; i < 30; i++) {
      a.client().send("{\"type\":\"message\",\"msg\":\"a" + i + "\"}");
      b.client().send("{\"type\":\"message\",\"msg\":\"b" + i + "\"}");
    }
    List<String> atA = messages(a.client(), 60);
    List<String> atB = messages(b.client(), 60);
    List<String> atC = messages(c.client(), 60);
    assertEquals(atA, atB, "same order and offsets on nodes 0 and 1");
    assertEquals(atA, atC, "same order and offsets on nodes 0 and 2");
    for (int i = 0; i < 60; i++) {
      assertTrue(atA.get(i).endsWith("@" + (i + 1)), "offsets without gaps: " + atA);
    }
    // Each sender's own order holds.
    assertEquals(
        java.util.stream.IntStream.range(0, 30).mapToObj(i -> "a" + i).toList(),
        atA.stream().map(m -> m.substring(0, m.indexOf('@'))).filter(m -> m.startsWith("a")).toList());
  }

  @Test
  void aBroadcastWithARefIsAckedWithTheSequencersOffsetAfterItCameBackAndARepeatIsNotSentAgain() {
    Joined a = join(0, "acked");
    Joined b = join(1, "acked");
    b.client().send("{\"type\":\"message\",\"msg\":\"first\"}");
    assertEquals(List.of("first@1"), messages(a.client(), 1));
    a.client().send("{\"type\":\"message\",\"msg\":\"mine\",\"ref\":\"r-1\"}");
    // Its own copy, numbered by the sequencer on another node, then the ack with that offset.
    JsonNode own = a.client().nextJson();
    assertEquals("mine@2", own.get("msg").asText() + "@" + own.get("offset").asLong());
    assertEquals("{\"type\":\"ack\",\"ref\":\"r-1\",\"offset\":2}", a.client().next());
    a.client().send("{\"type\":\"message\",\"msg\":\"mine\",\"ref\":\"r-1\"}");
    assertEquals("{\"type\":\"ack\",\"ref\":\"r-1\",\"offset\":2}", a.client().next());
    // A whisper with a ref to a session of another node: acknowledged once delivered there.
    a.client()
        .send(
            "{\"type\":\"whisper\",\"to\":\""
                + b.id()
                + "\",\"msg\":\"psst\",\"ref\":\"w-1\"}");
    assertEquals("{\"type\":\"ack\",\"ref\":\"w-1\"}", a.client().next());
    assertEquals(List.of("first@1", "mine@2"), messages(b.client(), 2), "mine came once");
    assertEquals("psst", b.client().nextJson("whisper").get("msg").asText());
    b.client().expectNothing(Duration.ofMillis(300));
  }

  @Test
  void aClientThatReconnectsToAnotherNodeRecoversWhatItMissedThere() {
    Joined a = join(0, "recover");
    Joined b = join(1, "recover");
    String epoch = b.welcome().get("epoch").asText();
    for (int i = 1; i <= 5; i++) {
      a.client().send("{\"type\":\"message\",\"msg\":\"m" + i + "\"}");
    }
    assertEquals(List.of("m1@1", "m2@2", "m3@3", "m4@4", "m5@5"), messages(b.client(), 5));
    b.client().abort(); // its connection drops
    for (int i = 6; i <= 12; i++) {
      a.client().send("{\"type\":\"message\",\"msg\":\"m" + i + "\"}");
    }
    assertEquals(12, Integer.parseInt(messages(a.client(), 12).get(11).split("@")[1]));

    // Back on node 2, which has had no member of the room so far.
    Joined again = join(2, "recover?since=5&epoch=" + epoch);
    assertTrue(again.welcome().get("recovered").asBoolean(), "recovered: " + again.welcome());
    assertEquals(epoch, again.welcome().get("epoch").asText());
    assertEquals(12, again.welcome().get("offset").asLong());
    List<String> expected = new ArrayList<>();
    for (int i = 6; i <= 12; i++) {
      expected.add("m" + i + "@" + i);
    }
    assertEquals(expected, messages(again.client(), 7), "the missed ones, in order, once");
    a.client().send("{\"type\":\"message\",\"msg\":\"live\"}");
    assertEquals(List.of("live@13"), messages(again.client(), 1), "then live, no duplicate");

    // A gap the history does not cover, or another epoch: recovered false, nothing replayed.
    Joined stranger = join(1, "recover?since=3&epoch=0000000000000000");
    assertFalse(stranger.welcome().get("recovered").asBoolean());
    a.client().send("{\"type\":\"message\",\"msg\":\"after\"}");
    assertEquals(List.of("after@14"), messages(stranger.client(), 1), "no replay before it");
  }

  @Test
  void theAdminViewOfTheHistoryIsTheSameOnEveryNode() throws Exception {
    Joined a = join(0, "admin");
    join(2, "admin");
    for (int i = 1; i <= 3; i++) {
      a.client().send("{\"type\":\"message\",\"msg\":\"x" + i + "\"}");
    }
    messages(a.client(), 3);
    Set<String> views = new java.util.HashSet<>();
    for (int node : new int[] {0, 2}) {
      views.add(history(node, "admin", 1));
    }
    assertEquals(1, views.size(), "one history: " + views);
    JsonNode view = new com.fasterxml.jackson.databind.ObjectMapper().readTree(views.iterator().next());
    assertEquals(3, view.get("offset").asLong());
    assertEquals(2, view.get("messages").size(), "after offset 1: " + view);
  }

  private String history(int node, String room, long since) throws Exception {
    var http = java.net.http.HttpClient.newHttpClient();
    var response =
        http.send(
            java.net.http.HttpRequest.newBuilder(
                    URI.create(
                        "http://127.0.0.1:" + port(node) + "/rooms/" + room + "/history?since=" + since))
                .header("Authorization", "Bearer cluster-test-admin-token")
                .timeout(Duration.ofSeconds(10))
                .build(),
            java.net.http.HttpResponse.BodyHandlers.ofString());
    assertEquals(200, response.statusCode(), response.body());
    return response.body();
  }
}
