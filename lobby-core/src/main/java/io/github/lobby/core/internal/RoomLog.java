package io.github.lobby.core.internal;

import io.github.lobby.core.Frame;
import io.github.lobby.core.KeptMessage;
import io.github.lobby.core.Lobby;
import io.github.lobby.core.LobbySettings;
import io.github.lobby.core.Payload;
import io.github.lobby.core.Recovery;
import io.github.lobby.core.RoomId;
import io.github.lobby.core.SessionId;
import io.github.lobby.core.WireCodec;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The numbering of a room's broadcasts when it keeps a history ({@code lobby.history}): its epoch,
 * the offset of its latest broadcast, and what it keeps ({@link RoomHistory}). A room without a
 * history has none (its broadcasts carry no offset).
 *
 * <p>On a single node the room numbers its broadcasts itself ({@link #keep}) in an epoch of its
 * own, new for every room actor, so a room started again has lost its history. With a sequencer
 * ({@link SequencedDelivery}) the offsets and the epoch are the sequencer's, and there is no epoch
 * until its first history arrives ({@link #adopt}).
 *
 * <p>Confined to its room's actor.
 */
final class RoomLog {

  private final RoomHistory history;
  private String epoch;
  private long lastOffset;

  /**
   * @param heartbeat how often {@link #beat()} is called
   * @param sequenced whether a sequencer numbers the broadcasts: the epoch is then its, not yet
   *     known
   */
  RoomLog(LobbySettings.History settings, Duration heartbeat, boolean sequenced) {
    this.history = new RoomHistory(settings, heartbeat);
    this.epoch = sequenced ? null : newEpoch();
  }

  /** A random epoch: 16 hexadecimal digits. */
  private static String newEpoch() {
    return String.format("%016x", ThreadLocalRandom.current().nextLong());
  }

  /** The epoch the offsets count in; null while a sequencer's first history has not come. */
  String epoch() {
    return epoch;
  }

  /** The offset of the latest broadcast, 0 before any. */
  long lastOffset() {
    return lastOffset;
  }

  /** Keeps a broadcast under the next offset, which it returns (a room without a sequencer). */
  long keep(SessionId from, Payload msg) {
    long offset = ++lastOffset;
    history.add(offset, from, msg);
    return offset;
  }

  /** Whether {@code offset} is the one after the latest. */
  boolean isNext(long offset) {
    return offset == lastOffset + 1;
  }

  /** Keeps the sequencer's next broadcast ({@link #isNext}). */
  void append(long offset, SessionId from, Payload msg) {
    lastOffset = offset;
    history.add(offset, from, msg);
  }

  /** Takes a sequencer's history as it is: its epoch, its latest offset and what it keeps. */
  void adopt(String epoch, long offset, List<KeptMessage> kept) {
    this.epoch = epoch;
    this.lastOffset = offset;
    history.clear();
    kept.forEach(history::add);
  }

  /** Keeps what the sequencer's history brought after a gap, up to its latest {@code offset}. */
  void fill(List<KeptMessage> missed, long offset) {
    missed.forEach(history::add);
    lastOffset = Math.max(lastOffset, offset);
  }

  /** Whether a client's recovery can be answered exactly: its epoch, and every message since. */
  boolean recovers(Recovery recovery) {
    return recovery.epoch().equals(epoch) && history.reaches(recovery.since(), lastOffset);
  }

  /** The frames of what was kept after {@code since}, for a recovering client, oldest first. */
  List<Frame> replay(long since, RoomId room, WireCodec json) {
    return history.replay(since, room, json);
  }

  /** What is kept after {@code since}, for the admin API. */
  Lobby.HistoryView view(RoomId room, long since) {
    return new Lobby.HistoryView(room, epoch, lastOffset, history.after(since));
  }

  /** One heartbeat passed: what is older than {@code ttl} goes. */
  void beat() {
    history.beat();
  }

  /** Whether nothing is kept. */
  boolean isEmpty() {
    return history.isEmpty();
  }

  /** The ttl in whole heartbeats. */
  long ttlBeats() {
    return history.ttlBeats();
  }
}
