package io.github.lobby.core.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.lobby.core.Frame;
import io.github.lobby.core.KeptMessage;
import io.github.lobby.core.LobbySettings;
import io.github.lobby.core.Payload;
import io.github.lobby.core.RoomId;
import io.github.lobby.core.SessionId;
import io.github.lobby.core.TestCodec;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** What a room keeps: bounds, ages in heartbeats, and the frames shared by recovering clients. */
class RoomHistoryTest {

  static final Duration BEAT = Duration.ofSeconds(5);
  static final SessionId FROM = SessionId.random();
  static final RoomId ROOM = new RoomId("kept");

  static RoomHistory history(int size, Duration ttl, long maxBytes) {
    return new RoomHistory(new LobbySettings.History(size, ttl, maxBytes, 1_000), BEAT);
  }

  static Payload text(String text) {
    return new Payload.Text(text);
  }

  @Test
  void theOldestGoOverSizeOrBytesAndWhatIsKeptReachesBackExactly() {
    RoomHistory history = history(3, Duration.ofMinutes(5), 10);
    for (int offset = 1; offset <= 4; offset++) {
      history.add(offset, FROM, text("ab"));
    }
    assertEquals(List.of(2L, 3L, 4L), offsets(history.after(0)));
    history.add(5, FROM, text("abcdefgh")); // 2 + 2 + 8 characters: over 10
    assertEquals(List.of(4L, 5L), offsets(history.after(0)));
    assertTrue(history.reaches(3, 5));
    assertFalse(history.reaches(2, 5));
    assertTrue(history.reaches(5, 5));
    assertFalse(history.reaches(6, 5), "an offset the room never gave");
  }

  @Test
  void agesAreWholeHeartbeatsAndAMessageGoesAtTheFirstBeatPastItsTtl() {
    RoomHistory history = history(10, Duration.ofSeconds(12), 1024); // 3 beats, rounded up
    assertEquals(3, history.ttlBeats());
    history.add(1, FROM, text("one"));
    history.beat();
    history.beat();
    assertEquals(
        List.of(new KeptMessage(1, FROM, text("one"), BEAT.multipliedBy(2))), history.after(0));
    history.beat();
    assertFalse(history.isEmpty());
    history.beat();
    assertTrue(history.isEmpty());
  }

  @Test
  void aMessageOfAnotherHistoryIsKeptAsLongAgoAsItsAgeSays() {
    RoomHistory history = history(10, Duration.ofSeconds(15), 1024);
    history.add(new KeptMessage(7, FROM, text("old"), Duration.ofSeconds(12))); // 2 beats ago
    history.add(new KeptMessage(8, FROM, text("new"), Duration.ZERO));
    assertEquals(Duration.ofSeconds(10), history.after(0).get(0).age());
    history.beat();
    history.beat();
    assertEquals(List.of(8L), offsets(history.after(0)));
  }

  @Test
  void aReplayRendersEachMessageOnceUntilTheNextBeat() {
    RoomHistory history = history(10, Duration.ofMinutes(5), 1024);
    history.add(1, FROM, text("one"));
    history.add(2, FROM, text("two"));
    List<Frame> first = history.replay(1, ROOM, TestCodec.CODECS.json());
    List<Frame> second = history.replay(0, ROOM, TestCodec.CODECS.json());
    assertEquals(1, first.size());
    assertSame(first.get(0), second.get(1));
    history.beat();
    assertNotSame(first.get(0), history.replay(1, ROOM, TestCodec.CODECS.json()).get(0));
  }

  static List<Long> offsets(List<KeptMessage> kept) {
    return kept.stream().map(KeptMessage::offset).toList();
  }
}
