package io.github.lobby.core.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.lobby.core.KeptMessage;
import io.github.lobby.core.Lobby;
import io.github.lobby.core.LobbySettings;
import io.github.lobby.core.Payload;
import io.github.lobby.core.Recovery;
import io.github.lobby.core.RoomId;
import io.github.lobby.core.SessionId;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A room's offsets and epoch: numbered by the room itself, or taken from its sequencer. */
class RoomLogTest {

  static final LobbySettings.History HISTORY =
      new LobbySettings.History(100, Duration.ofMinutes(5), 64 * 1024, 1_000);
  static final Duration BEAT = Duration.ofSeconds(5);
  static final SessionId FROM = SessionId.random();
  static final RoomId ROOM = new RoomId("log");

  @Test
  void aRoomOfItsOwnNumbersFromOneInAnEpochOfItsOwn() {
    RoomLog log = new RoomLog(HISTORY, BEAT, false);
    RoomLog other = new RoomLog(HISTORY, BEAT, false);
    assertEquals(16, log.epoch().length());
    assertNotEquals(log.epoch(), other.epoch());
    assertEquals(1, log.keep(FROM, new Payload.Text("a")));
    assertEquals(2, log.keep(FROM, new Payload.Text("b")));
    assertTrue(log.recovers(new Recovery(1, log.epoch())));
    assertFalse(log.recovers(new Recovery(1, other.epoch())));
    assertEquals(
        new Lobby.HistoryView(
            ROOM,
            log.epoch(),
            2,
            List.of(new KeptMessage(2, FROM, new Payload.Text("b"), Duration.ZERO))),
        log.view(ROOM, 1));
  }

  @Test
  void aSequencedRoomHasNoEpochUntilItAdoptsItsSequencersHistory() {
    RoomLog log = new RoomLog(HISTORY, BEAT, true);
    assertNull(log.epoch());
    KeptMessage five = new KeptMessage(5, FROM, new Payload.Text("five"), Duration.ZERO);
    log.adopt("e1", 5, List.of(five));
    assertEquals("e1", log.epoch());
    assertTrue(log.isNext(6));
    log.append(6, FROM, new Payload.Text("six"));
    log.fill(List.of(new KeptMessage(7, FROM, new Payload.Text("seven"), Duration.ZERO)), 7);
    assertEquals(7, log.lastOffset());
    assertTrue(log.recovers(new Recovery(4, "e1")));
    assertEquals(3, log.replay(4, ROOM, io.github.lobby.core.TestCodec.CODECS.json()).size());
  }
}
