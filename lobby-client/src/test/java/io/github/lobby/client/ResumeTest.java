package io.github.lobby.client;

import static io.github.lobby.client.Recorder.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.lobby.testkit.LobbyServerExtension;
import io.github.lobby.testkit.TestClient;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The client on a server that keeps a history and resumes sessions: a connection cut without a
 * Close (through {@link TcpProxy}) comes back as the same session with exactly what it missed,
 * through any number of cuts; acknowledged sends are broadcast once through cuts; the queue is
 * bounded while offline; {@code close()} during backoff stops it; 4002 stops it.
 */
class ResumeTest extends Scenarios {

  @RegisterExtension
  static final LobbyServerExtension server =
      LobbyServerExtension.create()
          .withConfig(
              "lobby.history.size = 600\nlobby.resumption.grace = 30s\n"
                  + "lobby.heartbeat-interval = 500ms\n");

  private static final AtomicInteger rooms = new AtomicInteger();

  static String room() {
    return "resume-" + rooms.incrementAndGet();
  }

  TcpProxy proxy() throws Exception {
    return proxy(server.port());
  }

  static URI direct() {
    return direct(server.port());
  }

  @Test
  void aCutWithoutACloseResumesTheSessionWithTheMissedMessagesOnceAndPeersSeeNothing()
      throws Exception {
    String room = room();
    Recorder bobEvents = new Recorder();
    LobbyClient bob = connect(builder(direct(), room, bobEvents));
    TcpProxy proxy = proxy();
    Recorder alice = new Recorder();
    LobbyClient client = connect(builder(proxy.base(), room, alice));
    String id = client.id().orElseThrow();
    await(WAIT, "bob sees alice", () -> bobEvents.joined.size() == 1);

    for (int i = 0; i < 3; i++) {
      join(bob.send(i));
    }
    await(WAIT, "alice gets 3", () -> alice.messages.size() == 3);

    proxy.refuse(true);
    cutWhenOpen(client, proxy, alice);
    await(WAIT, "alice reconnecting", () -> client.state() == LobbyClient.State.RECONNECTING);
    for (int i = 3; i < 8; i++) {
      join(bob.send(i));
    }
    proxy.refuse(false);
    await(WAIT, "alice gets 8", () -> alice.messages.size() == 8);
    Thread.sleep(200); // nothing more may come

    assertEquals(IntStream.range(0, 8).boxed().toList(), alice.values());
    assertEquals(id, client.id().orElseThrow());
    Welcome resumed = alice.welcomes.get(alice.welcomes.size() - 1);
    assertEquals(true, resumed.resumed().orElseThrow(), resumed.toString());
    assertEquals(true, resumed.recovered().orElseThrow(), resumed.toString());
    assertEquals(id, resumed.id());
    assertEquals(List.of(), alice.resets);
    assertEquals(8, client.offset().orElseThrow());
    assertEquals(offsets(1, 8), offsetsOf(alice));
    assertEquals(1, bobEvents.joined.size());
    assertEquals(id, bobEvents.joined.get(0).id());
    assertEquals(List.of(), bobEvents.left);
    assertEquals(
        List.of(
            LobbyClient.State.CONNECTING,
            LobbyClient.State.OPEN,
            LobbyClient.State.RECONNECTING,
            LobbyClient.State.OPEN),
        alice.states);
  }

  @Test
  void twentyRandomCutsWhileAPeerPublishes500MessagesLoseAndDoubleNone() throws Exception {
    String room = room();
    Recorder bobEvents = new Recorder();
    LobbyClient bob = connect(builder(direct(), room, bobEvents));
    TcpProxy proxy = proxy();
    Recorder alice = new Recorder();
    LobbyClient client = connect(builder(proxy.base(), room, alice));
    String id = client.id().orElseThrow();

    CompletableFuture<Void> publishing =
        CompletableFuture.runAsync(
            () -> {
              for (int i = 0; i < 500; i++) {
                join(bob.send(i));
                sleep(4);
              }
            });
    Random random = new Random();
    int cuts = 0;
    while (cuts < 20) {
      sleep(20 + random.nextInt(80));
      cutWhenOpen(client, proxy, alice);
      cuts++;
    }
    publishing.get(30, TimeUnit.SECONDS);
    await(
        WAIT,
        () -> "alice gets 500, has " + alice.messages.size(),
        () -> alice.messages.size() >= 500);
    Thread.sleep(200);

    assertEquals(IntStream.range(0, 500).boxed().toList(), alice.values());
    assertEquals(id, client.id().orElseThrow());
    assertEquals(List.of(), alice.resets);
    await(WAIT, "the last reconnect", () -> alice.welcomes.size() == 21);
    assertTrue(alice.welcomes.stream().skip(1).allMatch(w -> w.resumed().orElse(false)));
    assertEquals(1, bobEvents.joined.size());
    assertEquals(List.of(), bobEvents.left);
  }

