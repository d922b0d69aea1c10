package io.github.lobby.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.github.lobby.cluster.ClusterTest.Client;
import io.github.lobby.core.SessionId;
import io.github.lobby.core.auth.AuthResult;
import io.github.lobby.core.auth.Authenticator;
import io.github.lobby.core.auth.Principal;
import io.github.lobby.http.LobbyServer;
import io.github.lobby.testkit.TestClient;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.receptionist.Receptionist;
import org.apache.pekko.actor.typed.receptionist.ServiceKey;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Authenticated sessions on three nodes in one JVM (as {@link ClusterTest}): the users of members
 * of other nodes in presence frames, and whispers to a user whose sessions are on other nodes.
 */
class ClusterAuthTest {

  private static final ObjectMapper JSON = new ObjectMapper();

  private static final Duration WHISPER_TIMEOUT = Duration.ofSeconds(2);

  private static final Config NODE =
      ConfigFactory.parseString(
              ClusterTest.CLUSTER_NODE
                  + """
              lobby.cluster.resync-interval = 500ms
              lobby.cluster.member-lease = 2s
              lobby.cluster.whisper-timeout = 2s
              # Whispers larger than half an Artery frame.
              lobby.max-message-bytes = 512 KiB
              lobby.client-timeout = 120s
              """)
          .withFallback(ConfigFactory.load());

  /** The user is the {@code user} query parameter: who is who, without credentials. */
  private static final Authenticator BY_QUERY =
      request ->
          CompletableFuture.completedFuture(
              request
                  .queryParameter("user")
                  .<AuthResult>map(user -> AuthResult.Grant.of(Principal.of(user)))
                  .orElse(AuthResult.Refusal.unauthorized("no user")));

  private TestCluster cluster;
  private List<ActorSystem<Void>> systems;
  private List<LobbyServer> servers;

  @BeforeEach
  void formCluster() throws Exception {
    cluster =
        new TestCluster(
            3,
            NODE,
            (system, config) ->
                LobbyServer.builder(system)
                    .config(config)
                    .federation(ClusterFederation.fromConfig(config))
                    .authenticator(BY_QUERY)
                    .start());
    systems = cluster.systems;
    servers = cluster.servers;
  }

  @AfterEach
  void stop() {
    cluster.close();
  }

  private int port(int node) {
    return servers.get(node).localAddress().getPort();
  }

  /** A JSON-mode session of {@code user} in {@code room} on a node. */
  private Client connect(int node, String room, String user) {
    return new Client(port(node), room + "?user=" + user);
  }

  /** The next frame of this type about this session, skipping others. */
  private static JsonNode next(Client client, String type, String id) {
    JsonNode frame;
    do {
      frame = client.next(type);
    } while (!frame.path("id").asText().equals(id));
    return frame;
  }

