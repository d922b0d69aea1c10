// Acknowledged sends: the queue of sends not written yet, the sends in flight (written, not
// answered) by ref, the refs themselves, and the resend of the ones in flight after a resume.

import { LobbyError } from './errors.js';

/**
 * @typedef {{ref: string, text: string, resolve: (ack: object) => void, reject: (error: unknown) => void}} Send
 */

/** The sends of one client, in order: queued first, then written (in flight) until answered. */
export class SendQueue {
  /**
   * @param {number} maxQueued sends held while not connected
   * @param {number} maxInFlight sends written and not yet answered at once
   */
  constructor(maxQueued, maxInFlight) {
    this._maxQueued = maxQueued;
    this._maxInFlight = maxInFlight;
    /** @type {Send[]} sends not written on the current session yet */
    this._queue = [];
    /** @type {Map<string, Send>} ref -> send, written and not answered, in order */
    this._inflight = new Map();
    this._refPrefix = randomId();
    this._refCounter = 0;
  }

  /** Sends held, not yet written. */
  get queued() { return this._queue.length; }
  /** Sends written and not yet answered. */
  get inFlight() { return this._inflight.size; }

  /**
   * Takes a frame ({type, msg, ...}), gives it a ref and queues it; `onQueued` is called once it
   * waits in the queue (to write it when the connection allows). Returns the promise of its ack.
   * @param {{msg: unknown, ref?: string}} frame
   * @param {boolean} open whether a welcomed connection is there now (the queue bound applies
   *   only while there is none)
   * @param {() => void} onQueued
   * @returns {Promise<{ref: string, offset?: number}>}
   */
  add(frame, open, onQueued) {
    let text;
    try {
      text = JSON.stringify(frame.msg);
    } catch (e) {
      return Promise.reject(new TypeError('the value is not JSON: ' + (e && e.message)));
    }
    if (text === undefined) return Promise.reject(new TypeError('the value is not JSON (undefined, a function or a symbol)'));
    if (!open && this._queue.length >= this._maxQueued) {
      return Promise.reject(new LobbyError('queue_full', 'not connected and ' + this._maxQueued + ' messages already wait (maxQueued): this one was not taken'));
    }
    const ref = this._refPrefix + '-' + (++this._refCounter).toString(36);
    frame.ref = ref;
    text = JSON.stringify(frame);
    return new Promise((resolve, reject) => {
      this._queue.push({ ref, text, resolve, reject });
      onQueued();
    });
  }

  /**
   * Writes what waits, in order, as far as maxInFlight allows; stops at the first write that
   * fails.
   * @param {(text: string) => boolean} write
   */
  pump(write) {
    while (this._queue.length > 0 && this._inflight.size < this._maxInFlight) {
      const send = this._queue[0];
      if (!write(send.text)) return;
      this._queue.shift();
      this._inflight.set(send.ref, send);
    }
  }

  /**
   * The send in flight with this ref, no longer in flight (the server answered it), or
   * undefined when there is none.
   * @param {string} ref
   * @returns {Send|undefined}
   */
  take(ref) {
    const send = this._inflight.get(ref);
    if (send) this._inflight.delete(ref);
    return send;
  }

  /**
   * Writes the sends in flight again, with their refs, in order: on a resumed session the server
   * answers a ref it has seen again without broadcasting it twice.
   * @param {(text: string) => boolean} write
   */
  resend(write) {
    for (const send of this._inflight.values()) write(send.text);
  }

  /** The session was not resumed: the outcome of the sends in flight is unknown. */
  abandonInFlight() {
    const lost = [...this._inflight.values()];
    this._inflight.clear();
    for (const send of lost) {
      send.reject(new LobbyError('outcome_unknown', 'the session was not resumed: the message may or may not have been delivered', { ref: send.ref }));
    }
  }

  /**
   * The client stops: sends not written are rejected with the code of `error`, sends written and
   * not answered with outcome_unknown.
   * @param {LobbyError} error
   * @param {string} why
   */
  rejectAll(error, why) {
    const queued = this._queue.splice(0);
    for (const send of queued) send.reject(new LobbyError(error.code, error.message + ': not sent', { ref: send.ref }));
    const written = [...this._inflight.values()];
    this._inflight.clear();
    for (const send of written) {
      send.reject(new LobbyError('outcome_unknown', 'the connection ended (' + why + ') before the server answered: the message may or may not have been delivered', { ref: send.ref }));
    }
  }
}

/** A random prefix of the refs of one client. */
function randomId() {
  const bytes = new Uint8Array(6);
  if (globalThis.crypto && typeof globalThis.crypto.getRandomValues === 'function') {
    globalThis.crypto.getRandomValues(bytes);
  } else {
    for (let i = 0; i < bytes.length; i++) bytes[i] = Math.floor(Math.random() * 256);
  }
  return Array.from(bytes, (b) => b.toString(36).padStart(2, '0')).join('');
}
