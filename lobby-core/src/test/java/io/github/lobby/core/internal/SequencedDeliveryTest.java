package io.github.lobby.core.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.lobby.core.ClientEvent;
import io.github.lobby.core.Federation;
import io.github.lobby.core.KeptMessage;
import io.github.lobby.core.LeaveReason;
import io.github.lobby.core.Lobby;
import io.github.lobby.core.LobbyMetrics;
import io.github.lobby.core.LobbySettings;
import io.github.lobby.core.Mode;
import io.github.lobby.core.Payload;
import io.github.lobby.core.PeerEvent;
import io.github.lobby.core.RoomId;
import io.github.lobby.core.SessionId;
import io.github.lobby.core.TestCodec;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.apache.pekko.actor.testkit.typed.javadsl.TestInbox;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/** A room's broadcasts through its sequencer, without actors: a fake link plays the sequencer. */
class SequencedDeliveryTest {

  static final RoomId ROOM = new RoomId("sequenced");
  static final String HERE = "here";

  /** What the room sent its sequencer: its seq and text. */
  record Sent(String epoch, long base, long seq, String text) {}

  final List<Sent> sent = new ArrayList<>();
  int resyncs;
  final List<Room.Leave> leaves = new ArrayList<>();

  final Federation.Link peers =
      new Federation.Link() {
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
          sent.add(new Sent(epoch, base, seq, ((Payload.Text) msg).value()));
        }

        @Override
        public void resync() {
          resyncs++;
        }
      };

  RoomLog log;
  Members members;
  SequencedDelivery delivery;
  final SessionId id = SessionId.random();
  final RecordingTransport transport = new RecordingTransport();
  final TestInbox<SessionControl> session = TestInbox.create();

  @BeforeEach
  void start() {
    log =
        new RoomLog(
            new LobbySettings.History(100, Duration.ofMinutes(5), 64 * 1024, 1_000),
            Duration.ofSeconds(5),
            true);
    RemotePresence remote =
        new RemotePresence(
            ROOM, peers, LoggerFactory.getLogger(SequencedDeliveryTest.class), System::nanoTime);
    members = new Members(ROOM, TestCodec.CODECS, LobbyMetrics.NONE, remote);
    delivery =
        new SequencedDelivery(
            ROOM,
            peers,
            log,
            members,
            LobbyMetrics.NONE,
            LoggerFactory.getLogger(SequencedDeliveryTest.class),
            leaves::add);
    members.join(id, Mode.JSON, transport, session.getRef(), null);
    delivery.onHistory(new PeerEvent.History("seq", "e1", 5, List.of()));
  }

  Room.Broadcast broadcast(String text, String ref) {
    return new Room.Broadcast(id, new Payload.Text(text), 0, session.getRef(), ref);
  }

  void sequenced(long offset, long seq, String text) {
    delivery.onSequenced(
        new PeerEvent.Sequenced(HERE, log.epoch(), offset, seq, id, new Payload.Text(text)));
  }

  @Test
  void aBroadcastGoesToTheSequencerAndIsFannedOutAndAcknowledgedWhenItComesBack() {
    delivery.broadcast(broadcast("one", null));
    delivery.broadcast(broadcast("two", "r2"));
    assertEquals(List.of(new Sent("e1", 1, 1, "one"), new Sent("e1", 1, 2, "two")), sent);
    assertTrue(transport.frames.isEmpty(), "not before it comes back");
    sequenced(6, 1, "one");
    sequenced(7, 2, "two");
    assertEquals(
        List.of(
            new ClientEvent.Message(id, ROOM, new Payload.Text("one"), 6L),
            new ClientEvent.Message(id, ROOM, new Payload.Text("two"), 7L)),
        transport.events());
    assertEquals(SessionControl.Processed.ROOM, session.receiveMessage());
    assertEquals(
        new SessionControl.Answered(
            SessionControl.Processed.ROOM, "r2", new ClientEvent.Ack("r2", 7L)),
        session.receiveMessage());
  }

  @Test
  void aGapMakesTheRoomAskForTheHistoryAndASyncWaitsForWhatWasSentBeforeIt() {
    delivery.broadcast(broadcast("one", null));
    Room.Sync sync = new Room.Sync(session.getRef(), SessionControl.DrainEnded.INSTANCE);
    assertTrue(delivery.defer(sync));
    assertTrue(delivery.defer(new Room.Leave(id, LeaveReason.CLOSED)));
    sequenced(7, 1, "one"); // 6 was lost on the way
    assertEquals(1, resyncs);
    assertEquals(SessionControl.Processed.ROOM, session.receiveMessage()); // comes with the history
    assertEquals(SessionControl.DrainEnded.INSTANCE, session.receiveMessage());
    assertEquals(List.of(new Room.Leave(id, LeaveReason.CLOSED)), leaves);
    assertFalse(delivery.defer(sync), "nothing under way any more");
    KeptMessage six = new KeptMessage(6, id, new Payload.Text("lost"), Duration.ZERO);
    KeptMessage seven = new KeptMessage(7, id, new Payload.Text("one"), Duration.ZERO);
    delivery.onHistory(new PeerEvent.History("seq", "e1", 7, List.of(six, seven)));
    assertEquals(7, log.lastOffset());
    assertEquals(2, transport.frames.size(), "what it missed, once");
  }

  @Test
  void anotherEpochIsToldToJsonMembersAndWhatHadNotComeBackIsSentAgain() {
    TestInbox<Lobby.Published> publisher = TestInbox.create();
    delivery.publish(
        new Room.Publish(SessionId.random(), new Payload.Text("admin"), publisher.getRef()));
    delivery.onHistory(new PeerEvent.History("seq2", "e2", 0, List.of()));
    assertEquals(new ClientEvent.HistoryReset("e2", 0), transport.events().get(0));
    assertEquals(new Sent("e2", 1, 1, "admin"), sent.get(1));
    delivery.stop();
    assertEquals(new Lobby.Published(ROOM, 0), publisher.receiveMessage(), "counting nobody");
  }
}