  /** Waits until the Receptionist of {@code system} lists {@code count} services of a key. */
  private static void awaitServices(ActorSystem<?> system, ServiceKey<?> key, int count)
      throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (true) {
      Receptionist.Listing listing =
          AskPattern.<Receptionist.Command, Receptionist.Listing>ask(
                  system.receptionist(),
                  replyTo -> Receptionist.find(key, replyTo),
                  Duration.ofSeconds(5),
                  system.scheduler())
              .toCompletableFuture()
              .get();
      if (listing.getAllServiceInstances(key).size() == count) {
        return;
      }
      assertTrue(System.nanoTime() < deadline, "the Receptionist listed " + count + " services");
      Thread.sleep(100);
    }
  }

  @Test
  void theUsersOfMembersOnOtherNodesAreInPresenceFrames() throws Exception {
    String room = "presence";
    Client alice = connect(0, room, "alice");
    // The room on node 2 exists, and knows alice, before bob joins there: his welcome lists her.
    Client dave = connect(1, room, "dave");
    dave.awaitMembers(Set.of(alice.id, dave.id));
    TestClient bob =
        TestClient.connectJson(URI.create("ws://127.0.0.1:" + port(1) + "/" + room + "?user=bob"));
    JsonNode welcome = JSON.readTree(bob.next());
    assertEquals("welcome", welcome.get("type").asText(), welcome.toString());
    String bobId = welcome.get("id").asText();
    JsonNode users = welcome.get("users");
    assertEquals(
        Map.of(alice.id, "alice", dave.id, "dave", bobId, "bob"),
        JSON.convertValue(users, Map.class),
        welcome.toString());

    // Alice, on node 1, is told of bob with his user, and of his leaving.
    assertEquals("bob", next(alice, "joined", bobId).get("user").asText());
    bob.close();
    JsonNode left = next(alice, "left", bobId);
    assertEquals("closed", left.get("reason").asText());
    assertEquals("bob", left.get("user").asText());

    // A member first heard of from another node's snapshot (its join was lost) has its user, until
    // its node stops mentioning it.
    ActorRef<NodeHub.Command> hub = localHub(systems.get(0));
    String ghost = SessionId.random().toString();
    hub.tell(
        new NodeHub.Snapshot(
            "pekko://lobby@127.0.0.1:1",
            Map.of(room, List.of(ghost)),
            Map.of(room, Map.of(ghost, "ghost"))));
    assertEquals("ghost", next(alice, "joined", ghost).get("user").asText());
    JsonNode expired = next(alice, "left", ghost);
    assertEquals("error", expired.get("reason").asText());
    assertEquals("ghost", expired.get("user").asText());
  }

  /** The hub of a node, found with the Receptionist. */
  private static ActorRef<NodeHub.Command> localHub(ActorSystem<?> system) throws Exception {
    Receptionist.Listing listing =
        AskPattern.<Receptionist.Command, Receptionist.Listing>ask(
                system.receptionist(),
                replyTo -> Receptionist.find(NodeHub.KEY, replyTo),
                Duration.ofSeconds(5),
                system.scheduler())
            .toCompletableFuture()
            .get();
    return listing.getServiceInstances(NodeHub.KEY).stream()
        .filter(ref -> ref.path().address().hasLocalScope())
        .findFirst()
        .orElseThrow();
  }

  @Test
  void aWhisperToAUserReachesItsSessionsOnEveryNodeOnce() throws Exception {
    Client alice1 = connect(0, "one", "alice");
    Client alice2 = connect(1, "two", "alice");
    Client carol = connect(2, "three", "carol");
    awaitServices(systems.get(2), WhisperService.KEY, 3);

    carol.send("{\"type\":\"whisper\",\"user\":\"alice\",\"msg\":\"hi\"}");
    for (Client alice : List.of(alice1, alice2)) {
      JsonNode whisper = alice.next("whisper");
      assertEquals(carol.id, whisper.get("id").asText());
      assertEquals(alice.id, whisper.get("to").asText());
      assertEquals("hi", whisper.get("msg").asText());
    }
    // Carol hears nothing, not even once the wait for other nodes would have ended.
    carol.client.expectNothing(WHISPER_TIMEOUT.plusMillis(500));
    for (Client alice : List.of(alice1, alice2)) {
      assertTrue(
          alice.drain().stream().noneMatch(f -> f.get("type").asText().equals("whisper")),
          "one whisper each");
    }

    // One larger than half an Artery frame crosses too.
    String secret = "ü".repeat(100_000) + "s".repeat(100_000);
    carol.send(JSON.writeValueAsString(Map.of("type", "whisper", "user", "alice", "msg", secret)));
    for (Client alice : List.of(alice1, alice2)) {
      assertEquals(secret, alice.next("whisper").get("msg").asText());
    }

    // A user with no session on any node: "no user", every time, and the sender's window is
    // acknowledged each time (more whispers than lobby.inbound-window, then a broadcast).
    for (int i = 0; i < 20; i++) {
      carol.send("{\"type\":\"whisper\",\"user\":\"nobody\",\"msg\":" + i + "}");
    }
    for (int i = 0; i < 20; i++) {
      assertEquals("no_user", carol.next("error").get("code").asText());
    }
    carol.send("{\"type\":\"message\",\"msg\":\"still here\"}");
    assertEquals("still here", carol.next("message").get("msg").asText());

    // A node whose service never answers: the sender hears at the deadline, with what arrived.
    ActorSystem<Void> node1 = systems.get(0);
    ActorRef<WhisperService.Command> silent =
        node1.systemActorOf(Behaviors.ignore(), "silent-whispers", Props.empty());
    node1.receptionist().tell(Receptionist.register(WhisperService.KEY, silent));
    awaitServices(systems.get(2), WhisperService.KEY, 4);
    carol.send("{\"type\":\"whisper\",\"user\":\"alice\",\"msg\":\"late\"}");
    for (Client alice : List.of(alice1, alice2)) {
      assertEquals("late", alice.next("whisper").get("msg").asText());
    }
    carol.client.expectNothing(WHISPER_TIMEOUT.plusMillis(500)); // delivered: no error at the end
    long sent = System.nanoTime();
    carol.send("{\"type\":\"whisper\",\"user\":\"nobody\",\"msg\":\"hello?\"}");
    JsonNode error = carol.next("error");
    assertEquals("no_user", error.get("code").asText());
    assertTrue(error.get("message").asText().contains("nobody"), error.toString());
    assertTrue(
        System.nanoTime() - sent >= WHISPER_TIMEOUT.toNanos() * 3 / 4,
        "answered at the deadline, not before");
  }
}
