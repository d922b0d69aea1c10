package io.github.lobby.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.JUnit5TestKitBuilder;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.apache.pekko.actor.testkit.typed.javadsl.ManualTime;
import org.apache.pekko.actor.testkit.typed.javadsl.TestKitJUnit5Extension;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.testkit.typed.annotations.JUnit5TestKit;
import org.apache.pekko.actor.typed.ActorRef;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A room's history on virtual time (heartbeat 5 s): offsets, recovery right after the welcome,
 * what is kept (size, bytes, ttl), and a room that outlives its last member until nothing is kept.
 */
@ExtendWith({TestKitJUnit5Extension.class, LogCapturingExtension.class})
class HistoryTest {

  @JUnit5TestKit
  ActorTestKit testKit =
      new JUnit5TestKitBuilder()
          .withCustomConfig(ManualTime.config().withFallback(ConfigFactory.load()))
          .build();

  static final RoomId ROOM = new RoomId("history");
  static final Duration BEAT = Duration.ofSeconds(5);

  ManualTime time;
  ActorRef<Lobby.Command> lobby;

  record Client(SessionId id, ProbeTransport transport, ActorRef<Session.Command> session) {
    void says(String text) {
      session.tell(new Session.ClientText(text));
    }

    ClientEvent next() {
      return transport.expectEvent();
    }
  }

  void start(int size, Duration ttl, long maxBytes) {
    time = ManualTime.get(testKit.system());
    LobbySettings settings =
        LobbySettings.builder()
            .heartbeatInterval(BEAT)
            .clientTimeout(Duration.ofHours(1))
            .history(new LobbySettings.History(size, ttl, maxBytes, 1_000))
            .build();
    lobby = testKit.spawn(Lobby.create(settings, TestCodec.CODECS));
  }

  @BeforeEach
  void defaults() {
    start(100, Duration.ofMinutes(5), 64 * 1024);
  }

  Client connect(Optional<Recovery> recovery) {
    return connectTo(ROOM, recovery);
  }

  Client connectTo(RoomId room, Optional<Recovery> recovery) {
    ProbeTransport transport = new ProbeTransport(testKit);
    SessionId id = SessionId.random();
    TestProbe<ActorRef<Session.Command>> reply = testKit.createTestProbe();
    lobby.tell(
        new Lobby.Connect(
            id, room, Mode.JSON, transport, Optional.empty(), recovery, reply.ref()));
    return new Client(id, transport, reply.receiveMessage());
  }

  Client connect() {
    return connect(Optional.empty());
  }

  /** Sends texts one by one, each received back, and returns their offsets. */
  static List<Long> send(Client sender, String... texts) {
    List<Long> offsets = new ArrayList<>();
    for (String text : texts) {
      sender.says(text);
      ClientEvent.Message m = assertInstanceOf(ClientEvent.Message.class, sender.next());
      assertEquals(new Payload.Text(text), m.msg());
      offsets.add(m.offset());
    }
    return offsets;
  }

  @Test
  void broadcastsGetConsecutiveOffsetsAndTheWelcomeTheEpochAndLatestOffset() {
    Client a = connect();
    ClientEvent.Welcome first = assertInstanceOf(ClientEvent.Welcome.class, a.next());
    assertEquals(0L, first.offset());
    assertNull(first.recovered(), "it asked for nothing");
    assertEquals(16, first.epoch().length());
    assertEquals(List.of(1L, 2L, 3L), send(a, "one", "two", "three"));

    TestProbe<Lobby.Published> published = testKit.createTestProbe();
    lobby.tell(new Lobby.Publish(ROOM, new Payload.Json("{\"n\":4}"), published.ref()));
    assertEquals(4L, ((ClientEvent.Message) a.next()).offset(), "admin pushes are kept too");

    Client b = connect();
    ClientEvent.Welcome second = assertInstanceOf(ClientEvent.Welcome.class, b.next());
    assertEquals(first.epoch(), second.epoch());
    assertEquals(4L, second.offset());
  }