  @Test
  void threeHundredAcknowledgedSendsThroughTenCutsAreBroadcastOnceInOrder() throws Exception {
    String room = room();
    Recorder observer = new Recorder();
    connect(builder(direct(), room, observer));
    TcpProxy proxy = proxy();
    Recorder alice = new Recorder();
    LobbyClient client = connect(builder(proxy.base(), room, alice).maxQueued(300));
    String id = client.id().orElseThrow();

    List<CompletableFuture<Ack>> acks = new ArrayList<>();
    CompletableFuture<Void> publishing =
        CompletableFuture.runAsync(
            () -> {
              for (int i = 0; i < 300; i++) {
                acks.add(client.send(i).toCompletableFuture());
                sleep(3);
              }
            });
    Random random = new Random();
    for (int cuts = 0; cuts < 10; cuts++) {
      sleep(30 + random.nextInt(60));
      cutWhenOpen(client, proxy, alice);
    }
    publishing.get(30, TimeUnit.SECONDS);
    CompletableFuture.allOf(acks.toArray(CompletableFuture[]::new)).get(20, TimeUnit.SECONDS);
    await(WAIT, "the observer gets 300", () -> observer.messages.size() >= 300);
    Thread.sleep(200);

    assertEquals(IntStream.range(0, 300).boxed().toList(), observer.values());
    assertTrue(observer.messages.stream().allMatch(m -> m.id().equals(id)));
    // Each ack names the offset its message had in the room.
    List<Long> acked = acks.stream().map(a -> a.join().offset().orElseThrow()).toList();
    List<Long> seen = observer.messages.stream().map(m -> m.offset().orElseThrow()).toList();
    assertEquals(seen, acked);
    assertEquals(IntStream.range(0, 300).boxed().toList(), alice.values());
    await(WAIT, "the last reconnect", () -> alice.welcomes.size() == 11);
    assertEquals(id, client.id().orElseThrow());
  }

  @Test
  void sendsWaitWhileOfflineUpToMaxQueuedAndGoOutInOrderAfterTheWelcome() throws Exception {
    String room = room();
    Recorder observer = new Recorder();
    connect(builder(direct(), room, observer));
    TcpProxy proxy = proxy();
    Recorder alice = new Recorder();
    LobbyClient client = connect(builder(proxy.base(), room, alice).maxQueued(5));

    proxy.refuse(true);
    cutWhenOpen(client, proxy, alice);
    await(WAIT, "alice reconnecting", () -> client.state() == LobbyClient.State.RECONNECTING);
    List<CompletableFuture<Ack>> queued = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      queued.add(client.send(i).toCompletableFuture());
    }
    assertEquals(LobbyClientException.QUEUE_FULL, failure(client.send(5)).code());
    assertFalse(queued.stream().anyMatch(CompletableFuture::isDone));
    Thread.sleep(100);
    assertEquals(List.of(), observer.messages);

