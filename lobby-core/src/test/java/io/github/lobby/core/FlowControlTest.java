package io.github.lobby.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.lobby.core.ProbeTransport.Sent;
import io.github.lobby.core.ProbeTransport.SentBinary;
import java.time.Duration;
import java.util.List;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.JUnit5TestKitBuilder;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.apache.pekko.actor.testkit.typed.javadsl.TestKitJUnit5Extension;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.testkit.typed.annotations.JUnit5TestKit;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.util.ByteString;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Inbound flow control: when a client message is acknowledged to its transport (which reads no
 * more than {@code inbound-window} unacknowledged messages), and the rate limit's throttle.
 */
@ExtendWith({TestKitJUnit5Extension.class, LogCapturingExtension.class})
class FlowControlTest {

  @JUnit5TestKit ActorTestKit testKit = new JUnit5TestKitBuilder().build();

  static final RoomId ROOM = new RoomId("flow");
  static final Duration QUIET = Duration.ofMillis(300);

  final TestProbe<Room.Command> room = testKit.createTestProbe();
  final TestProbe<Lobby.Command> lobby = testKit.createTestProbe();
  final SessionDirectory directory = new SessionDirectory(TestCodec.CODECS);

  /** A session on its own, with probes for its room and the Lobby. */
  ActorRef<Session.Command> session(ProbeTransport transport, LobbySettings settings, boolean federated) {
    return testKit.spawn(
        Session.create(
            SessionId.random(),
            ROOM,
            transport,
            java.util.Optional.empty(),
            room.ref(),
            lobby.ref(),
            directory,
            federated,
            Mode.CLASSIC,
            TestCodec.CODECS.classic(),
            settings,
            LobbyMetrics.NONE,
            null));
  }

  static LobbySettings settings() {
    return LobbyTest.SETTINGS;
  }

  /** Asserts that the transport's acknowledgements stay at {@code count} for a while. */
  static void acknowledgedStays(ProbeTransport transport, int count) {
    long until = System.nanoTime() + QUIET.toNanos();
    while (System.nanoTime() < until) {
      assertEquals(count, transport.acknowledged.get());
      Thread.onSpinWait();
    }
  }

  static void awaitAcknowledged(ProbeTransport transport, int count) {
    long until = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (transport.acknowledged.get() < count && System.nanoTime() < until) {
      Thread.onSpinWait();
    }
    assertEquals(count, transport.acknowledged.get());
  }

  @Test
  void aBroadcastIsAcknowledgedOnlyOnceItsRoomHasHandledIt() {
    ProbeTransport transport = new ProbeTransport(testKit);
    ActorRef<Session.Command> session = session(transport, settings(), false);

    session.tell(new Session.ClientText("one"));
    session.tell(new Session.ClientText("two"));

    assertInstanceOf(Room.Broadcast.class, room.receiveMessage());
    assertInstanceOf(Room.Broadcast.class, room.receiveMessage());
    acknowledgedStays(transport, 0); // the work is still with the room
    session.tell(Session.Processed.ROOM);
    awaitAcknowledged(transport, 1);
    acknowledgedStays(transport, 1);
    session.tell(Session.Processed.ROOM);
    awaitAcknowledged(transport, 2);
  }

  @Test
  void aMembersRequestIsAcknowledgedOnlyOnceItsRoomHasAnsweredIt() {
    ProbeTransport transport = new ProbeTransport(testKit);
    ActorRef<Session.Command> session = session(transport, settings(), false);

    session.tell(new Session.ClientText("members"));

    assertInstanceOf(Room.ListMembers.class, room.receiveMessage());
    acknowledgedStays(transport, 0);
    session.tell(Session.Processed.ROOM);
    awaitAcknowledged(transport, 1);
  }

  @Test
  void aWhisperToASessionOfThisNodeGoesStraightToItsTargetNotThroughTheLobby() {
    ProbeTransport sender = new ProbeTransport(testKit);
    ProbeTransport target = new ProbeTransport(testKit);
    SessionId targetId = SessionId.random();
    TestProbe<Session.Command> targetSession = testKit.createTestProbe();
    directory.put(
        targetId, new SessionDirectory.Entry(targetSession.ref(), ROOM, Mode.CLASSIC, target));
    ActorRef<Session.Command> session = session(sender, settings(), true);

    session.tell(new Session.ClientText("w " + targetId + " psst"));

    ClientEvent.Whisper whisper = assertInstanceOf(ClientEvent.Whisper.class, target.expectEvent());
    assertEquals(targetId, whisper.to());
    assertEquals(new Payload.Text("psst"), whisper.msg());
    awaitAcknowledged(sender, 1);
    lobby.expectNoMessage(QUIET);
    room.expectNoMessage(Duration.ZERO);
  }

  @Test
  void onASingleNodeAWhisperToNobodyIsAnsweredByTheSessionItself() {
    ProbeTransport sender = new ProbeTransport(testKit);
    ActorRef<Session.Command> session = session(sender, settings(), false);
    String nobody = SessionId.random().toString();

    session.tell(new Session.ClientText("w " + nobody + " hello?"));
    session.tell(new Session.ClientText("w not-an-id hello?"));

    sender.expectEvent(new ClientEvent.NoSession(nobody));
    sender.expectEvent(new ClientEvent.NoSession("not-an-id"));
    awaitAcknowledged(sender, 2);
    lobby.expectNoMessage(QUIET);
  }