  @Test
  void aReconnectingClientGetsWhatItMissedInOrderOnceThenLiveOnes() {
    Client publisher = connect();
    String epoch = ((ClientEvent.Welcome) publisher.next()).epoch();
    Client reader = connect();
    reader.next();
    publisher.next(); // joined
    send(publisher, "m1", "m2");
    assertEquals(1L, ((ClientEvent.Message) reader.next()).offset());
    assertEquals(2L, ((ClientEvent.Message) reader.next()).offset());
    reader.session().tell(Session.TransportClosed.INSTANCE);
    publisher.next(); // left
    send(publisher, "m3", "m4", "m5");

    Client back = connect(Optional.of(new Recovery(2, epoch)));
    ClientEvent.Welcome welcome = assertInstanceOf(ClientEvent.Welcome.class, back.next());
    assertEquals(Boolean.TRUE, welcome.recovered());
    assertEquals(5L, welcome.offset());
    for (long offset = 3; offset <= 5; offset++) {
      ClientEvent.Message missed = assertInstanceOf(ClientEvent.Message.class, back.next());
      assertEquals(offset, missed.offset());
      assertEquals(new Payload.Text("m" + offset), missed.msg());
      assertEquals(publisher.id(), missed.from());
    }
    publisher.next(); // joined
    send(publisher, "m6");
    assertEquals(6L, ((ClientEvent.Message) back.next()).offset());
    back.transport().probe.expectNoMessage(Duration.ofMillis(100));
  }

  @Test
  void eachKeptMessageIsRenderedOnceWhateverTheNumberOfClientsThatRecoverIt() {
    Client a = connect();
    String epoch = ((ClientEvent.Welcome) a.next()).epoch();
    send(a, "x", "y");
    List<Frame> first = replayed(connect(Optional.of(new Recovery(0, epoch))));
    List<Frame> second = replayed(connect(Optional.of(new Recovery(0, epoch))));
    assertEquals(2, first.size());
    for (int i = 0; i < 2; i++) {
      assertEquals(new Payload.Text(i == 0 ? "x" : "y"), ((ClientEvent.Message) first.get(i).event()).msg());
      assertSame(first.get(i), second.get(i), "the same frame, not rendered again");
    }
    // The frames are kept until the next heartbeat only: an idle history holds just its messages.
    time.timePasses(BEAT);
    List<Frame> later = replayed(connect(Optional.of(new Recovery(0, epoch))));
    for (int i = 0; i < 2; i++) {
      assertEquals(first.get(i).text(), later.get(i).text());
      assertTrue(first.get(i) != later.get(i), "rendered again after a heartbeat");
    }
  }

  /** The frames replayed to a recovering client after its welcome. */
  private static List<Frame> replayed(Client client) {
    assertInstanceOf(ClientEvent.Welcome.class, client.next());
    List<Frame> frames = new ArrayList<>();
    for (int i = 0; i < 2; i++) {
      frames.add(client.transport().probe.expectMessageClass(ProbeTransport.Sent.class).frame());
    }
    return frames;
  }

  @Test
  void nothingMissedIsRecoveredWithNothingReplayed() {
    Client a = connect();
    String epoch = ((ClientEvent.Welcome) a.next()).epoch();
    send(a, "x", "y");
    Client b = connect(Optional.of(new Recovery(2, epoch)));
    assertEquals(Boolean.TRUE, ((ClientEvent.Welcome) b.next()).recovered());
    b.transport().probe.expectNoMessage(Duration.ofMillis(100));
  }

  @Test
  void aGapLongerThanTheHistoryAnotherEpochOrAnUnknownOffsetIsNotRecovered() {
    start(3, Duration.ofMinutes(5), 64 * 1024);
    Client a = connect();
    String epoch = ((ClientEvent.Welcome) a.next()).epoch();
    send(a, "1", "2", "3", "4", "5", "6");
    for (Recovery asked :
        List.of(
            new Recovery(2, epoch), // 3..6 missed, 4..6 kept
            new Recovery(5, "0123456789abcdef"),
            new Recovery(7, epoch))) {
      Client b = connect(Optional.of(asked));
      ClientEvent.Welcome welcome = assertInstanceOf(ClientEvent.Welcome.class, b.next());
      assertEquals(Boolean.FALSE, welcome.recovered(), asked.toString());
      assertEquals(6L, welcome.offset());
      b.transport().probe.expectNoMessage(Duration.ofMillis(100));
      b.session().tell(Session.TransportClosed.INSTANCE);
      a.next(); // joined
      a.next(); // left
    }
    Client c = connect(Optional.of(new Recovery(3, epoch))); // 4..6 missed, all kept
    assertEquals(Boolean.TRUE, ((ClientEvent.Welcome) c.next()).recovered());
    assertEquals(4L, ((ClientEvent.Message) c.next()).offset());
  }

  @Test
  void theBytesBudgetDropsTheOldestFirst() {
    start(100, Duration.ofMinutes(5), 10);
    Client a = connect();
    String epoch = ((ClientEvent.Welcome) a.next()).epoch();
    send(a, "aaaa", "bbbb", "cccc"); // 12 characters: the first goes
    assertEquals(Boolean.FALSE, recoveredSince(0, epoch, a));
    assertEquals(Boolean.TRUE, recoveredSince(1, epoch, a));
  }

