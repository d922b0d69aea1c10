package io.github.lobby.core;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;

/**
 * The broadcasts one room keeps for clients that reconnect ({@code lobby.history}): the last
 * {@code size}, at most {@code max-bytes} of message text, none older than {@code ttl}. Offsets
 * come from the room and increase by one, so what is kept is always one unbroken run of offsets,
 * oldest first: a client's gap can be answered exactly, or not at all.
 *
 * <p>Age is counted in the room's heartbeats rather than read from a clock, so that the room's
 * one timer drives it (and virtual time in tests): an entry goes at the first beat at least
 * {@code ttl} after it was kept.
 *
 * <p>Public for federations that sequence histories across nodes ({@link
 * Federation#sequencesHistory()}): their sequencer keeps the same bounds as the rooms.
 */
public final class RoomHistory {

  /**
   * One kept broadcast. A room renders its JSON frame once, for the first client that recovers
   * it, and hands the same frame to every later one until the next heartbeat ({@link #expire}
   * drops the frames): a burst of reconnects renders each message once, and a history nobody
   * recovers from holds only its messages (a frame takes about twice the text again).
   */
  public static final class Entry {
    private final long offset;
    private final SessionId from;
    private final Payload msg;
    private final long beat;
    /** Its JSON-mode frame, once a recovery rendered it. */
    private Frame replay;

    /**
     * @param offset its offset in the room
     * @param from the sender's session id, or the server id
     * @param msg the content
     * @param beat the room's beat count when it was kept
     */
    public Entry(long offset, SessionId from, Payload msg, long beat) {
      this.offset = offset;
      this.from = java.util.Objects.requireNonNull(from, "from");
      this.msg = java.util.Objects.requireNonNull(msg, "msg");
      this.beat = beat;
    }

    public long offset() {
      return offset;
    }

    public SessionId from() {
      return from;
    }

    public Payload msg() {
      return msg;
    }

    public long beat() {
      return beat;
    }

    /** Its frame for a recovering client, rendered on first use after the last heartbeat. */
    Frame replay(RoomHistory history, RoomId room, WireCodec codec) {
      if (replay == null) {
        replay = Frame.render(new ClientEvent.Message(from, room, msg, offset), codec);
        history.rendered = true;
      }
      return replay;
    }

    int size() {
      return msg instanceof Payload.Text t ? t.value().length() : ((Payload.Json) msg).json().length();
    }
  }

  private final LobbySettings.History settings;
  private final long ttlBeats;
  private final ArrayDeque<Entry> entries = new ArrayDeque<>();
  private long bytes;
  /** Whether an entry holds a rendered frame. */
  private boolean rendered;

  /**
   * An empty history.
   *
   * @param heartbeat how often {@link #expire} is called: ages are counted in these
   */
  public RoomHistory(LobbySettings.History settings, java.time.Duration heartbeat) {
    this.settings = settings;
    // Whole beats, rounded up: an entry is never dropped before ttl.
    this.ttlBeats = Math.max(1, -Math.floorDiv(-settings.ttl().toNanos(), heartbeat.toNanos()));
  }

  /** Keeps a broadcast, dropping the oldest while over {@code size} or {@code max-bytes}. */
  public void add(Entry entry) {
    entries.addLast(entry);
    bytes += entry.size();
    while (entries.size() > settings.size() || (bytes > settings.maxBytes() && entries.size() > 1)) {
      bytes -= entries.removeFirst().size();
    }
    if (bytes > settings.maxBytes()) { // one message larger than the whole budget: not kept
      bytes -= entries.removeFirst().size();
    }
  }

  /**
   * Drops what was kept {@code ttl} or longer before beat {@code now}. An entry stamped with beat
   * {@code b} may have been kept just before beat {@code b + 1}: it goes at beat {@code b + ttlBeats
   * + 1}, so at least {@code ttl} and less than {@code ttl} plus one heartbeat after.
   */
  public void expire(long now) {
    while (!entries.isEmpty() && now - entries.peekFirst().beat() > ttlBeats) {
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
    return !entries.isEmpty() && entries.peekFirst().offset() <= since + 1;
  }

  /** Forgets everything kept. */
  public void clear() {
    entries.clear();
    bytes = 0;
  }

  /** The kept broadcasts after {@code since}, oldest first. */
  public List<Entry> after(long since) {
    List<Entry> missed = new ArrayList<>();
    for (Entry entry : entries) {
      if (entry.offset() > since) {
        missed.add(entry);
      }
    }
    return missed;
  }
}
