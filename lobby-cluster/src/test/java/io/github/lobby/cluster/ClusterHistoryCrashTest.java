package io.github.lobby.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
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
import org.apache.pekko.actor.typed.ActorSystem;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The node that holds a room's sequencer is killed (SIGKILL): its history is lost with it. The
 * room on the surviving node must get a new epoch from a new sequencer, tell its client that the
 * history was reset, deliver a broadcast that was on its way to the dead sequencer (sent again,
 * not lost), answer a reconnect with the old epoch {@code recovered:false}, and keep working.
 * Downing as in {@link ClusterCrashTest}.
 */
class ClusterHistoryCrashTest {

  private static final String SETTINGS =
      ClusterTest.CLUSTER_NODE
          + ClusterHistoryTest.HISTORY
          + """
      lobby.cluster.member-lease = 60s
      """;

  private static final Config NODE =
      ConfigFactory.parseString(SETTINGS).withFallback(ConfigFactory.load());

  private static final com.fasterxml.jackson.databind.ObjectMapper JSON =
      new com.fasterxml.jackson.databind.ObjectMapper();

  private CrashCluster crash;
  private final List<TestClient> clients = new ArrayList<>();

  @AfterEach
  void stop() {
    clients.forEach(TestClient::close);
    if (crash != null) {
      crash.close();
    }
  }

  private TestClient connect(int port, String target) {
    TestClient client = TestClient.connectJson(URI.create("ws://127.0.0.1:" + port + "/" + target));
    clients.add(client);
    return client;
  }

  /** The next message frame, skipping presence. */
  private static JsonNode nextMessage(TestClient client) {
    JsonNode frame;
    do {
      try {
        frame = JSON.readTree(client.next(Duration.ofSeconds(40)));
      } catch (java.io.IOException e) {
        throw new AssertionError(e);
      }
    } while (!frame.get("type").asText().equals("message")
        && !frame.get("type").asText().equals("error"));
    return frame;
  }

  @Test
  void killingTheSequencersNodeGivesANewEpochAndTheRoomKeepsWorking() throws Exception {
    crash = new CrashCluster(NODE, SETTINGS, true);
    ActorSystem<Void> seed = crash.seed;
    ActorSystem<Void> witness = crash.witness;
    int seedPort = crash.server.localAddress().getPort();
    Process process = crash.process;
    int port = crash.port;

    // A room whose sequencer is on the node to be killed.
    String room = null;
    TestClient local = null;
    for (int i = 0; i < 20 && room == null; i++) {
      String candidate = "kill-" + i;
      TestClient there = connect(port, candidate);
      there.nextJson("welcome");
      TestClient here = connect(seedPort, candidate);
      here.nextJson("welcome");
      if (!TestCluster.hostsSequencer(seed, candidate)
          && !TestCluster.hostsSequencer(witness, candidate)) {
        room = candidate;
        local = here;
      }
    }
    assertTrue(room != null, "a room's sequencer went to the other node");

    for (int i = 1; i <= 3; i++) {
      local.send("{\"type\":\"message\",\"msg\":\"m" + i + "\"}");
      assertEquals(i, nextMessage(local).get("offset").asLong());
    }
    local.clear();
    TestClient first = connect(seedPort, room);
    String epoch = first.nextJson("welcome").get("epoch").asText();

    process.destroyForcibly(); // SIGKILL
    assertTrue(process.waitFor(10, TimeUnit.SECONDS), "the node process died");
    // On its way to the dead sequencer: it must not be lost.
    local.send("{\"type\":\"message\",\"msg\":\"during\"}");

    JsonNode reset = nextMessage(local);
    assertEquals("error", reset.get("type").asText(), "told first: " + reset);
    assertEquals("history_reset", reset.get("code").asText());
    String newEpoch = reset.get("epoch").asText();
    assertNotEquals(epoch, newEpoch, "a new epoch");
    assertEquals(0, reset.get("offset").asLong(), "a new history: " + reset);
    JsonNode during = nextMessage(local);
    assertEquals("during", during.get("msg").asText(), "sent again to the new sequencer");
    assertEquals(1, during.get("offset").asLong());

    // A client of the old epoch learns that it may have missed something.
    TestClient back = connect(seedPort, room + "?since=3&epoch=" + epoch);
    JsonNode welcome = back.nextJson("welcome");
    assertFalse(welcome.get("recovered").asBoolean(), "recovered: " + welcome);
    assertEquals(newEpoch, welcome.get("epoch").asText());

    // The room keeps working, and recovers in its new epoch.
    local.send("{\"type\":\"message\",\"msg\":\"after\"}");
    assertEquals("after", nextMessage(back).get("msg").asText());
    JsonNode after = nextMessage(local);
    assertEquals(2, after.get("offset").asLong());
    TestClient recovering = connect(seedPort, room + "?since=1&epoch=" + newEpoch);
    JsonNode recovered = recovering.nextJson("welcome");
    assertTrue(recovered.get("recovered").asBoolean(), "recovered: " + recovered);
    JsonNode replayed = nextMessage(recovering);
    assertEquals("after", replayed.get("msg").asText());
    assertEquals(2, replayed.get("offset").asLong());
  }
}