  private Boolean recoveredSince(long since, String epoch, Client other) {
    Client b = connect(Optional.of(new Recovery(since, epoch)));
    Boolean recovered = ((ClientEvent.Welcome) b.next()).recovered();
    b.session().tell(Session.TransportClosed.INSTANCE);
    other.transport().probe.receiveMessage(); // joined
    other.transport().probe.receiveMessage(); // left
    return recovered;
  }

  @Test
  void keptBroadcastsExpireAfterTheTtlCountedInHeartbeats() {
    start(100, Duration.ofSeconds(12), 64 * 1024); // 3 beats
    Client a = connect();
    String epoch = ((ClientEvent.Welcome) a.next()).epoch();
    send(a, "old"); // before the first beat: it may be up to a beat older than the beats say
    time.timePasses(BEAT.multipliedBy(2));
    drainPings(a);
    send(a, "newer");
    time.timePasses(BEAT);
    drainPings(a);
    assertEquals(Boolean.TRUE, recoveredSince(0, epoch, a), "3 beats: not yet more than 12 s");
    time.timePasses(BEAT); // 4 beats since "old": it goes
    drainPings(a);
    assertEquals(Boolean.FALSE, recoveredSince(0, epoch, a));
    assertEquals(Boolean.TRUE, recoveredSince(1, epoch, a));
    time.timePasses(BEAT.multipliedBy(2)); // 4 beats since "newer"
    drainPings(a);
    assertEquals(Boolean.FALSE, recoveredSince(1, epoch, a));
    assertEquals(Boolean.TRUE, recoveredSince(2, epoch, a), "nothing missed is still recovered");
  }

  /** Takes the Pings the beats asked for; anything else fails. */
  private static void drainPings(Client client) {
    while (true) {
      ProbeTransport.Out out;
      try {
        out = client.transport().probe.receiveMessage(Duration.ofMillis(200));
      } catch (AssertionError nothingMore) {
        return;
      }
      if (out != ProbeTransport.Pinged.INSTANCE) {
        throw new AssertionError("expected Pings only, got " + out);
      }
    }
  }

  @Test
  void aRoomOutlivesItsLastMemberUntilNothingIsKeptThenStartsOverWithANewEpoch() {
    start(100, Duration.ofSeconds(10), 64 * 1024); // 2 beats
    Client a = connect();
    String epoch = ((ClientEvent.Welcome) a.next()).epoch();
    send(a, "kept");
    a.session().tell(Session.TransportClosed.INSTANCE);
    TestProbe<Lobby.Stats> stats = testKit.createTestProbe();
    Lobby.Stats kept;
    int asked = 0;
    do { // the session leaves asynchronously
      lobby.tell(new Lobby.GetStats(stats.ref()));
      kept = stats.receiveMessage();
    } while ((kept.sessions() > 0 || kept.liveActors() > 1) && ++asked < 100);
    assertEquals(0, kept.rooms(), "no room with members");
    assertEquals(1, kept.keptRooms(), "kept for its history");
    assertEquals(1, kept.liveActors());
    TestProbe<Lobby.RoomList> list = testKit.createTestProbe();
    lobby.tell(new Lobby.ListRooms(list.ref()));
    assertEquals(List.of(), list.receiveMessage().rooms(), "but not listed: nobody is in it");

    Client back = connect(Optional.of(new Recovery(0, epoch)));
    ClientEvent.Welcome welcome = assertInstanceOf(ClientEvent.Welcome.class, back.next());
    assertEquals(Boolean.TRUE, welcome.recovered());
    assertEquals(new Payload.Text("kept"), ((ClientEvent.Message) back.next()).msg());
    back.session().tell(Session.TransportClosed.INSTANCE);

    time.timePasses(BEAT.multipliedBy(4)); // the message expires, then the room is idle
    awaitRooms(0);
    Client later = connect(Optional.of(new Recovery(1, epoch)));
    ClientEvent.Welcome fresh = assertInstanceOf(ClientEvent.Welcome.class, later.next());
    assertNotEquals(epoch, fresh.epoch(), "a new room, a new epoch");
    assertEquals(Boolean.FALSE, fresh.recovered());
    assertEquals(0L, fresh.offset());
  }

  private void awaitRooms(int expected) {
    TestProbe<Lobby.Stats> stats = testKit.createTestProbe();
    for (int i = 0; i < 50; i++) {
      lobby.tell(new Lobby.GetStats(stats.ref()));
      Lobby.Stats now = stats.receiveMessage();
      if (now.rooms() + now.keptRooms() == expected
          && now.liveActors() == now.sessions() + now.rooms() + now.keptRooms()) {
        return;
      }
      time.timePasses(Duration.ofMillis(10));
    }
    throw new AssertionError("rooms never reached " + expected);
  }

