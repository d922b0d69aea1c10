package io.github.lobby.core;

import java.util.function.LongSupplier;

/**
 * The inbound rate limit of one session: a token bucket holding one second's worth of messages,
 * refilled continuously at {@code perSecond}. Confined to its session's actor; no allocation per
 * message.
 */
final class InboundRate {

  private static final double NANOS_PER_SECOND = 1e9;

  private final double perNano;
  private final double capacity;
  private final LongSupplier nanoClock;
  private double tokens;
  private long refilledAt;

  /**
   * @param perSecond messages per second, sustained ({@link Integer#MAX_VALUE}: unlimited)
   * @param nanoClock a monotonic clock in nanoseconds
   */
  InboundRate(int perSecond, LongSupplier nanoClock) {
    this.perNano = perSecond / NANOS_PER_SECOND;
    this.capacity = perSecond;
    this.nanoClock = nanoClock;
    this.tokens = perSecond;
    this.refilledAt = nanoClock.getAsLong();
  }

  /** Whether one more message is within the limit (and takes its token if so). */
  boolean tryAcquire() {
    if (capacity == Integer.MAX_VALUE) {
      return true;
    }
    long now = nanoClock.getAsLong();
    tokens = Math.min(capacity, tokens + (now - refilledAt) * perNano);
    refilledAt = now;
    if (tokens < 1) {
      return false;
    }
    tokens -= 1;
    return true;
  }
}
