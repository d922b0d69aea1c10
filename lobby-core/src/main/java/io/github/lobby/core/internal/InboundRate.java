package io.github.lobby.core.internal;

import java.util.function.LongSupplier;

/**
 * The inbound rate limit of one session, as the generic cell rate algorithm (a token bucket kept as
 * one timestamp): {@code perSecond} units (messages, or bytes) per second, sustained, and bursts of
 * up to one second's worth. Confined to its session's actor; no allocation per message.
 *
 * <p>Two ways to use it: {@link #tryAcquire()} refuses a message over the limit (the session then
 * closes its client), {@link #acquire()} accepts every message and says how long its
 * acknowledgement must wait (the session throttles its client).
 */
final class InboundRate {

  private static final long NANOS_PER_SECOND = 1_000_000_000L;

  /**
   * Nanoseconds per message at the sustained rate; 0 when unlimited (no flag: a smaller object).
   */
  private final long interval;

  /** How far ahead of the sustained rate a burst may run, in nanoseconds. */
  private final long tolerance;

  private final LongSupplier nanoClock;

  /** When the next message would be due at the sustained rate, if no burst had happened. */
  private long theoretical;

  /**
   * @param perSecond messages per second, sustained ({@link Integer#MAX_VALUE}: unlimited)
   * @param nanoClock a monotonic clock in nanoseconds
   */
  InboundRate(int perSecond, LongSupplier nanoClock) {
    this.interval = perSecond == Integer.MAX_VALUE ? 0 : Math.max(1, NANOS_PER_SECOND / perSecond);
    this.tolerance = (perSecond - 1L) * interval;
    this.nanoClock = nanoClock;
    this.theoretical = nanoClock.getAsLong();
  }

  /** Whether one more message is within the limit; a message over it takes nothing. */
  boolean tryAcquire() {
    return tryAcquire(1);
  }

  /**
   * Takes one message, within the limit or not.
   *
   * @return nanoseconds from now until the message is within the limit: 0 when it already is
   */
  long acquire() {
    return acquire(1);
  }

  /** Whether {@code cost} more units are within the limit; if not, nothing is taken. */
  boolean tryAcquire(long cost) {
    if (delay(cost) > 0) {
      return false;
    }
    take(cost);
    return true;
  }

  /**
   * Takes {@code cost} units, within the limit or not.
   *
   * @return nanoseconds from now until they are within the limit: 0 when they already are
   */
  long acquire(long cost) {
    long wait = delay(cost);
    take(cost);
    return wait;
  }

  /** How long {@code cost} more units would have to wait, taking nothing. */
  long delay(long cost) {
    if (interval == 0 || cost <= 0) {
      return 0;
    }
    long now = nanoClock.getAsLong();
    return Math.max(0, Math.max(now, theoretical) + (cost - 1) * interval - tolerance - now);
  }

  /** The time on this limit's clock. */
  long now() {
    return nanoClock.getAsLong();
  }

  /** Takes {@code cost} units. */
  void take(long cost) {
    if (interval == 0 || cost <= 0) {
      return;
    }
    theoretical = Math.max(nanoClock.getAsLong(), theoretical) + cost * interval;
  }
}
