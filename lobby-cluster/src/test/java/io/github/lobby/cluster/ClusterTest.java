package io.github.lobby.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.github.lobby.core.Lobby;
import io.github.lobby.core.Mode;
import io.github.lobby.core.RoomId;
import io.github.lobby.core.SessionId;
import io.github.lobby.core.Transport;
import io.github.lobby.http.LobbyServer;
import io.github.lobby.testkit.TestClient;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Join;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Three ActorSystems in one JVM form a cluster on 127.0.0.1 with random ports, each serving
 * WebSockets; real clients on different nodes share one room.
 */
class ClusterTest {

  private static final ObjectMapper JSON = new ObjectMapper();

  /**
   * What every test node has: a cluster on 127.0.0.1 with fast failure detection, and Lobby with
   * clustering on. The crash test's separate process starts from it too.
   */
  static final String CLUSTER_NODE =
      """
      pekko.actor.provider = cluster
      pekko.remote.artery.canonical.hostname = 127.0.0.1
      pekko.remote.artery.canonical.port = 0
      pekko.cluster.jmx.multi-mbeans-in-same-jvm = on
      pekko.cluster.downing-provider-class = "org.apache.pekko.cluster.sbr.SplitBrainResolverProvider"
      pekko.cluster.split-brain-resolver.stable-after = 2s
      pekko.cluster.failure-detector.acceptable-heartbeat-pause = 2s
      pekko.cluster.typed.receptionist.distributed-data.gossip-interval = 200ms
      pekko.coordinated-shutdown.run-by-jvm-shutdown-hook = off
      pekko.loglevel = WARNING
      lobby.http { host = 127.0.0.1, port = 0, admin-token = cluster-test-admin-token }
      lobby.cluster.enabled = on
      """;

  private static final Config NODE =
      ConfigFactory.parseString(
              CLUSTER_NODE
                  + """
              lobby.cluster.resync-interval = 500ms
              lobby.cluster.member-lease = 2s
              # Client messages (and so whispers) larger than half an Artery frame.
              lobby.max-message-bytes = 512 KiB
              # Sessions that the tests connect without a client do not answer Pings.
              lobby.client-timeout = 120s
              # 10,000 join notices in a burst are not what these tests are about.
              lobby.outbound-buffer = 16384
              """)
          .withFallback(ConfigFactory.load());

  private TestCluster cluster;
  private List<ActorSystem<Void>> systems;
  private List<LobbyServer> servers;

  @BeforeEach
  void formCluster() throws Exception {
    // lobby.cluster.enabled: nothing else to do
    cluster = new TestCluster(3, NODE, TestCluster::start);
    systems = cluster.systems;
    servers = cluster.servers;
  }

  @AfterEach
  void stop() {
    cluster.close();
  }

  /** A JSON-mode session over a real socket (the testkit's client), with the id it was given. */
  static final class Client {
    final TestClient client;
    final String id;

    Client(LobbyServer server, String room) {
      this(server.localAddress().getPort(), room);
    }

    Client(int port, String room) {
      client = TestClient.connectJson(URI.create("ws://127.0.0.1:" + port + "/" + room));
      id = client.welcomeId();
    }

    JsonNode next() {
      return next(Duration.ofSeconds(15));
    }

    JsonNode next(Duration timeout) {
      try {
        return JSON.readTree(client.next(timeout));
      } catch (Exception e) {
        throw new AssertionError(e);
      }
    }

    /** The next frame of this type, skipping others (join notices while views converge). */
    JsonNode next(String type) {
      JsonNode frame;
      do {
        frame = next();
      } while (!frame.get("type").asText().equals(type));
      return frame;
    }

    /** The frames received and not yet taken. */
    List<JsonNode> drain() {
      List<JsonNode> frames = new ArrayList<>();
      while (client.pending() > 0) {
        frames.add(next());
      }
      return frames;
    }

    void send(String json) {
      client.send(json);
    }

