package io.github.lobby.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.github.lobby.testkit.TestClient;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The node that holds a room's sequencer leaves the cluster gracefully (its ActorSystem terminates:
 * Pekko's coordinated shutdown leaves the cluster and hands its shards off). The sequencer hands
 * its state over, and its successor on another node goes on in the same epoch: the room's members
 * see no reset, offsets go on without a gap, and a client that reconnects with the old epoch
 * recovers.
 */
class ClusterHandoffTest {

  private static final Config NODE =
      ConfigFactory.parseString(ClusterTest.CLUSTER_NODE + ClusterHistoryTest.HISTORY)
          .withFallback(ConfigFactory.load());

  private TestCluster cluster;
  private final List<TestClient> clients = new ArrayList<>();

  @AfterEach
  void stop() {
    clients.forEach(TestClient::close);
    if (cluster != null) {
      cluster.close();
    }
  }

  private TestClient connect(int node, String target) {
    TestClient client =
        TestClient.connectJson(
            URI.create(
                "ws://127.0.0.1:"
                    + cluster.servers.get(node).localAddress().getPort()
                    + "/"
                    + target));
    clients.add(client);
    return client;
  }

  /** The next message or error frame, skipping presence: "msg@offset", or the error's code. */
  private static String next(TestClient client) {
    while (true) {
      JsonNode frame = client.nextJson();
      String type = frame.get("type").asText();
      if (type.equals("message")) {
        return frame.get("msg").asText() + "@" + frame.get("offset").asLong();
      }
      if (type.equals("error")) {
        return "error " + frame.get("code").asText();
      }
    }
  }

  @Test
  void aSequencerWhoseNodeLeavesGoesOnElsewhereInTheSameEpoch() throws Exception {
    cluster = new TestCluster(3, NODE, TestCluster::start);
    String room = null;
    TestClient a = null;
    for (int i = 0; i < 30 && room == null; i++) {
      String candidate = "handoff-" + i;
      TestClient client = connect(0, candidate);
      client.nextJson("welcome");
      if (TestCluster.hostsSequencer(cluster.systems.get(2), candidate)) {
        room = candidate;
        a = client;
      }
    }
    assertTrue(room != null, "a room's sequencer went to node 2");
    TestClient b = connect(1, room);
    String epoch = b.nextJson("welcome").get("epoch").asText();
    for (int i = 1; i <= 3; i++) {
      a.send("{\"type\":\"message\",\"msg\":\"m" + i + "\"}");
      assertEquals("m" + i + "@" + i, next(b));
    }

    // Node 2 leaves; broadcasts go on meanwhile.
    cluster.systems.get(2).terminate();
    for (int i = 4; i <= 6; i++) {
      a.send("{\"type\":\"message\",\"msg\":\"m" + i + "\"}");
    }
    for (int i = 4; i <= 6; i++) {
      assertEquals("m" + i + "@" + i, next(b), "no reset, no gap, no copy");
    }
    cluster.systems.get(2).getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
    assertTrue(!TestCluster.hostsSequencer(cluster.systems.get(0), room)
        || !TestCluster.hostsSequencer(cluster.systems.get(1), room));
    a.send("{\"type\":\"message\",\"msg\":\"m7\"}");
    assertEquals("m7@7", next(b));

    TestClient back = connect(1, room + "?since=3&epoch=" + epoch);
    JsonNode welcome = back.nextJson("welcome");
    assertTrue(welcome.get("recovered").asBoolean(), "recovered: " + welcome);
    assertEquals(epoch, welcome.get("epoch").asText());
    assertEquals(List.of("m4@4", "m5@5", "m6@6", "m7@7"), List.of(next(back), next(back), next(back), next(back)));
    // b saw nothing else meanwhile but the recovering client's arrival: no reset, no copy.
    assertEquals(welcome.get("id").asText(), b.nextJson("joined").get("id").asText());
    b.expectNothing(Duration.ofMillis(300));
  }
}
