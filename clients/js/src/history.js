// The position in the room's history: the epoch and the offset of the last message delivered,
// what a reconnect asks for (since + epoch), duplicates dropped, and the reasons of a reset.

/** Where the client is in the room's message stream. */
export class OffsetTracker {
  constructor() {
    /** @type {string|null} the room's history epoch, null when the server keeps no history */
    this.epoch = null;
    /** @type {number|null} the offset of the last message delivered (or of the welcome) */
    this.offset = null;
  }

  /**
   * Where the next connection asks the history to start, or null when there is no history.
   * @returns {{since: number, epoch: string}|null}
   */
  since() {
    return this.epoch !== null && this.offset !== null ? { since: this.offset, epoch: this.epoch } : null;
  }

  /**
   * A welcome: where the messages that follow start, and whether some were missed.
   * @param {object} frame the welcome frame
   * @param {number|null} since the offset the connection asked for (null: none)
   * @param {string|null} sinceEpoch the epoch it asked for
   * @param {boolean} first whether it is the first welcome since connect()
   * @returns {'new_epoch'|'not_recovered'|'no_history'|null} the reason of a reset, or null
   */
  welcome(frame, since, sinceEpoch, first) {
    let reset = null;
    if (typeof frame.epoch === 'string' && typeof frame.offset === 'number') {
      if (since !== null) {
        if (frame.recovered === true && frame.epoch === sinceEpoch) {
          this.offset = since; // the replay follows and moves it on
        } else {
          reset = frame.epoch !== sinceEpoch ? 'new_epoch' : 'not_recovered';
          this.epoch = frame.epoch;
          this.offset = frame.offset;
        }
      } else {
        if (this.epoch !== null && this.epoch !== frame.epoch) reset = 'new_epoch';
        this.epoch = frame.epoch;
        this.offset = frame.offset;
      }
    } else {
      if (!first) reset = 'no_history';
      this.epoch = null;
      this.offset = null;
    }
    return reset;
  }

  /**
   * A message with an offset: false when it was delivered already (a duplicate, to drop).
   * Otherwise moves the offset on, and when offsets were skipped calls `onGap` first, with the
   * offset just before the message.
   * @param {number} offset
   * @param {() => void} onGap
   * @returns {boolean} whether to deliver the message
   */
  accept(offset, onGap) {
    if (this.epoch !== null && this.offset !== null) {
      if (offset <= this.offset) return false; // already delivered
      if (offset > this.offset + 1) {
        // Offsets have no gaps: messages were missed and no recovery can bring them now.
        this.offset = offset - 1;
        onGap();
      }
    }
    this.offset = offset;
    return true;
  }

  /**
   * The history_reset error frame: the room's history started again, offsets count in a new
   * epoch from the frame's offset.
   * @param {{epoch?: unknown, offset?: unknown}} frame
   */
  historyReset(frame) {
    if (typeof frame.epoch === 'string') this.epoch = frame.epoch;
    if (typeof frame.offset === 'number') this.offset = frame.offset;
  }
}