  @Test
  void aWhisperSearchedOnOtherNodesIsAcknowledgedWhenTheSearchHasEnded() {
    TestProbe<Lobby.WhisperSearch> searches = testKit.createTestProbe();
    Federation federation =
        new Federation() {
          @Override
          public Link link(RoomId room, ActorRef<PeerEvent> inbox, ActorContext<?> context) {
            return event -> {};
          }

          @Override
          public Whispers whispers(ActorRef<Lobby.PeerCommand> lobby, ActorContext<?> context) {
            return search -> searches.ref().tell(search);
          }
        };
    ActorRef<Lobby.Command> realLobby =
        testKit.spawn(Lobby.create(settings(), TestCodec.CODECS, federation));
    ProbeTransport transport = new ProbeTransport(testKit);
    TestProbe<ActorRef<Session.Command>> reply = testKit.createTestProbe();
    realLobby.tell(new Lobby.Connect(SessionId.random(), ROOM, Mode.CLASSIC, transport, reply.ref()));
    ActorRef<Session.Command> session = reply.receiveMessage();
    assertInstanceOf(ClientEvent.Welcome.class, transport.expectEvent());
    String elsewhere = SessionId.random().toString();

    session.tell(new Session.ClientText("w " + elsewhere + " far"));

    Lobby.WhisperSearch search = searches.receiveMessage();
    assertEquals(elsewhere, search.target());
    acknowledgedStays(transport, 0); // the search is still under way
    realLobby.tell(new Lobby.WhisperSearched(search, false));
    transport.expectEvent(new ClientEvent.NoSession(elsewhere));
    awaitAcknowledged(transport, 1);
  }

  @Test
  void aClientOverTheRateIsThrottledNotClosedAndNothingItSentIsLost() {
    ProbeTransport transport = new ProbeTransport(testKit);
    // 10 per second: a burst of 10, then one every 100 ms.
    ActorRef<Session.Command> session =
        session(
            transport,
            settings().withInboundRate(10, LobbySettings.RateExceeded.THROTTLE),
            false);
    long start = System.nanoTime();

    for (int i = 0; i < 30; i++) {
      session.tell(new Session.ClientBinary(ByteString.fromString("m" + i)));
    }

    for (int i = 0; i < 30; i++) {
      assertEquals(
          new SentBinary(ByteString.fromString("m" + i)),
          transport.probe.expectMessageClass(SentBinary.class));
    }
    // All 30 handled at once, but only the burst acknowledged: the transport reads no further
    // than its window past these, so TCP holds the client back.
    int early = transport.acknowledged.get();
    assertTrue(early >= 10 && early < 30, "acknowledged at once: " + early);
    awaitAcknowledged(transport, 30);
    long elapsed = System.nanoTime() - start;
    // The 20 over the burst are due 100 ms apart; none is acknowledged early.
    assertTrue(elapsed >= Duration.ofSeconds(2).toNanos(), "all acknowledged after " + elapsed);
    transport.probe.expectNoMessage(QUIET); // not closed
  }

  @Test
  void theMemberListIsRenderedOncePerMembershipChangeAndShared() {
    ActorRef<Lobby.Command> realLobby = testKit.spawn(Lobby.create(settings(), TestCodec.CODECS));
    LobbyTest.Client a = connect(realLobby);
    LobbyTest.Client b = connect(realLobby);
    a.next(); // b joined

    a.says("members");
    b.says("members");
    Sent first = a.transport().probe.expectMessageClass(Sent.class);
    Sent second = b.transport().probe.expectMessageClass(Sent.class);
    assertEquals(new ClientEvent.Members(ROOM, List.of(a.id(), b.id())), first.event());
    assertSame(first.frame(), second.frame());

    LobbyTest.Client c = connect(realLobby);
    a.next();
    b.next();
    a.says("members");
    Sent third = a.transport().probe.expectMessageClass(Sent.class);
    assertEquals(new ClientEvent.Members(ROOM, List.of(a.id(), b.id(), c.id())), third.event());
    assertNotSame(first.frame(), third.frame());
  }

  LobbyTest.Client connect(ActorRef<Lobby.Command> realLobby) {
    ProbeTransport transport = new ProbeTransport(testKit);
    SessionId id = SessionId.random();
    TestProbe<ActorRef<Session.Command>> reply = testKit.createTestProbe();
    realLobby.tell(new Lobby.Connect(id, ROOM, Mode.CLASSIC, transport, reply.ref()));
    LobbyTest.Client client = new LobbyTest.Client(id, transport, reply.receiveMessage());
    assertInstanceOf(ClientEvent.Welcome.class, client.next());
    return client;
  }

  @Test
  void aRoomThatFailsOnABroadcastKeepsServingAndStillAcknowledgesIt() {
    ActorRef<Lobby.Command> realLobby = testKit.spawn(Lobby.create(settings(), TestCodec.CODECS));
    LobbyTest.Client a = connect(realLobby);
    LobbyTest.Client b = connect(realLobby);
    a.next(); // b joined

    a.says("render-crash"); // the room's rendering throws
    a.says("after");

    ClientEvent after = new ClientEvent.Message(a.id(), ROOM, new Payload.Text("after"));
    a.expect(after);
    b.expect(after);
    awaitAcknowledged(a.transport(), 2);
  }
}