    /** Asks for the member list until it holds exactly these ids (views converge). */
    void awaitMembers(Set<String> expected) throws InterruptedException {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
      Set<String> seen = Set.of();
      while (System.nanoTime() < deadline) {
        send("{\"type\":\"members\"}");
        JsonNode members = next("members");
        Set<String> now = new HashSet<>();
        members.get("members").forEach(m -> now.add(m.asText()));
        seen = now;
        if (now.equals(expected)) {
          return;
        }
        Thread.sleep(200);
      }
      Set<String> missing = new HashSet<>(expected);
      missing.removeAll(seen);
      Set<String> extra = new HashSet<>(seen);
      extra.removeAll(expected);
      throw new AssertionError(
          seen.size()
              + " members, "
              + expected.size()
              + " expected; missing (up to 5): "
              + missing.stream().limit(5).toList()
              + " of "
              + missing.size()
              + ", not expected: "
              + extra.stream().limit(5).toList()
              + " of "
              + extra.size());
    }
  }

  @Test
  void oneRoomSpansThreeNodes() throws Exception {
    String room = "spanning";
    Client a = new Client(servers.get(0), room);
    Client b = new Client(servers.get(1), room);
    Client c = new Client(servers.get(2), room);
    Set<String> all = Set.of(a.id, b.id, c.id);
    for (Client client : List.of(a, b, c)) {
      client.awaitMembers(all);
    }
    a.client.clear();
    b.client.clear();
    c.client.clear();

    // Broadcast reaches every member on every node, sender included.
    b.send("{\"type\":\"message\",\"msg\":\"hello from node 2\"}");
    for (Client client : List.of(a, b, c)) {
      JsonNode message = client.next("message");
      assertEquals(b.id, message.get("id").asText());
      assertEquals("hello from node 2", message.get("msg").asText());
      assertEquals(room, message.get("room_id").asText());
    }

    // 200 messages from one sender arrive in order on every node.
    for (int i = 0; i < 200; i++) {
      a.send("{\"type\":\"message\",\"msg\":" + i + "}");
    }
    for (Client client : List.of(a, b, c)) {
      for (int i = 0; i < 200; i++) {
        JsonNode message = client.next("message");
        assertEquals(a.id, message.get("id").asText());
        assertEquals(i, message.get("msg").asInt());
      }
    }

    // A whisper reaches a session on another node, and only it.
    a.send("{\"type\":\"whisper\",\"to\":\"" + c.id + "\",\"msg\":\"psst\"}");
    JsonNode whisper = c.next("whisper");
    assertEquals(a.id, whisper.get("id").asText());
    assertEquals(c.id, whisper.get("to").asText());
    assertEquals("psst", whisper.get("msg").asText());
    // A whisper to a session on no node: "no session" once every node has said so.
    String nobody = java.util.UUID.randomUUID().toString();
    a.send("{\"type\":\"whisper\",\"to\":\"" + nobody + "\",\"msg\":\"hello?\"}");
    JsonNode error = a.next("error");
    assertEquals("no_session", error.get("code").asText());
    assertTrue(b.drain().stream().noneMatch(f -> f.get("type").asText().equals("whisper")));

    // A join on one node is told on the others.
    Client d = new Client(servers.get(1), room);
    for (Client client : List.of(a, c)) {
      assertEquals(d.id, client.next("joined").get("id").asText());
    }

    // A client that leaves is told on every node, once.
    d.client.close();
    for (Client client : List.of(a, b, c)) {
      JsonNode left = client.next("left");
      assertEquals(d.id, left.get("id").asText());
      assertEquals("closed", left.get("reason").asText());
    }

    // A node that joins later sees the members already there.
    ActorSystem<Void> late = ActorSystem.create(Behaviors.empty(), "lobby", NODE);
    systems.add(late);
    Cluster.get(late)
        .manager()
        .tell(Join.create(Cluster.get(systems.get(0)).selfMember().address()));
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (TestCluster.upMembers(late) != 4) {
      assertTrue(System.nanoTime() < deadline, "the late node joined within 30 s");
      Thread.sleep(100);
    }
    LobbyServer lateServer =
        LobbyServer.builder(late)
            .config(NODE)
            .federation(ClusterFederation.fromConfig(NODE))
            .start()
            .toCompletableFuture()
            .get(20, TimeUnit.SECONDS);
    Client e = new Client(lateServer, room);
    e.awaitMembers(Set.of(a.id, b.id, c.id, e.id));
    assertEquals(e.id, a.next("joined").get("id").asText());

    // A node stopped abruptly: its member leaves once on the other nodes.
    systems.get(2).terminate();
    for (Client client : List.of(a, b, e)) {
      JsonNode left = client.next("left");
      assertEquals(c.id, left.get("id").asText());
    }
    a.awaitMembers(Set.of(a.id, b.id, e.id));
    for (Client client : List.of(a, b, e)) {
      List<JsonNode> meanwhile = client.drain();
      assertTrue(
          meanwhile.stream().noneMatch(f -> f.get("type").asText().equals("left")),
          "told once: " + meanwhile);
    }
  }

