package io.github.lobby.core;

import java.time.Duration;
import java.util.Objects;

/**
 * One broadcast a room keeps ({@code lobby.history}), as the admin API reads a history ({@link
 * Lobby.HistoryView}) and as a room's sequencer hands its history to the rooms ({@link
 * PeerEvent.History}).
 *
 * @param offset its offset in the room
 * @param from the sender's session id, or the server id
 * @param msg the content
 * @param age how long ago it was kept, in whole heartbeats: a room that takes a history over keeps
 *     each message until its own {@code ttl}, on every node at the same time
 */
public record KeptMessage(long offset, SessionId from, Payload msg, Duration age) {

  /** Rejects nulls. */
  public KeptMessage {
    Objects.requireNonNull(from, "from");
    Objects.requireNonNull(msg, "msg");
    Objects.requireNonNull(age, "age");
  }
}