    proxy.refuse(false);
    for (CompletableFuture<Ack> ack : queued) {
      join(ack);
    }
    await(WAIT, "the observer gets 5", () -> observer.messages.size() == 5);
    assertEquals(List.of(0, 1, 2, 3, 4), observer.values());
    join(client.send(6));
    await(WAIT, "the observer gets 6", () -> observer.messages.size() == 6);
    assertEquals(6, observer.values().get(5));
  }

  @Test
  void closeDuringBackoffStopsReconnecting() throws Exception {
    TcpProxy proxy = proxy();
    Recorder alice = new Recorder();
    // Delays of up to 300 ms: an attempt after the close would come within the wait below.
    LobbyClient client =
        connect(
            builder(proxy.base(), room(), alice)
                .backoff(Duration.ofMillis(300), Duration.ofMillis(300)));
    proxy.refuse(true);
    cutWhenOpen(client, proxy, alice);
    await(WAIT, "two refused attempts", () -> alice.disconnects.size() >= 3);
    CompletableFuture<Ack> queued = client.send("never").toCompletableFuture();
    int told = alice.disconnects.size();
    await(WAIT, "one more refused attempt", () -> alice.disconnects.size() > told);
    join(client.close()); // just after a failed attempt: in the backoff before the next
    sleep(300); // an attempt under way at the close may still reach the proxy
    int attempts = proxy.attempts();
    assertEquals(LobbyClient.State.CLOSED, client.state());
    assertEquals(LobbyClientException.CLOSED, failure(queued).code());
    assertEquals(LobbyClientException.CLOSED, failure(client.send("after")).code());
    assertEquals(LobbyClientException.CLOSED, failure(client.members()).code());
    Thread.sleep(1000);
    assertEquals(attempts, proxy.attempts());
    assertEquals(LobbyClient.State.CLOSED, alice.states.get(alice.states.size() - 1));
    assertTrue(client.closeCause().isEmpty());
  }

  @Test
  void anotherConnectionResumingTheSessionCloses4002AndTheClientStops() throws Exception {
    String room = room();
    TcpProxy proxy = proxy();
    Recorder alice = new Recorder();
    LobbyClient client = connect(builder(proxy.base(), room, alice));
    Welcome welcome = alice.welcomes.get(0);
    try (TestClient thief =
        TestClient.connectJson(
            server.ws(
                room
                    + "?resume="
                    + welcome.id()
                    + "&key="
                    + welcome.resumeKey().orElseThrow()))) {
      assertEquals(true, thief.nextJson("welcome").get("resumed").asBoolean());
      await(WAIT, "alice closed", () -> alice.states.contains(LobbyClient.State.CLOSED));
      assertEquals(List.of(4002), alice.disconnects);
      assertEquals(
          LobbyClientException.SESSION_RESUMED, client.closeCause().orElseThrow().code());
      assertEquals(LobbyClientException.CLOSED, failure(client.send("after")).code());
      Thread.sleep(1000);
      assertEquals(1, proxy.attempts());
      assertEquals(1, alice.welcomes.size());
    }
  }

  @Test
  void acksCarryTheOffsetAndRefusedWhispersFailWithTheServersCode() throws Exception {
    String room = room();
    Recorder bobEvents = new Recorder();
    LobbyClient bob = connect(builder(direct(), room, bobEvents));
    Recorder alice = new Recorder();
    LobbyClient client = connect(builder(direct(), room, alice));

    Ack ack = join(client.send(Map.of("text", "hi")));
    assertEquals(1, ack.offset().orElseThrow());
    await(WAIT, "alice's own copy", () -> alice.messages.size() == 1);
    assertEquals("hi", alice.messages.get(0).msg().get("text").asText());

    Ack whispered = join(client.whisper(bob.id().orElseThrow(), "psst"));
    assertTrue(whispered.offset().isEmpty());
    await(WAIT, "bob's whisper", () -> bobEvents.whispers.size() == 1);
    assertEquals("psst", bobEvents.whispers.get(0).msg().asText());
    assertEquals(client.id().orElseThrow(), bobEvents.whispers.get(0).id());

    String nobody = UUID.randomUUID().toString();
    assertEquals("no_session", failure(client.whisper(nobody, "psst")).code());
    await(WAIT, "the error frame", () -> alice.errors.size() == 1);
    assertEquals("no_session", alice.errors.get(0).code());

    Members members = join(client.members());
    assertEquals(
        List.of(bob.id().orElseThrow(), client.id().orElseThrow()), members.members());
  }


  @Test
  void anOverlappingReplayIsDeliveredOnce() throws Exception {
    String room = room();
    LobbyClient bob = connect(builder(direct(), room, new Recorder()));
    TcpProxy proxy = proxy();
    Recorder alice = new Recorder();
    LobbyClient client = connect(builder(proxy.base(), room, alice));
    for (int i = 0; i < 6; i++) {
      join(bob.send(i));
    }
    await(WAIT, "alice gets 6", () -> alice.messages.size() == 6);

    proxy.moveSinceBack(4); // the server replays 3..6 again, then 7 and 8
    proxy.refuse(true);
    cutWhenOpen(client, proxy, alice);
    join(bob.send(6));
    join(bob.send(7));
    proxy.refuse(false);
    await(WAIT, "alice gets 8", () -> alice.messages.size() >= 8);
    sleep(200);

    assertEquals(IntStream.range(0, 8).boxed().toList(), alice.values());
    assertEquals(offsets(1, 8), offsetsOf(alice));
    assertEquals(List.of(), alice.resets);
    assertEquals(true, alice.welcomes.get(1).recovered().orElseThrow());
  }

  @Test
  void aMessageThatArrivesInPartsIsAssembled() {
    String room = room();
    LobbyClient bob = connect(builder(direct(), room, new Recorder()));
    Recorder alice = new Recorder();
    connect(builder(direct(), room, alice));
    String big = "x".repeat(60_000) + "\u00e9\u4e2d";
    join(bob.send(big));
    await(WAIT, "alice gets it", () -> alice.messages.size() == 1);
    assertEquals(big, alice.messages.get(0).msg().asText());
  }

  @Test
  void unansweredSendsGoAgainAfterAResumeBeforeTheQueuedOnes() throws Exception {
    String room = room();
    Recorder observer = new Recorder();
    connect(builder(direct(), room, observer));
    TcpProxy proxy = proxy();
    Recorder alice = new Recorder();
    LobbyClient client = connect(builder(proxy.base(), room, alice));

    proxy.holdUp(true); // written, but they never reach the server
    CompletableFuture<Ack> a = client.send("a").toCompletableFuture();
    CompletableFuture<Ack> b = client.send("b").toCompletableFuture();
    sleep(100);
    proxy.refuse(true);
    cutWhenOpen(client, proxy, alice);
    proxy.holdUp(false);
    await(WAIT, "alice reconnecting", () -> client.state() == LobbyClient.State.RECONNECTING);
    CompletableFuture<Ack> c = client.send("c").toCompletableFuture();
    CompletableFuture<Ack> d = client.send("d").toCompletableFuture();
    assertEquals(List.of(), observer.messages);
    proxy.refuse(false);

    List<Long> offsets = new ArrayList<>();
    for (CompletableFuture<Ack> ack : List.of(a, b, c, d)) {
      offsets.add(join(ack).offset().orElseThrow());
    }
    await(WAIT, "the observer gets 4", () -> observer.messages.size() == 4);
    sleep(200);
    assertEquals(
        List.of("a", "b", "c", "d"),
        observer.messages.stream().map(m -> m.msg().asText()).toList());
    assertEquals(offsetsOf(observer), offsets);
    assertEquals(true, alice.welcomes.get(1).resumed().orElseThrow());
  }

  @Test
  void aSendWhoseAckWasLostIsAnsweredAgainAfterTheResumeAndBroadcastOnce() throws Exception {
    String room = room();
    Recorder observer = new Recorder();
    connect(builder(direct(), room, observer));
    TcpProxy proxy = proxy();
    Recorder alice = new Recorder();
    LobbyClient client = connect(builder(proxy.base(), room, alice));

    proxy.hold(true); // the broadcast happens; its ack does not reach the client
    CompletableFuture<Ack> sent = client.send("once").toCompletableFuture();
    await(WAIT, "the server took it", () -> observer.messages.size() == 1);
    cutWhenOpen(client, proxy, alice);
    proxy.hold(false);

    Ack ack = join(sent);
    assertEquals(observer.messages.get(0).offset(), ack.offset());
    join(client.send("next"));
    await(WAIT, "the observer gets next", () -> observer.messages.size() == 2);
    sleep(200);
    assertEquals(
        List.of("once", "next"), observer.messages.stream().map(m -> m.msg().asText()).toList());
    // Its own copy came through the replay, once.
    assertEquals(
        List.of("once", "next"), alice.messages.stream().map(m -> m.msg().asText()).toList());
  }

  @Test
  void aHalfOpenConnectionIsGivenUpAfterTheIdleTimeoutAndTheSessionResumed() throws Exception {
    String room = room();
    LobbyClient bob = connect(builder(direct(), room, new Recorder()));
    TcpProxy proxy = proxy();
    Recorder alice = new Recorder();
    LobbyClient client =
        connect(builder(proxy.base(), room, alice).idleTimeout(Duration.ofMillis(2000)));
    String id = client.id().orElseThrow();
    sleep(2500); // the server's Pings (every 500 ms) keep it open
    assertEquals(1, alice.welcomes.size());

    proxy.silence();
    join(bob.send("while silent"));
    await(WAIT, "welcomed again", () -> alice.welcomes.size() == 2);
    assertEquals(List.of(-1), alice.disconnects);
    assertEquals(true, alice.welcomes.get(1).resumed().orElseThrow());
    assertEquals(id, client.id().orElseThrow());
    await(WAIT, "the message said meanwhile", () -> alice.messages.size() == 1);
    assertEquals("while silent", alice.messages.get(0).msg().asText());
  }

  /**
   * A welcome lost on its way (the connection cut after the upgrade, before the first frame)
   * carried the session's new resume key; the server still takes the key the client resumed
   * with, so the next reconnect resumes the same session.
   */
  @Test
  void aWelcomeLostOnItsWayStillLetsTheSessionResume() throws Exception {
    String room = room();
    Recorder bobEvents = new Recorder();
    connect(builder(direct(), room, bobEvents));
    TcpProxy proxy = proxy();
    Recorder alice = new Recorder();
    LobbyClient client = connect(builder(proxy.base(), room, alice));
    String id = client.id().orElseThrow();
    proxy.cutNextAfterUpgrade();
    cutWhenOpen(client, proxy, alice);
    await(WAIT, "welcomed again", () -> alice.welcomes.size() == 2);
    assertEquals(true, alice.welcomes.get(1).resumed().orElseThrow());
    assertEquals(id, client.id().orElseThrow());
    assertEquals(1, bobEvents.joined.size());
  }
}
