package io.github.lobby.core.internal;

import io.github.lobby.core.LobbyMetrics;
import java.time.Duration;
import java.util.function.LongSupplier;
import org.apache.pekko.actor.Cancellable;

/**
 * The inbound flow control of one session: when each client message may be acknowledged to the
 * transport (which reads at most {@code inbound-window} unacknowledged messages).
 *
 * <p>A message is acknowledged only once the work it caused has been done: for a broadcast or a
 * members request, when the room has handled it ({@link #waitForRoom}); for a whisper to another
 * node, when the Lobby's search has ended ({@link #waitForLobby}). So a client can never have more
 * than its window of work waiting in a room's or the Lobby's mailbox, however fast it sends. Every
 * client frame also counts against two rates ({@code max-inbound-per-second} and {@code
 * max-inbound-bytes-per-second}, each an {@link InboundRate}): over either, the client is throttled
 * (its acknowledgements wait until its budget has refilled, so TCP slows it down and nothing is
 * lost) or, with {@code inbound-rate-exceeded = close}, refused ({@link #REFUSED}). Every frame is
 * also a sign of life: the session times out after {@code client-timeout} of {@link #silence}.
 *
 * <p>Confined to its session's actor; the queues of due times are allocated on first use, and no
 * message allocates once they have grown to the window.
 */
final class InboundFlow {

  /** {@link #admit}: the client is over the limit and is to be closed. */
  static final long REFUSED = Long.MIN_VALUE + 1;

  /** {@link #admit}: the message may be acknowledged as soon as its work is done. */
  static final long NOW = Long.MIN_VALUE;

  private final InboundRate messages;
  private final InboundRate bytes;
  private final boolean throttle;

  /** When the requests with the room, then with the Lobby, may be acknowledged; on demand. */
  private DueTimes withRoom;

  private DueTimes withLobby;

  /** Acknowledgements held back by the rate limit, earliest first; on demand. */
  private DueTimes deferred;

  private Cancellable ackTimer;

  /** Whether any frame arrived since the last heartbeat. */
  private boolean heard;

  /** Time without any frame, counted in whole heartbeat intervals. */
  private Duration silentFor = Duration.ZERO;

  /**
   * @param perSecond {@code max-inbound-per-second}
   * @param bytesPerSecond {@code max-inbound-bytes-per-second}
   * @param throttle whether a client over a rate is throttled rather than refused
   * @param nanoClock a monotonic clock in nanoseconds
   */
  InboundFlow(int perSecond, int bytesPerSecond, boolean throttle, LongSupplier nanoClock) {
    this.messages = new InboundRate(perSecond, nanoClock);
    this.bytes = new InboundRate(bytesPerSecond, nanoClock);
    this.throttle = throttle;
  }

  /**
   * Counts one client frame of {@code size} payload units against the rate limits.
   *
   * @param metrics where a throttled frame is counted
   * @return {@link #NOW}; {@link #REFUSED} (close mode); or, throttled, when its acknowledgement is
   *     due, on the clock
   */
  long admit(int size, LobbyMetrics metrics) {
    heard = true;
    if (!throttle) {
      if (messages.delay(1) > 0 || bytes.delay(size) > 0) {
        return REFUSED;
      }
      messages.take(1);
      bytes.take(size);
      return NOW;
    }
    long wait = Math.max(messages.acquire(1), bytes.acquire(size));
    if (wait == 0) {
      return NOW;
    }
    metrics.rateThrottled();
    return messages.now() + wait;
  }

  /**
   * A heartbeat: how long the client has been silent now, in whole heartbeat intervals; zero when a
   * frame arrived since the last heartbeat, or the session joined during it ({@code partial}).
   */
  Duration silence(boolean partial, Duration interval) {
    silentFor = heard || partial ? Duration.ZERO : silentFor.plus(interval);
    heard = false;
    return silentFor;
  }

  /** A message whose work is with the room, to be acknowledged at {@code due} once it is done. */
  void waitForRoom(long due) {
    withRoom = DueTimes.add(withRoom, due);
  }

  /** A message whose work is with the Lobby, to be acknowledged at {@code due} once it is done. */
  void waitForLobby(long due) {
    withLobby = DueTimes.add(withLobby, due);
  }

  /**
   * The room's ({@code byRoom}) or else the Lobby's work for the oldest message waiting for it is
   * done: acknowledges it, now or when due.
   *
   * @return false when no message waited for that work
   */
  boolean done(boolean byRoom, SessionHost host) {
    DueTimes requests = byRoom ? withRoom : withLobby;
    if (requests == null || requests.size() == 0) {
      return false;
    }
    acknowledgeAt(requests.poll(), host);
    return true;
  }

  /** Acknowledges one client message now, or when the rate limit allows. */
  void acknowledgeAt(long due, SessionHost host) {
    if (due == NOW) {
      host.acknowledge();
      return;
    }
    long now = messages.now(); // only for a throttled message: the clock is not free
    if (due - now <= 0) {
      host.acknowledge();
      return;
    }
    deferred = DueTimes.insertSorted(deferred, due);
    if (ackTimer == null) {
      scheduleAckTimer(now, host);
    }
  }

  /** The wake-up came: acknowledges what is due, and wakes up again for the rest. */
  void ackDue(SessionHost host) {
    ackTimer = null;
    long now = messages.now();
    while (deferred.size() > 0 && deferred.first() - now <= 0) {
      deferred.poll();
      host.acknowledge();
    }
    if (deferred.size() > 0) {
      scheduleAckTimer(now, host);
    }
  }

  private void scheduleAckTimer(long now, SessionHost host) {
    Duration delay = Duration.ofNanos(Math.max(0, deferred.first() - now));
    ackTimer = host.scheduleOnce(delay, SessionControl.AckDue.INSTANCE);
  }

  /** Cancels the wake-up, if one is scheduled. */
  void cancel() {
    if (ackTimer != null) {
      ackTimer.cancel();
    }
  }

  /**
   * Due times of acknowledgements, in a growable ring: at most {@code inbound-window} entries,
   * since the transport hands out no more unacknowledged messages than that.
   */
  private static final class DueTimes {
    private long[] times = new long[4];
    private int head;
    private int size;

    /** Appends, allocating on first use. */
    static DueTimes add(DueTimes queue, long due) {
      DueTimes q = queue != null ? queue : new DueTimes();
      q.grow();
      q.times[(q.head + q.size) % q.times.length] = due;
      q.size++;
      return q;
    }

    /** Inserts keeping the earliest first (entries are few). */
    static DueTimes insertSorted(DueTimes queue, long due) {
      DueTimes q = add(queue, due);
      for (int i = q.size - 1; i > 0; i--) {
        int at = (q.head + i) % q.times.length;
        int before = (q.head + i - 1) % q.times.length;
        if (q.times[before] - q.times[at] <= 0) {
          break;
        }
        long t = q.times[at];
        q.times[at] = q.times[before];
        q.times[before] = t;
      }
      return q;
    }

    int size() {
      return size;
    }

    long first() {
      return times[head];
    }

    long poll() {
      long t = times[head];
      head = (head + 1) % times.length;
      size--;
      return t;
    }

    private void grow() {
      if (size == times.length) {
        long[] bigger = new long[times.length * 2];
        for (int i = 0; i < size; i++) {
          bigger[i] = times[(head + i) % times.length];
        }
        times = bigger;
        head = 0;
      }
    }
  }
}
