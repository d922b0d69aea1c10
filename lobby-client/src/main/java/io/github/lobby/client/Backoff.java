package io.github.lobby.client;

import java.util.concurrent.ThreadLocalRandom;

/**
 * The delays before reconnects, with "full jitter": a delay drawn at random between 0 and {@code
 * initial × 2^attempts}, capped at {@code max}, so that the clients of a restarted server do not
 * all come back at once. The attempts count again from 0 after each welcome ({@link #reset}).
 * Owned by the client's serial executor, like the rest of its state.
 */
final class Backoff {

  private final long initialMs;
  private final long maxMs;
  private int attempts;

  /** Both at least 1 ms, {@code max} at least {@code initial}. */
  Backoff(long initialMs, long maxMs) {
    this.initialMs = Math.max(1, initialMs);
    this.maxMs = Math.max(this.initialMs, maxMs);
  }

  /** A welcome came: the next delay is drawn below {@code initial} again. */
  void reset() {
    attempts = 0;
  }

  /** The largest delay the next attempt may wait: {@code initial × 2^attempts}, up to max. */
  long cap() {
    long cap = initialMs << Math.min(attempts, 20);
    if (cap <= 0 || cap > maxMs) {
      cap = maxMs;
    }
    return cap;
  }

  /**
   * Counts one more attempt and returns its delay: 0 when {@code now} (a new token for an
   * expired one needs no wait), else a random delay below {@link #cap()}.
   */
  long next(boolean now) {
    long cap = cap();
    attempts++;
    return now ? 0 : ThreadLocalRandom.current().nextLong(cap);
  }
}
