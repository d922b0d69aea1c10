package io.github.lobby.core;

import java.util.function.LongSupplier;

/**
 * The inbound rate limit of one session, as the generic cell rate algorithm (a token bucket kept as
 * one timestamp): {@code perSecond} messages per second, sustained, and bursts of up to one
 * second's worth. Confined to its session's actor; no allocation per message.
 *
 * <p>Two ways to use it: {@link #tryAcquire()} refuses a message over the limit (the session then
 * closes its client), {@link #acquire()} accepts every message and says how long its
 * acknowledgement must wait (the session throttles its client).
 */
final class InboundRate {

  private static final long NANOS_PER_SECOND = 1_000_000_000L;

  private final boolean unlimited;
  /** Nanoseconds per message at the sustained rate. */
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
    this.unlimited = perSecond == Integer.MAX_VALUE;
    this.interval = Math.max(1, NANOS_PER_SECOND / perSecond);
    this.tolerance = (perSecond - 1L) * interval;
    this.nanoClock = nanoClock;
    this.theoretical = nanoClock.getAsLong();
  }

  /** Whether one more message is within the limit; a message over it takes nothing. */
  boolean tryAcquire() {
    if (unlimited) {
      return true;
    }
    long now = nanoClock.getAsLong();
    if (now - (theoretical - tolerance) < 0) {
      return false;
    }
    theoretical = Math.max(now, theoretical) + interval;
    return true;
  }

  /**
   * Takes one message, within the limit or not.
   *
   * @return nanoseconds from now until the message is within the limit: 0 when it already is
   */
  long acquire() {
    if (unlimited) {
      return 0;
    }
    long now = nanoClock.getAsLong();
    long wait = Math.max(0, theoretical - tolerance - now);
    theoretical = Math.max(now, theoretical) + interval;
    return wait;
  }
}