  @Test
  void theAdminViewListsWhatIsKeptAfterAnOffset() {
    Client a = connect();
    String epoch = ((ClientEvent.Welcome) a.next()).epoch();
    send(a, "p", "q", "r");
    TestProbe<Optional<Lobby.HistoryView>> view = testKit.createTestProbe();
    lobby.tell(new Lobby.GetHistory(ROOM, 1, view.ref()));
    Lobby.HistoryView history = view.receiveMessage().orElseThrow();
    assertEquals(epoch, history.epoch());
    assertEquals(3L, history.offset());
    assertEquals(
        List.of(
            new KeptMessage(2, a.id(), new Payload.Text("q"), Duration.ZERO),
            new KeptMessage(3, a.id(), new Payload.Text("r"), Duration.ZERO)),
        history.kept());
    lobby.tell(new Lobby.GetHistory(new RoomId("nowhere"), 0, view.ref()));
    assertTrue(view.receiveMessage().isEmpty());
  }

  @Test
  void atMostMaxKeptRoomsWithoutMembersAreKeptTheFirstEmptiedEndsFirst() {
    time = ManualTime.get(testKit.system());
    LobbySettings settings =
        LobbySettings.builder()
            .heartbeatInterval(BEAT)
            .clientTimeout(Duration.ofHours(1))
            .history(new LobbySettings.History(10, Duration.ofMinutes(5), 1024, 2))
            .build();
    lobby = testKit.spawn(Lobby.create(settings, TestCodec.CODECS));
    List<String> epochs = new ArrayList<>();
    for (String name : List.of("k1", "k2", "k3")) {
      Client c = connectTo(new RoomId(name), Optional.empty());
      epochs.add(((ClientEvent.Welcome) c.next()).epoch());
      send(c, "kept in " + name);
      c.session().tell(Session.TransportClosed.INSTANCE);
    }
    TestProbe<Lobby.Stats> stats = testKit.createTestProbe();
    Lobby.Stats now;
    int asked = 0;
    do {
      lobby.tell(new Lobby.GetStats(stats.ref()));
      now = stats.receiveMessage();
    } while ((now.sessions() > 0 || now.liveActors() > 2) && ++asked < 100); // stops are async
    assertEquals(2, now.keptRooms());
    assertEquals(2, now.liveActors(), "the first room's actor stopped");
    // k1 emptied first and ended; k2 is still kept.
    ClientEvent.Welcome k1 =
        (ClientEvent.Welcome)
            connectTo(new RoomId("k1"), Optional.of(new Recovery(0, epochs.get(0)))).next();
    assertEquals(Boolean.FALSE, k1.recovered());
    assertNotEquals(epochs.get(0), k1.epoch());
    ClientEvent.Welcome k2 =
        (ClientEvent.Welcome)
            connectTo(new RoomId("k2"), Optional.of(new Recovery(0, epochs.get(1)))).next();
    assertEquals(Boolean.TRUE, k2.recovered());
  }

  @Test
  void aHistoryThatWouldNotFitARecoveringClientsQueueIsRefused() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                LobbySettings.builder()
                    .history(new LobbySettings.History(1024, Duration.ofMinutes(1), 1024, 1_000))
                    .build());
    assertTrue(e.getMessage().contains("outbound-buffer"), e.getMessage());
    assertThrows(
        IllegalArgumentException.class,
        () ->
            LobbySettings.builder()
                .history(
                    new LobbySettings.History(10, Duration.ofMinutes(1), 2L * 1024 * 1024, 1_000))
                .build());
  }

  @Test
  void historyWithAFederationGivenInCodeIsRefused() {
    Federation elsewhere = (room, inbox, context) -> event -> {};
    LobbySettings settings =
        LobbySettings.builder()
            .history(new LobbySettings.History(10, Duration.ofMinutes(1), 1024, 1_000))
            .build();
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> Lobby.create(settings, TestCodec.CODECS, elsewhere, LobbyMetrics.NONE));
    assertTrue(e.getMessage().contains("lobby.history"), e.getMessage());
  }

  @Test
  void historyWithClusteringIsAcceptedByTheSettings() {
    LobbySettings settings =
        LobbySettings.fromConfig(
            ConfigFactory.parseString("lobby.history.size = 10\nlobby.cluster.enabled = on")
                .withFallback(ConfigFactory.load()));
    assertEquals(10, settings.history().size());
  }
}