  @Test
  void messagesAndMemberListsLargerThanAnArteryFrameReachEveryNode() throws Exception {
    String room = "big";
    Client a = new Client(servers.get(0), room);
    Client b = new Client(servers.get(1), room);
    Client c = new Client(servers.get(2), room);
    Set<String> expected = new HashSet<>(Set.of(a.id, b.id, c.id));
    for (Client client : List.of(a, b, c)) {
      client.awaitMembers(expected);
      client.client.clear();
    }

    // An admin push of nearly lobby.http.max-body (1 MiB), over Artery's 256 KiB frame, some of
    // it two bytes a character in UTF-8, reaches the members of every node unchanged.
    String value = "é".repeat(200_000) + "x".repeat(500_000);
    HttpResponse<String> response =
        HttpClient.newHttpClient()
            .send(
                HttpRequest.newBuilder(
                        URI.create(
                            "http://127.0.0.1:"
                                + servers.get(0).localAddress().getPort()
                                + "/rooms/"
                                + room
                                + "/messages"))
                    .header("Authorization", "Bearer cluster-test-admin-token")
                    .header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString("\"" + value + "\""))
                    .build(),
                HttpResponse.BodyHandlers.ofString());
    assertEquals(200, response.statusCode(), response.body());
    for (Client client : List.of(a, b, c)) {
      JsonNode message = client.next("message");
      assertEquals(value, message.get("msg").asText());
    }
    // So does a whisper of 300,000 characters (up to 900 KB in UTF-8) to a member on node 3.
    String secret = "ü".repeat(100_000) + "s".repeat(200_000);
    a.send(JSON.writeValueAsString(Map.of("type", "whisper", "to", c.id, "msg", secret)));
    assertEquals(secret, c.next("whisper").get("msg").asText());

    // 10,000 members on node 2: node 2's snapshot (some 400 KB) must keep renewing them on the
    // other nodes, or they expire after member-lease (2 s here).
    for (int i = 0; i < 10_000; i++) {
      SessionId id = SessionId.random();
      expected.add(id.toString());
      servers
          .get(1)
          .lobby()
          // Sessions without sockets: a test's own way in, past the narrowed reference.
          .<Lobby.Command>unsafeUpcast()
          .tell(
              new Lobby.Connect(
                  // Classic: its welcome does not list the members (10,000 JSON lists of up to
                  // 10,000 ids would be most of this test's time).
                  id,
                  new RoomId(room),
                  Mode.CLASSIC,
                  Transport.textSink(frame -> {}),
                  systems.get(1).ignoreRef()));
    }
    a.awaitMembers(expected);
    c.awaitMembers(expected);
    a.client.clear();
    Thread.sleep(4_000); // twice the lease with no event from node 2: only snapshots renew it
    List<JsonNode> meanwhile = a.drain();
    assertTrue(
        meanwhile.stream().noneMatch(f -> f.get("type").asText().equals("left")),
        "nobody left while node 2 kept reporting its members: " + meanwhile);
    a.awaitMembers(expected);
  }
}
