package io.github.lobby.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

class StreamPositionTest {

  private static Welcome welcome(String json) throws Exception {
    return Frames.welcome(Frames.JSON.readTree(json));
  }

  private static Welcome withHistory(String epoch, long offset, Boolean recovered)
      throws Exception {
    return welcome(
        "{\"type\":\"welcome\",\"id\":\"s1\",\"room_id\":\"r\",\"members\":[],\"epoch\":\""
            + epoch
            + "\",\"offset\":"
            + offset
            + (recovered == null ? "" : ",\"recovered\":" + recovered)
            + "}");
  }

  private static Welcome withoutHistory() throws Exception {
    return welcome("{\"type\":\"welcome\",\"id\":\"s1\",\"room_id\":\"r\",\"members\":[]}");
  }

  @Test
  void aFirstWelcomeStartsAtItsOffsetWithoutReset() throws Exception {
    StreamPosition position = new StreamPosition();
    assertEquals(-1, position.since());
    assertNull(position.welcomed(withHistory("e1", 7, null), -1, null, true));
    assertEquals(7, position.since());
    assertEquals("e1", position.epoch());
    assertEquals("e1", position.publicEpoch());
    assertEquals(7, position.publicOffset());
  }

  @Test
  void aRecoveredWelcomeGoesOnFromWhatWasAsked() throws Exception {
    StreamPosition position = new StreamPosition();
    position.welcomed(withHistory("e1", 3, null), -1, null, true);
    assertNull(position.welcomed(withHistory("e1", 9, true), 3, "e1", false));
    assertEquals(3, position.since());
  }

  @Test
  void anUnrecoveredWelcomeInTheSameEpochIsNotRecovered() throws Exception {
    StreamPosition position = new StreamPosition();
    position.welcomed(withHistory("e1", 3, null), -1, null, true);
    assertEquals(
        LobbyClient.RESET_NOT_RECOVERED,
        position.welcomed(withHistory("e1", 9, false), 3, "e1", false));
    assertEquals(9, position.since());
  }

  @Test
  void aWelcomeInAnotherEpochIsANewEpoch() throws Exception {
    StreamPosition position = new StreamPosition();
    position.welcomed(withHistory("e1", 3, null), -1, null, true);
    assertEquals(
        LobbyClient.RESET_NEW_EPOCH,
        position.welcomed(withHistory("e2", 0, true), 3, "e1", false));
    assertEquals("e2", position.epoch());
    assertEquals(
        LobbyClient.RESET_NEW_EPOCH,
        position.welcomed(withHistory("e3", 0, null), -1, null, false));
  }

  @Test
  void aLaterWelcomeWithoutHistoryIsNoHistory() throws Exception {
    StreamPosition position = new StreamPosition();
    assertNull(position.welcomed(withoutHistory(), -1, null, true));
    assertEquals(
        LobbyClient.RESET_NO_HISTORY, position.welcomed(withoutHistory(), -1, null, false));
    assertNull(position.epoch());
    assertEquals(-1, position.publicOffset());
  }

  @Test
  void messagesMoveTheOffsetDropDuplicatesAndReportGaps() throws Exception {
    StreamPosition position = new StreamPosition();
    position.welcomed(withHistory("e1", 5, null), -1, null, true);
    assertEquals(StreamPosition.Verdict.DELIVER, position.message(OptionalLong.of(6)));
    assertEquals(StreamPosition.Verdict.DUPLICATE, position.message(OptionalLong.of(6)));
    assertEquals(StreamPosition.Verdict.DUPLICATE, position.message(OptionalLong.of(2)));
    assertEquals(StreamPosition.Verdict.GAP, position.message(OptionalLong.of(9)));
    assertEquals(9, position.publicOffset());
    assertEquals(StreamPosition.Verdict.DELIVER, position.message(OptionalLong.empty()));
    assertEquals(9, position.since());
  }

  @Test
  void withoutHistoryEveryMessageIsDelivered() throws Exception {
    StreamPosition position = new StreamPosition();
    position.welcomed(withoutHistory(), -1, null, true);
    assertEquals(StreamPosition.Verdict.DELIVER, position.message(OptionalLong.of(4)));
    assertEquals(StreamPosition.Verdict.DELIVER, position.message(OptionalLong.of(4)));
    assertEquals(-1, position.since());
  }

  @Test
  void aHistoryResetMovesToTheFramesEpochAndOffset() throws Exception {
    StreamPosition position = new StreamPosition();
    position.welcomed(withHistory("e1", 5, null), -1, null, true);
    position.historyReset(
        Frames.JSON.readTree(
            "{\"type\":\"error\",\"code\":\"history_reset\",\"epoch\":\"e2\",\"offset\":12}"));
    assertEquals("e2", position.epoch());
    assertEquals("e2", position.publicEpoch());
    assertEquals(12, position.since());
    assertEquals(StreamPosition.Verdict.DUPLICATE, position.message(OptionalLong.of(12)));
    assertEquals(StreamPosition.Verdict.DELIVER, position.message(OptionalLong.of(13)));
  }
}
