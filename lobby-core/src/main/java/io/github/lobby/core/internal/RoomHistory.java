package io.github.lobby.core.internal;

import io.github.lobby.core.ClientEvent;
import io.github.lobby.core.Frame;
import io.github.lobby.core.KeptMessage;
import io.github.lobby.core.LobbySettings;
import io.github.lobby.core.Payload;
import io.github.lobby.core.RoomId;
import io.github.lobby.core.SessionId;
import io.github.lobby.core.WireCodec;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * The broadcasts one room keeps for clients that reconnect ({@code lobby.history}): the last {@code
 * size}, at most {@code max-bytes} of message text, none older than {@code ttl}. Offsets come from
 * the room and increase by one, so what is kept is always one unbroken run of offsets, oldest
 * first: a client's gap can be answered exactly, or not at all.
 *
 * <p>Age is counted in heartbeats ({@link #beat()}) rather than read from a clock, so that its
 * owner's one timer drives it (and virtual time in tests): a message goes at the first beat at
 * least {@code ttl} after it was kept.
 *
 * <p>Each kept message renders its JSON frame once, for the first client that recovers it, and
 * hands the same frame to every later one until the next heartbeat drops the frames: a burst of
 * reconnects renders each message once, and a history nobody recovers from holds only its messages
 * (a frame takes about twice the text again).
 *
 * <p>Public for lobby-cluster, whose sequencer keeps a room's history across nodes with the same
 * bounds. Confined to its owner's actor.
 */
public final class RoomHistory {

  /** One kept broadcast, stamped with the beat it was kept at. */
  private static final class Entry {
    final long offset;
    final SessionId from;
    final Payload msg;
    final long beat;

    /** Its JSON-mode frame, once a recovery rendered it. */
    Frame replay;

    Entry(long offset, SessionId from, Payload msg, long beat) {
      this.offset = offset;
      this.from = Objects.requireNonNull(from, "from");
      this.msg = Objects.requireNonNull(msg, "msg");
      this.beat = beat;
    }

    int size() {
      return msg instanceof Payload.Text t
          ? t.value().length()
          : ((Payload.Json) msg).json().length();
    }
  }

  private final LobbySettings.History settings;
  private final long heartbeatNanos;
  private final long ttlBeats;
  private final ArrayDeque<Entry> entries = new ArrayDeque<>();
  private long bytes;

  /** Heartbeats so far. */
  private long beats;

  /** Whether an entry holds a rendered frame. */
  private boolean rendered;

  /**
   * An empty history.
   *
   * @param heartbeat how often {@link #beat()} is called: ages are counted in these
   */
  public RoomHistory(LobbySettings.History settings, Duration heartbeat) {
    this.settings = settings;
    this.heartbeatNanos = heartbeat.toNanos();
    // Whole beats, rounded up: an entry is never dropped before ttl.
    this.ttlBeats = Math.max(1, -Math.floorDiv(-settings.ttl().toNanos(), heartbeatNanos));
  }

  /** Keeps a broadcast now, dropping the oldest while over {@code size} or {@code max-bytes}. */
  public void add(long offset, SessionId from, Payload msg) {
    add(new Entry(offset, from, msg, beats));
  }

  /**
   * Keeps a broadcast of another history (a sequencer's), as many whole heartbeats ago as its
   * {@link KeptMessage#age()} says, so that it goes when it would have gone there.
   */
  public void add(KeptMessage kept) {
    long keptAt = beats - kept.age().toNanos() / heartbeatNanos;
    add(new Entry(kept.offset(), kept.from(), kept.msg(), keptAt));
  }

  private void add(Entry entry) {
    entries.addLast(entry);
    bytes += entry.size();
    while (entries.size() > settings.size()
        || (bytes > settings.maxBytes() && entries.size() > 1)) {
      bytes -= entries.removeFirst().size();
    }
    if (bytes > settings.maxBytes()) { // one message larger than the whole budget: not kept
      bytes -= entries.removeFirst().size();
    }
  }

  /**
   * One heartbeat passed: drops what was kept {@code ttl} or longer ago, and the rendered frames.
   * An entry kept at beat {@code b} may have been kept just before beat {@code b + 1}: it goes at
   * beat {@code b + ttlBeats + 1}, so at least {@code ttl} and less than {@code ttl} plus one
   * heartbeat after.
   */
  public void beat() {
    beats++;
    while (!entries.isEmpty() && beats - entries.peekFirst().beat > ttlBeats) {
      bytes -= entries.removeFirst().size();
    }
    if (rendered) {
      entries.forEach(entry -> entry.replay = null);
      rendered = false;
    }
  }

  /** The ttl in whole heartbeats, rounded up. */
  public long ttlBeats() {
    return ttlBeats;
  }

  /** Whether nothing is kept. */
  public boolean isEmpty() {
    return entries.isEmpty();
  }

  /**
   * Whether every broadcast after {@code since} up to {@code last} (the room's latest offset) is
   * kept, so that a client that received {@code since} can be given exactly what it missed.
   */
  public boolean reaches(long since, long last) {
    if (since < 0 || since > last) {
      return false; // an offset this room never gave
    }
    if (since == last) {
      return true; // nothing missed
    }
    return !entries.isEmpty() && entries.peekFirst().offset <= since + 1;
  }

  /** Forgets everything kept. */
  public void clear() {
    entries.clear();
    bytes = 0;
  }

  /** The kept broadcasts after {@code since}, oldest first, each with its age. */
  public List<KeptMessage> after(long since) {
    List<KeptMessage> kept = new ArrayList<>();
    for (Entry entry : entries) {
      if (entry.offset > since) {
        Duration age = Duration.ofNanos((beats - entry.beat) * heartbeatNanos);
        kept.add(new KeptMessage(entry.offset, entry.from, entry.msg, age));
      }
    }
    return kept;
  }

  /**
   * The frames of the kept broadcasts after {@code since}, oldest first, for a recovering client:
   * each rendered with {@code codec} on first use after the last heartbeat, then shared.
   */
  List<Frame> replay(long since, RoomId room, WireCodec codec) {
    List<Frame> frames = new ArrayList<>();
    for (Entry entry : entries) {
      if (entry.offset > since) {
        if (entry.replay == null) {
          entry.replay =
              Frame.render(
                  new ClientEvent.Message(entry.from, room, entry.msg, entry.offset), codec);
          rendered = true;
        }
        frames.add(entry.replay);
      }
    }
    return frames;
  }
}
