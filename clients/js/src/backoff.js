// The delays between connection attempts: exponential backoff with full jitter.

/** Counts the attempts since the last welcome and draws the delay of the next one. */
export class Backoff {
  /**
   * @param {number} initialMs the ceiling of the first delay
   * @param {number} maxMs the highest ceiling
   */
  constructor(initialMs, maxMs) {
    this.initialMs = initialMs;
    this.maxMs = maxMs;
    /** Connection attempts since the last welcome (or since connect()). */
    this.attempt = 0;
  }

  /**
   * The delay of the next attempt: full jitter, a random time in [0, ceiling), under a ceiling
   * that doubles with each attempt up to maxMs; 0 when `immediate`.
   * @param {boolean} immediate
   * @returns {number}
   */
  delay(immediate) {
    if (immediate) return 0;
    const ceiling = Math.min(this.maxMs, this.initialMs * Math.pow(2, Math.min(this.attempt, 30)));
    return Math.floor(Math.random() * ceiling);
  }

  /** One more attempt is scheduled. */
  next() {
    this.attempt++;
  }

  /** A welcome (or a new connect()): the delays start small again. */
  reset() {
    this.attempt = 0;
  }
}
