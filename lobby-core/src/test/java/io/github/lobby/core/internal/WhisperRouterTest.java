package io.github.lobby.core.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.github.lobby.core.ClientEvent;
import io.github.lobby.core.Federation;
import io.github.lobby.core.Lobby;
import io.github.lobby.core.LobbyMetrics;
import io.github.lobby.core.Mode;
import io.github.lobby.core.Payload;
import io.github.lobby.core.RoomId;
import io.github.lobby.core.SessionId;
import io.github.lobby.core.TestCodec;
import java.util.ArrayList;
import java.util.List;
import org.apache.pekko.actor.testkit.typed.javadsl.TestInbox;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The Lobby's part of whispers: searches on other nodes, and their answers to the sender. */
class WhisperRouterTest {

  static final RoomId ROOM = new RoomId("router");
  static final Payload PSST = new Payload.Text("psst");

  final SessionDirectory directory = new SessionDirectory(TestCodec.CODECS);
  final List<Lobby.WhisperSearch> searches = new ArrayList<>();
  final List<Lobby.UserWhisper> userSearches = new ArrayList<>();
  final Federation.Whispers federation =
      new Federation.Whispers() {
        @Override
        public void find(Lobby.WhisperSearch search) {
          searches.add(search);
        }

        @Override
        public boolean findUser(Lobby.UserWhisper whisper) {
          userSearches.add(whisper);
          return true;
        }
      };
  final WhisperRouter router = new WhisperRouter(directory, federation, LobbyMetrics.NONE);
  final SessionId from = SessionId.random();
  final RecordingTransport sender = new RecordingTransport();
  final TestInbox<SessionControl> asker = TestInbox.create();

  @BeforeEach
  void senderIsHere() {
    directory.put(from, new SessionDirectory.Entry(asker.getRef(), ROOM, Mode.JSON, sender));
  }

  @Test
  void aWhisperNotFoundHereIsSearchedAndItsSenderAnsweredWhenTheSearchEnds() {
    String to = SessionId.random().toString();
    router.whisper(new LobbyControl.Whisper(from, to, PSST, asker.getRef()));
    Lobby.WhisperSearch search = searches.get(0);
    assertEquals(to, search.target());
    assertEquals(ROOM, search.room());
    router.searched(new Lobby.WhisperSearched(search, false));
    assertEquals(List.of(new ClientEvent.NoSession(to)), sender.events());
    assertEquals(SessionControl.Processed.LOBBY, asker.receiveMessage());
  }

  @Test
  void withARefTheAnswerGoesToTheSessionActorThatAsked() {
    String to = SessionId.random().toString();
    router.whisper(new LobbyControl.Whisper(from, to, PSST, asker.getRef(), "r1"));
    router.searched(new Lobby.WhisperSearched(searches.get(0), true));
    assertEquals(
        new SessionControl.Answered(
            SessionControl.Processed.LOBBY, "r1", new ClientEvent.Ack("r1", null)),
        asker.receiveMessage());
    assertEquals(List.of(), sender.events(), "the session actor sends it on");
  }

  @Test
  void aWhisperToAUserCountsTheSessionsOfEveryNode() {
    router.whisperUser(new LobbyControl.WhisperUser(from, "ann", PSST, 0, asker.getRef(), null));
    router.userWhispered(new Lobby.UserWhispered(userSearches.get(0), 0));
    assertEquals(List.of(new ClientEvent.NoUser("ann")), sender.events());
    assertEquals(SessionControl.Processed.LOBBY, asker.receiveMessage());
    router.whisperUser(new LobbyControl.WhisperUser(from, "ann", PSST, 1, asker.getRef(), "r2"));
    router.userWhispered(new Lobby.UserWhispered(userSearches.get(1), 0));
    assertEquals(
        new SessionControl.Answered(
            SessionControl.Processed.LOBBY, "r2", new ClientEvent.Ack("r2", null)),
        asker.receiveMessage());
  }

  @Test
  void anotherNodesWhisperIsDeliveredHereAndCounted() {
    TestInbox<Boolean> delivered = TestInbox.create();
    router.deliver(
        new Lobby.DeliverWhisper(SessionId.random(), from, ROOM, PSST, delivered.getRef()));
    assertEquals(true, delivered.receiveMessage());
    router.deliver(
        new Lobby.DeliverWhisper(
            SessionId.random(), SessionId.random(), ROOM, PSST, delivered.getRef()));
    assertEquals(false, delivered.receiveMessage());
  }
}
