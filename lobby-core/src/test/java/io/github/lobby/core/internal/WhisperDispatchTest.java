package io.github.lobby.core.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import io.github.lobby.core.ClientEvent;
import io.github.lobby.core.ClientRequest;
import io.github.lobby.core.LobbyMetrics;
import io.github.lobby.core.Mode;
import io.github.lobby.core.Payload;
import io.github.lobby.core.RoomId;
import io.github.lobby.core.SessionId;
import io.github.lobby.core.TestCodec;
import io.github.lobby.core.Transport;
import java.util.List;
import org.apache.pekko.actor.testkit.typed.javadsl.TestInbox;
import org.junit.jupiter.api.Test;

/** Where a session's whispers go: straight to a target of this node, else to the Lobby. */
class WhisperDispatchTest {

  static final RoomId ROOM = new RoomId("whispers");
  static final Payload PSST = new Payload.Text("psst");

  final SessionDirectory directory = new SessionDirectory(TestCodec.CODECS);
  final TestInbox<LobbyControl> lobby = TestInbox.create();
  final TestInbox<SessionControl> asker = TestInbox.create();
  final SessionId from = SessionId.random();

  WhisperDispatch dispatch(boolean federated) {
    return new WhisperDispatch(directory, federated, lobby.getRef(), LobbyMetrics.NONE);
  }

  RecordingTransport target(SessionId id, String user) {
    RecordingTransport transport = new RecordingTransport();
    TestInbox<SessionControl> session = TestInbox.create();
    directory.put(
        id,
        new SessionDirectory.Entry(
            session.getRef(), ROOM, Mode.JSON, transport, user, null, null, null));
    return transport;
  }

  @Test
  void aTargetOfThisNodeGetsItAtOnceAndTheLobbyHearsNothing() {
    SessionId to = SessionId.random();
    RecordingTransport transport = target(to, null);
    ClientRequest whisper = new ClientRequest.Whisper(to.toString(), PSST, "r1");
    assertEquals(
        WhisperDispatch.Outcome.DELIVERED,
        dispatch(true).dispatch(from, ROOM, whisper, asker.getRef()));
    assertEquals(List.of(new ClientEvent.Whisper(from, to, ROOM, PSST)), transport.events());
    assertFalse(lobby.hasMessages());
    assertEquals("r1", WhisperDispatch.ref(whisper));
  }

  @Test
  void aTargetNotHereIsNobodyOnOneNodeAndTheLobbysToFindOnSeveral() {
    String elsewhere = SessionId.random().toString();
    ClientRequest whisper = new ClientRequest.Whisper(elsewhere, PSST);
    assertEquals(
        WhisperDispatch.Outcome.NOBODY,
        dispatch(false).dispatch(from, ROOM, whisper, asker.getRef()));
    assertEquals(new ClientEvent.NoSession(elsewhere, null), WhisperDispatch.nobody(whisper));
    assertEquals(
        WhisperDispatch.Outcome.WITH_LOBBY,
        dispatch(true).dispatch(from, ROOM, whisper, asker.getRef()));
    assertEquals(
        new LobbyControl.Whisper(from, elsewhere, PSST, asker.getRef(), null),
        lobby.receiveMessage());
    ClientRequest notAnId = new ClientRequest.Whisper("nobody", PSST);
    assertEquals(
        WhisperDispatch.Outcome.NOBODY,
        dispatch(true).dispatch(from, ROOM, notAnId, asker.getRef()));
  }

  @Test
  void aWhisperToAUserReachesItsSessionsHereAndTheLobbyCountsTheOthers() {
    RecordingTransport one = target(SessionId.random(), "ann");
    RecordingTransport two = target(SessionId.random(), "ann");
    ClientRequest toAnn = new ClientRequest.WhisperUser("ann", PSST, "r2");
    assertEquals(
        WhisperDispatch.Outcome.DELIVERED,
        dispatch(false).dispatch(from, ROOM, toAnn, asker.getRef()));
    assertEquals(1, one.frames.size());
    assertEquals(1, two.frames.size());
    assertEquals(
        WhisperDispatch.Outcome.WITH_LOBBY,
        dispatch(true).dispatch(from, ROOM, toAnn, asker.getRef()));
    assertEquals(
        new LobbyControl.WhisperUser(from, "ann", PSST, 2, asker.getRef(), "r2"),
        lobby.receiveMessage());
    ClientRequest toBob = new ClientRequest.WhisperUser("bob", PSST);
    assertEquals(
        WhisperDispatch.Outcome.NOBODY,
        dispatch(false).dispatch(from, ROOM, toBob, asker.getRef()));
    assertEquals(new ClientEvent.NoUser("bob", null), WhisperDispatch.nobody(toBob));
  }

  @Test
  void aFullQueueTellsItsSessionWhichThenClosesItsClient() {
    SessionId to = SessionId.random();
    RecordingTransport transport = new RecordingTransport();
    transport.answer = Transport.Offer.FULL;
    TestInbox<SessionControl> session = TestInbox.create();
    directory.put(to, new SessionDirectory.Entry(session.getRef(), ROOM, Mode.JSON, transport));
    ClientRequest whisper = new ClientRequest.Whisper(to.toString(), PSST);
    dispatch(false).dispatch(from, ROOM, whisper, asker.getRef());
    assertEquals(SessionControl.SlowConsumer.INSTANCE, session.receiveMessage());
  }
}
