package io.github.lobby.core.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import io.github.lobby.core.ClientEvent;
import io.github.lobby.core.Federation;
import io.github.lobby.core.KeptMessage;
import io.github.lobby.core.Lobby;
import io.github.lobby.core.LobbyMetrics;
import io.github.lobby.core.LobbySettings;
import io.github.lobby.core.Mode;
import io.github.lobby.core.Payload;
import io.github.lobby.core.PeerEvent;
import io.github.lobby.core.ProbeTransport;
import io.github.lobby.core.Recovery;
import io.github.lobby.core.RoomId;
import io.github.lobby.core.Session;
import io.github.lobby.core.SessionId;
import io.github.lobby.core.TestCodec;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.pekko.actor.testkit.typed.annotations.JUnit5TestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.JUnit5TestKitBuilder;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.apache.pekko.actor.testkit.typed.javadsl.ManualTime;
import org.apache.pekko.actor.testkit.typed.javadsl.TestKitJUnit5Extension;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A room whose broadcasts go through a sequencer (a history across nodes), against a federation
 * that stands in for the sequencer: the room waits for its first history before it welcomes
 * anybody, fans out only what comes back (in the sequencer's order, with its offsets), asks again
 * after a gap, and, when the epoch changes, tells its JSON members and sends again what had not
 * come back.
 */
@ExtendWith({TestKitJUnit5Extension.class, LogCapturingExtension.class})
class SequencedRoomTest {

  @JUnit5TestKit
  ActorTestKit testKit =
      new JUnit5TestKitBuilder()
          .withCustomConfig(ManualTime.config().withFallback(ConfigFactory.load()))
          .build();

  static final RoomId ROOM = new RoomId("sequenced");
  static final String HERE = "here";
  static final String THERE = "there";
  static final SessionId OTHER = SessionId.random();

  /** What the room sent its sequencer. */
  record Sent(String epoch, long base, long seq, SessionId from, Payload msg) {}

  /** Stands in for a sequencing federation: records what the room sends, and lets tests answer. */
  static final class FakeSequencer implements Federation {
    volatile ActorRef<PeerEvent> inbox;
    final BlockingQueue<Sent> sent = new LinkedBlockingQueue<>();
    final AtomicInteger resyncs = new AtomicInteger();

    @Override
    public boolean sequencesHistory() {
      return true;
    }

    @Override
    public Link link(RoomId room, ActorRef<PeerEvent> inbox, ActorContext<?> context) {
      throw new AssertionError("a room with a history asks for a sequenced link");
    }

    @Override
    public Link link(
        RoomId room,
        ActorRef<PeerEvent> inbox,
        ActorContext<?> context,
        LobbySettings.History history,
        Duration heartbeat) {
      this.inbox = inbox;
      return new Link() {
        @Override
        public void publish(PeerEvent event) {}

        @Override
        public String node() {
          return HERE;
        }

        @Override
        public boolean sequenced() {
          return true;
        }

        @Override
        public void sequence(String epoch, long base, long seq, SessionId from, Payload msg) {
          sent.add(new Sent(epoch, base, seq, from, msg));
        }

        @Override
        public void resync() {
          resyncs.incrementAndGet();
        }
      };
    }

    Sent nextSent() throws InterruptedException {
      Sent s = sent.poll(3, TimeUnit.SECONDS);
      assertTrue(s != null, "the room sent a broadcast to its sequencer");
      return s;
    }
  }

  FakeSequencer sequencer;
  ActorRef<Lobby.Command> lobby;

  record Client(SessionId id, ProbeTransport transport, ActorRef<Session.Command> session) {
    void says(String text) {
      session.tell(new Session.ClientText(text));
    }

    ClientEvent next() {
      return transport.expectEvent();
    }

    void expectNothing() {
      transport.probe.expectNoMessage(Duration.ofMillis(200));
    }
  }

  @BeforeEach
  void start() {
    sequencer = new FakeSequencer();
    LobbySettings settings =
        LobbySettings.builder()
            .heartbeatInterval(Duration.ofSeconds(5))
            .clientTimeout(Duration.ofHours(1))
            .history(new LobbySettings.History(100, Duration.ofMinutes(5), 64 * 1024, 1_000))
            .build();
    lobby = testKit.spawn(Lobby.create(settings, TestCodec.CODECS, sequencer, LobbyMetrics.NONE));
  }

  Client connect(Optional<Recovery> recovery) {
    ProbeTransport transport = new ProbeTransport(testKit);
    SessionId id = SessionId.random();
    TestProbe<ActorRef<Session.Command>> reply = testKit.createTestProbe();
    lobby.tell(
        new Lobby.Connect(id, ROOM, Mode.JSON, transport, Optional.empty(), recovery, reply.ref()));
    return new Client(id, transport, reply.receiveMessage());
  }

  static KeptMessage kept(long offset, String text) {
    return kept(offset, text, Duration.ZERO);
  }

  static KeptMessage kept(long offset, String text, Duration age) {
    return new KeptMessage(offset, OTHER, new Payload.Text(text), age);
  }

  void history(String epoch, long offset, KeptMessage... kept) {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(3);
    while (sequencer.inbox == null) { // the room starts on the Lobby's thread
      assertTrue(System.nanoTime() < deadline, "the room linked to its sequencer");
      Thread.onSpinWait();
    }
    sequencer.inbox.tell(new PeerEvent.History(THERE, epoch, offset, List.of(kept)));
  }

  void sequenced(String node, String epoch, long offset, long seq, SessionId from, String text) {
    sequencer.inbox.tell(
        new PeerEvent.Sequenced(node, epoch, offset, seq, from, new Payload.Text(text)));
  }

  static void expectMessage(Client client, String text, long offset) {
    ClientEvent.Message m = assertInstanceOf(ClientEvent.Message.class, client.next());
    assertEquals(new Payload.Text(text), m.msg());
    assertEquals(offset, m.offset());
  }

  /** A member welcomed in epoch {@code e1} at offset 5. */
  Client started() {
    Client a = connect(Optional.empty());
    history("e1", 5, kept(4, "four"), kept(5, "five"));
    ClientEvent.Welcome welcome = assertInstanceOf(ClientEvent.Welcome.class, a.next());
    assertEquals("e1", welcome.epoch());
    assertEquals(5L, welcome.offset());
    return a;
  }

  @Test
  void joinsWaitForTheSequencersFirstHistoryAndRecoverFromIt() {
    Client a = connect(Optional.empty());
    Client b = connect(Optional.of(new Recovery(3, "e1")));
    a.expectNothing(); // no welcome without the epoch
    history("e1", 5, kept(4, "four"), kept(5, "five"));
    ClientEvent.Welcome welcome = assertInstanceOf(ClientEvent.Welcome.class, a.next());
    assertEquals("e1", welcome.epoch());
    assertEquals(5L, welcome.offset());
    assertInstanceOf(ClientEvent.Joined.class, a.next()); // b, in the order they came
    ClientEvent.Welcome recovered = assertInstanceOf(ClientEvent.Welcome.class, b.next());
    assertEquals(Boolean.TRUE, recovered.recovered());
    expectMessage(b, "four", 4);
    expectMessage(b, "five", 5);
  }

  @Test
  void aBroadcastIsFannedOutAndAcknowledgedWhenItComesBackNumbered() throws Exception {
    Client a = started();
    Client b = connect(Optional.empty());
    assertInstanceOf(ClientEvent.Welcome.class, b.next());
    assertInstanceOf(ClientEvent.Joined.class, a.next());
    int acknowledged = a.transport().acknowledged.get();
    a.says("hi");
    assertEquals(new Sent("e1", 1, 1, a.id(), new Payload.Text("hi")), sequencer.nextSent());
    a.expectNothing(); // not before the sequencer numbered it
    assertEquals(acknowledged, a.transport().acknowledged.get(), "nor acknowledged");
    sequenced(THERE, "e1", 6, 9, OTHER, "theirs"); // another node's, numbered first
    sequenced(HERE, "e1", 7, 1, a.id(), "hi");
    expectMessage(a, "theirs", 6);
    expectMessage(a, "hi", 7);
    expectMessage(b, "theirs", 6);
    expectMessage(b, "hi", 7);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(3);
    while (a.transport().acknowledged.get() == acknowledged && System.nanoTime() < deadline) {
      Thread.onSpinWait(); // the session acknowledges on its own thread
    }
    assertEquals(acknowledged + 1, a.transport().acknowledged.get());
  }

  @Test
  void aGapMakesTheRoomAskForTheHistoryAndDeliverWhatItMissed() {
    Client a = started();
    sequenced(THERE, "e1", 8, 1, OTHER, "eight"); // 6 and 7 were lost on the way
    a.expectNothing();
    assertEquals(1, sequencer.resyncs.get());
    sequenced(THERE, "e1", 9, 2, OTHER, "nine"); // still waiting: one request is enough
    history(
        "e1",
        9,
        kept(5, "five"),
        kept(6, "six"),
        kept(7, "seven"),
        kept(8, "eight"),
        kept(9, "nine"));
    expectMessage(a, "six", 6);
    expectMessage(a, "seven", 7);
    expectMessage(a, "eight", 8);
    expectMessage(a, "nine", 9);
    assertEquals(1, sequencer.resyncs.get());
    sequenced(THERE, "e1", 10, 3, OTHER, "ten");
    expectMessage(a, "ten", 10);
  }

  @Test
  void anotherEpochTellsJsonMembersAndSendsAgainWhatHadNotComeBack() throws Exception {
    Client a = started();
    a.says("lost");
    assertEquals(new Sent("e1", 1, 1, a.id(), new Payload.Text("lost")), sequencer.nextSent());
    // The sequencer's node was lost: a new sequencer, which already numbered one broadcast.
    history("e2", 1, kept(1, "new"));
    // Everything up to offset 0 of the new epoch: what follows is new to the client.
    assertEquals(new ClientEvent.HistoryReset("e2", 0), a.next());
    expectMessage(a, "new", 1);
    assertEquals(new Sent("e2", 1, 1, a.id(), new Payload.Text("lost")), sequencer.nextSent());
    sequenced(HERE, "e1", 6, 1, a.id(), "lost"); // late, from the old sequencer: ignored
    sequenced(HERE, "e2", 2, 1, a.id(), "lost");
    expectMessage(a, "lost", 2);
    a.expectNothing();

    // A client of the old epoch is not recovered; one of the new epoch is.
    Client old = connect(Optional.of(new Recovery(5, "e1")));
    assertEquals(
        Boolean.FALSE, assertInstanceOf(ClientEvent.Welcome.class, old.next()).recovered());
    Client fresh = connect(Optional.of(new Recovery(1, "e2")));
    assertEquals(
        Boolean.TRUE, assertInstanceOf(ClientEvent.Welcome.class, fresh.next()).recovered());
    expectMessage(fresh, "lost", 2);
  }

  @Test
  void anAdminPublishIsAnsweredWhenItComesBack() throws Exception {
    Client a = started();
    TestProbe<Lobby.Published> published = testKit.createTestProbe();
    lobby.tell(new Lobby.Publish(ROOM, new Payload.Json("{\"n\":1}"), published.ref()));
    Sent sent = sequencer.nextSent();
    published.expectNoMessage(Duration.ofMillis(200));
    sequencer.inbox.tell(
        new PeerEvent.Sequenced(HERE, "e1", 6, sent.seq(), sent.from(), sent.msg()));
    assertEquals(new Lobby.Published(ROOM, 1), published.receiveMessage());
    assertEquals(6L, ((ClientEvent.Message) a.next()).offset());
  }

  @Test
  void broadcastsLostOnTheWayToTheSequencerAreSentAgainFromTheGapInOrder() throws Exception {
    Client a = started();
    a.says("x");
    a.says("y");
    assertEquals(new Sent("e1", 1, 1, a.id(), new Payload.Text("x")), sequencer.nextSent());
    assertEquals(new Sent("e1", 1, 2, a.id(), new Payload.Text("y")), sequencer.nextSent());
    sequencer.inbox.tell(new PeerEvent.SequenceGap(HERE, "e0", 1)); // another epoch's: ignored
    sequencer.inbox.tell(new PeerEvent.SequenceGap(HERE, "e1", 1)); // x was lost
    assertEquals(new Sent("e1", 1, 1, a.id(), new Payload.Text("x")), sequencer.nextSent());
    assertEquals(new Sent("e1", 1, 2, a.id(), new Payload.Text("y")), sequencer.nextSent());
    assertEquals(null, sequencer.sent.poll(200, TimeUnit.MILLISECONDS));
    sequenced(HERE, "e1", 6, 1, a.id(), "x");
    sequenced(HERE, "e1", 7, 2, a.id(), "y");
    expectMessage(a, "x", 6);
    expectMessage(a, "y", 7);
  }

  @Test
  void aMembersCloseWaitsUntilItsBroadcastsCameBack() throws Exception {
    Client a = started();
    a.says("last words");
    Sent sent = sequencer.nextSent();
    a.session().tell(new Session.ClientFailed(1007, "bad"));
    a.expectNothing(); // not closed before its broadcast went out
    sequenced(HERE, "e1", 6, sent.seq(), a.id(), "last words");
    expectMessage(a, "last words", 6);
    a.transport().probe.expectMessage(new ProbeTransport.Closed(1007, "bad"));
  }

  @Test
  void aLeaveIsToldAfterTheLeaversBroadcastsCameBack() throws Exception {
    Client a = started();
    Client b = connect(Optional.empty());
    b.next(); // welcome
    a.next(); // joined
    b.says("bye");
    Sent sent = sequencer.nextSent();
    b.session().tell(Session.TransportClosed.INSTANCE);
    a.expectNothing(); // no left before its message
    sequenced(HERE, "e1", 6, sent.seq(), b.id(), "bye");
    expectMessage(a, "bye", 6);
    assertInstanceOf(ClientEvent.Left.class, a.next());
  }

  @Test
  void joinsThatWaitForAHistoryThatNeverComesAreClosedAfterSixHeartbeats() {
    Client a = connect(Optional.empty());
    ManualTime time = ManualTime.get(testKit.system());
    for (int i = 0; i < AwaitingHistory.WAIT_BEATS - 1; i++) {
      time.timePasses(Duration.ofSeconds(5));
    }
    a.expectNothing();
    time.timePasses(Duration.ofSeconds(5));
    a.transport().probe.expectMessage(new ProbeTransport.Closed(1013, "room unavailable"));
  }

  @Test
  void aSuccessorInTheSameEpochGetsWhatHadNotComeBackWithoutAReset() throws Exception {
    Client a = started();
    a.says("in flight");
    assertEquals(new Sent("e1", 1, 1, a.id(), new Payload.Text("in flight")), sequencer.nextSent());
    // The sequencer's shard moved; its successor took over its state, in the same epoch.
    sequencer.inbox.tell(
        new PeerEvent.History(THERE, "e1", 5, List.of(kept(4, "four"), kept(5, "five")), true));
    assertEquals(new Sent("e1", 1, 1, a.id(), new Payload.Text("in flight")), sequencer.nextSent());
    a.expectNothing(); // no reset, nothing replayed
    sequenced(HERE, "e1", 6, 1, a.id(), "in flight");
    expectMessage(a, "in flight", 6);
  }

  @Test
  void whatTheSequencerKeptExpiresHereWhenItWouldThere() {
    Client a = connect(Optional.empty());
    // Kept 4 min 55 s ago there, with a ttl of 5 min: it has one heartbeat (5 s) left.
    history("e1", 5, kept(4, "four", Duration.ofSeconds(295)), kept(5, "five", Duration.ZERO));
    assertInstanceOf(ClientEvent.Welcome.class, a.next());
    Client early = connect(Optional.of(new Recovery(3, "e1")));
    assertEquals(
        Boolean.TRUE, assertInstanceOf(ClientEvent.Welcome.class, early.next()).recovered());
    expectMessage(early, "four", 4);
    expectMessage(early, "five", 5);
    ManualTime.get(testKit.system()).timePasses(Duration.ofSeconds(10)); // two heartbeats
    Client late = connect(Optional.of(new Recovery(3, "e1")));
    assertEquals(
        Boolean.FALSE,
        assertInstanceOf(ClientEvent.Welcome.class, late.next()).recovered(),
        "four expired here as it did there");
  }
}
