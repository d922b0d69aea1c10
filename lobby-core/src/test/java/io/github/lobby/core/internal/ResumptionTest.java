package io.github.lobby.core.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.lobby.core.Lobby;
import io.github.lobby.core.LobbySettings;
import io.github.lobby.core.Mode;
import io.github.lobby.core.Resume;
import io.github.lobby.core.ResumeKey;
import io.github.lobby.core.RoomId;
import io.github.lobby.core.Session;
import io.github.lobby.core.SessionId;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.apache.pekko.actor.testkit.typed.javadsl.TestInbox;
import org.apache.pekko.actor.typed.ActorRef;
import org.junit.jupiter.api.Test;

/** Which sessions can be resumed, with what, and how many wait at once. */
class ResumptionTest {

  static final RoomId ROOM = new RoomId("resume");
  static final LobbySettings.Resumption ON =
      new LobbySettings.Resumption(Duration.ofSeconds(30), 2, 256);

  final TestInbox<SessionControl> actor = TestInbox.create();

  static Lobby.Connect connect(RoomId room, Mode mode, Resume resume) {
    return new Lobby.Connect(
        SessionId.random(),
        room,
        mode,
        null,
        Optional.empty(),
        Optional.empty(),
        Optional.of(resume),
        TestInbox.<ActorRef<Session.Command>>create().getRef());
  }

  @Test
  void onlyJsonSessionsGetAKeyAndOnlyWhenResumptionIsOn() {
    Resumption on = new Resumption(ON);
    ResumeKey key = on.newKey(Mode.JSON);
    assertNotNull(key);
    assertNotEquals(key.value(), on.newKey(Mode.JSON).value());
    assertNull(on.newKey(Mode.CLASSIC));
    assertNotNull(on.newRefs(key));
    assertNull(on.newRefs(null));
    assertNull(new Resumption(LobbySettings.Resumption.OFF).newKey(Mode.JSON));
  }

  @Test
  void aConnectionTakesASessionOverOnlyInItsRoomInJsonModeForItsUserWithItsKey() {
    SessionId id = SessionId.random();
    ResumeKey key = new Resumption(ON).newKey(Mode.JSON);
    SessionDirectory.Entry session =
        new SessionDirectory.Entry(actor.getRef(), ROOM, Mode.JSON, null, "ann", key, null, null);
    Resume asked = new Resume(id, key);
    assertTrue(Resumption.matches(session, connect(ROOM, Mode.JSON, asked), asked, "ann"));
    assertFalse(Resumption.matches(session, connect(ROOM, Mode.JSON, asked), asked, "bob"));
    assertFalse(Resumption.matches(session, connect(ROOM, Mode.CLASSIC, asked), asked, "ann"));
    assertFalse(
        Resumption.matches(session, connect(new RoomId("x"), Mode.JSON, asked), asked, "ann"));
    Resume wrong = new Resume(id, new ResumeKey("not-the-key"));
    assertFalse(Resumption.matches(session, connect(ROOM, Mode.JSON, wrong), wrong, "ann"));
    assertFalse(Resumption.matches(null, connect(ROOM, Mode.JSON, asked), asked, "ann"));
  }

  @Test
  void atMostMaxDetachedWaitTheOneDetachedFirstGoingFirst() {
    Resumption resumption = new Resumption(ON);
    SessionId a = SessionId.random();
    SessionId b = SessionId.random();
    SessionId c = SessionId.random();
    assertNull(resumption.detach(a, actor.getRef()));
    assertNull(resumption.detach(b, actor.getRef()));
    assertEquals(a, resumption.detach(c, actor.getRef()), "over max-detached");
    assertTrue(resumption.forget(a));
    assertFalse(resumption.forget(a));
    assertEquals(List.of(b, c), resumption.all());
    assertEquals(actor.getRef(), resumption.detached(b));
    assertEquals(Duration.ofSeconds(30), resumption.grace());
  }
}
