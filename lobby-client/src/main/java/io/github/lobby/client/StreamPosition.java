package io.github.lobby.client;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.OptionalLong;

/**
 * Where the client is in the room's stream: the epoch and the offset of the last message
 * delivered, when the server keeps a history. It says what a reconnect asks for ({@code since},
 * {@code epoch}), drops a message whose offset was delivered already (a replay overlapping what
 * came live), and names the reset when messages may have been missed: {@link
 * LobbyClient#RESET_NOT_RECOVERED}, {@link LobbyClient#RESET_NEW_EPOCH}, {@link
 * LobbyClient#RESET_NO_HISTORY}, {@link LobbyClient#RESET_HISTORY_RESET}, {@link
 * LobbyClient#RESET_GAP}. Owned by the client's serial executor, which also writes the snapshot
 * that the getters read.
 */
final class StreamPosition {

  /** What to do with a message, by its offset. */
  enum Verdict {
    /** Delivered already: dropped. */
    DUPLICATE,
    /** The next one, or a message outside any history: delivered. */
    DELIVER,
    /** Offsets were skipped: a {@link LobbyClient#RESET_GAP}, then the message. */
    GAP
  }

  private String epoch;
  private long lastOffset = -1;

  // The snapshot for the getters.
  private volatile String publicEpoch;
  private volatile long publicOffset = -1;

  /** The offset a reconnect asks to resume after, or -1 when there is no history to ask. */
  long since() {
    return epoch != null && lastOffset >= 0 ? lastOffset : -1;
  }

  /** The current epoch; null without history. */
  String epoch() {
    return epoch;
  }

  String publicEpoch() {
    return publicEpoch;
  }

  long publicOffset() {
    return publicOffset;
  }

  /**
   * A welcome: where the messages that follow start, and the reset reason when some were
   * missed, or null.
   *
   * @param since what the attempt asked for, -1 when nothing
   * @param sinceEpoch the epoch the attempt asked in
   * @param first whether it is the first welcome since {@code connect()}
   */
  String welcomed(Welcome welcome, long since, String sinceEpoch, boolean first) {
    String reset = null;
    if (welcome.epoch().isPresent() && welcome.offset().isPresent()) {
      String now = welcome.epoch().get();
      if (since >= 0) {
        boolean sameEpoch = now.equals(sinceEpoch);
        if (welcome.recovered().orElse(false) && sameEpoch) {
          lastOffset = since; // the replay follows and moves it on
        } else {
          reset =
              sameEpoch ? LobbyClient.RESET_NOT_RECOVERED : LobbyClient.RESET_NEW_EPOCH;
          lastOffset = welcome.offset().getAsLong();
        }
      } else {
        if (epoch != null && !epoch.equals(now)) {
          reset = LobbyClient.RESET_NEW_EPOCH;
        }
        lastOffset = welcome.offset().getAsLong();
      }
      epoch = now;
    } else {
      if (!first) {
        reset = LobbyClient.RESET_NO_HISTORY;
      }
      epoch = null;
      lastOffset = -1;
    }
    publicEpoch = epoch;
    publicOffset = lastOffset;
    return reset;
  }

  /** A message: moves the offset on, unless it was delivered already. */
  Verdict message(OptionalLong messageOffset) {
    Verdict verdict = Verdict.DELIVER;
    if (messageOffset.isPresent() && epoch != null && lastOffset >= 0) {
      long offset = messageOffset.getAsLong();
      if (offset <= lastOffset) {
        return Verdict.DUPLICATE;
      }
      if (offset > lastOffset + 1) {
        // Offsets have no gaps: messages were missed, and no recovery brings them now.
        lastOffset = offset - 1;
        publicOffset = lastOffset;
        verdict = Verdict.GAP;
      }
    }
    if (messageOffset.isPresent() && epoch != null) {
      lastOffset = messageOffset.getAsLong();
      publicOffset = lastOffset;
    }
    return verdict;
  }

  /**
   * The server's {@code history_reset} error frame: the room's history started again, and
   * offsets count in its new epoch from the frame's offset.
   */
  void historyReset(JsonNode frame) {
    JsonNode newEpoch = frame.get("epoch");
    JsonNode offset = frame.get("offset");
    if (newEpoch != null && newEpoch.isTextual()) {
      epoch = newEpoch.asText();
      publicEpoch = epoch;
    }
    if (offset != null && offset.isIntegralNumber()) {
      lastOffset = offset.asLong();
      publicOffset = lastOffset;
    }
  }
}
