package io.github.lobby.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;

import io.github.lobby.core.ProbeTransport.Sent;
import java.time.Duration;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.JUnit5TestKitBuilder;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.apache.pekko.actor.testkit.typed.javadsl.TestKitJUnit5Extension;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.testkit.typed.annotations.JUnit5TestKit;
import org.apache.pekko.actor.typed.ActorRef;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A session's client references ({@code ref}): answered once, remembered within a bound, and
 * handed from a session actor to its successor on a resume while the predecessor still works on
 * some of them.
 */
@ExtendWith({TestKitJUnit5Extension.class, LogCapturingExtension.class})
class SentRefsTest {

  @JUnit5TestKit ActorTestKit testKit = new JUnit5TestKitBuilder().build();

  static final RoomId ROOM = new RoomId("refs");

  final TestProbe<Room.Command> room = testKit.createTestProbe();
  final TestProbe<Lobby.Command> lobby = testKit.createTestProbe();
  final SessionDirectory directory = new SessionDirectory(TestCodec.CODECS);

  ActorRef<Session.Command> session(ProbeTransport transport, SentRefs refs) {
    return testKit.spawn(
        Session.create(
            SessionId.random(),
            ROOM,
            transport,
            java.util.Optional.empty(),
            room.ref(),
            lobby.ref(),
            directory,
            false,
            Mode.JSON,
            TestCodec.CODECS.json(),
            LobbyTest.SETTINGS,
            LobbyMetrics.NONE,
            refs));
  }

  @Test
  void aRefIsNewThenUnderWayThenDoneAndTheOldestAreForgottenBeyondTheBound() {
    SentRefs refs = new SentRefs(2);
    ActorRef<Session.Command> nobody = testKit.<Session.Command>createTestProbe().ref();
    assertSame(SentRefs.New.INSTANCE, refs.begin("a", nobody));
    assertSame(SentRefs.Waiting.INSTANCE, refs.begin("a", nobody));
    ClientEvent ack = new ClientEvent.Ack("a", 3L);
    assertEquals(nobody, refs.finish("a", ack), "the one waiting is told");
    assertEquals(new SentRefs.Done(ack), refs.begin("a", nobody));
    assertSame(SentRefs.New.INSTANCE, refs.begin("b", nobody));
    assertSame(SentRefs.New.INSTANCE, refs.begin("c", nobody));
    assertEquals(2, refs.size());
    assertSame(SentRefs.New.INSTANCE, refs.begin("a", nobody), "the oldest was forgotten");
    assertNull(refs.finish("b", new ClientEvent.Ack("b", null)), "nobody waits for b");
  }

  @Test
  void aRefSentAgainWhileThePredecessorStillWorksOnItIsAnsweredWhenThePredecessorIsDone() {
    SentRefs refs = new SentRefs(16);
    ProbeTransport first = new ProbeTransport(testKit);
    ActorRef<Session.Command> predecessor = session(first, refs);
    predecessor.tell(new Session.ClientText("ref r1 hello"));
    Room.Broadcast broadcast = room.expectMessageClass(Room.Broadcast.class);
    assertEquals("r1", broadcast.ref());

    // The client comes back on a new connection (a resume) and sends r1 again.
    ProbeTransport second = new ProbeTransport(testKit);
    ActorRef<Session.Command> successor = session(second, refs);
    successor.tell(new Session.ClientText("ref r1 hello"));
    room.expectNoMessage(Duration.ofMillis(200)); // not broadcast again
    FlowControlTest.awaitAcknowledged(second, 1); // nothing under way for the successor

    ClientEvent ack = new ClientEvent.Ack("r1", 7L);
    predecessor.tell(new Session.Answered(Session.Processed.ROOM, "r1", ack));
    second.expectEvent(ack);
    first.expectEvent(ack); // its own connection, had it still one

    successor.tell(new Session.ClientText("ref r1 hello"));
    second.expectEvent(ack);
    room.expectNoMessage(Duration.ofMillis(200));
  }

  @Test
  void aSupersededSessionActorStopsOnceItsRefsAreAnswered() {
    SentRefs refs = new SentRefs(16);
    ProbeTransport transport = new ProbeTransport(testKit);
    ActorRef<Session.Command> session = session(transport, refs);
    session.tell(new Session.ClientText("ref r1 one"));
    session.tell(new Session.ClientText("plain"));
    room.expectMessageClass(Room.Broadcast.class);
    room.expectMessageClass(Room.Broadcast.class);
    session.tell(Session.Superseded.INSTANCE);
    // Still there for its answer, which it remembers for its successor: a session actor that
    // stopped at once would leave r1 under way for ever.
    session.tell(new Session.Answered(Session.Processed.ROOM, "r1", new ClientEvent.Ack("r1", 1L)));
    TestProbe<Object> watcher = testKit.createTestProbe();
    watcher.expectTerminated(session, Duration.ofSeconds(3));
    assertEquals(new SentRefs.Done(new ClientEvent.Ack("r1", 1L)), refs.begin("r1", session));
  }
}
