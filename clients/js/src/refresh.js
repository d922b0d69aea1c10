// Token refresh: when to refresh ahead of expiry, the refresh frame, and the answers to
// refresh() calls.

import { LobbyError } from './errors.js';
import { jwtExpiry } from './jwt.js';

/** Share of a token's remaining life after which it is refreshed. */
const REFRESH_AT = 0.75;
/** Error codes of a refused refresh (an error frame without ref while a refresh is pending). */
const REFRESH_ERRORS = new Set(['unauthorized', 'forbidden', 'unavailable', 'bad_request']);

/**
 * Refreshes the session's token ahead of expiry (with getToken), and matches the server's answers
 * (refreshed, or an error frame without ref) to the refreshes sent.
 */
export class TokenRefresher {
  /**
   * @param {Function|null} getToken the getToken option; without it, no refresh ahead of expiry
   * @param {{connection: () => any, stopped: () => boolean, write: (conn: any, text: string) => boolean}} host
   *   the client: its current connection, whether it stopped, and writing on a connection
   */
  constructor(getToken, host) {
    this._getToken = getToken;
    this._host = host;
    this._expiresAt = null;
    this._timer = null;
    this._pending = false;
    this._waiters = []; // refresh() calls waiting for the server's answer, in order
  }

  /**
   * A welcome: the expiry is the one of the token that opened the connection (when it is a JWT).
   * @param {string|null} token
   */
  start(token) {
    this._expiresAt = jwtExpiry(token);
    this.schedule();
  }

  /**
   * Schedules the next refresh at `share` of the token's remaining life (with getToken and a
   * known expiry only).
   * @param {number} [share]
   */
  schedule(share = REFRESH_AT) {
    clearTimeout(this._timer);
    this._timer = null;
    if (!this._getToken || this._expiresAt === null) return;
    const remaining = this._expiresAt - Date.now();
    const delay = Math.max(0, Math.floor(remaining * share));
    this._timer = setTimeout(() => { this._timer = null; this._refresh(); }, delay);
  }

  /** No refresh ahead of expiry until the next start(). */
  stop() {
    clearTimeout(this._timer);
    this._timer = null;
  }

  /**
   * The connection was lost: a refresh whose answer was lost with it is rejected. Its token is
   * the one the next connection uses, so the application need not send it again.
   */
  lost() {
    this.stop();
    this._pending = false;
    for (const w of this._waiters.splice(0)) {
      w.reject(new LobbyError('outcome_unknown', 'the connection was lost before the server answered the refresh'));
    }
  }

  /**
   * A refresh frame of refresh() was written: the promise of the server's answer.
   * @returns {Promise<object>}
   */
  awaitAnswer() {
    this._pending = true;
    return new Promise((resolve, reject) => {
      this._waiters.push({ resolve, reject });
    });
  }

  /**
   * The refreshed frame: the new expiry. Returns whether to schedule the next refresh: a refresh
   * that did not move the expiry on (getToken gave the same token) is not repeated; the session
   * ends at expiry and the reconnect asks getToken again.
   * @param {{expires_at?: unknown}} frame
   * @returns {boolean}
   */
  refreshed(frame) {
    this._pending = false;
    this._settle(null, frame);
    const at = typeof frame.expires_at === 'string' ? Date.parse(frame.expires_at) : NaN;
    const previous = this._expiresAt;
    this._expiresAt = Number.isFinite(at) ? at : null;
    return !(this._expiresAt !== null && previous !== null && this._expiresAt <= previous);
  }

  /**
   * An error frame: whether it is the answer to a pending refresh (which it then rejects). The
   * session keeps its expiry.
   * @param {{code?: unknown, message?: unknown, ref?: unknown}} frame
   * @returns {boolean}
   */
  refused(frame) {
    if (!this._pending || frame.ref !== undefined || !REFRESH_ERRORS.has(frame.code)) return false;
    this._pending = false;
    this._settle(new LobbyError(String(frame.code), String(frame.message ?? frame.code), { frame }), null);
    return true;
  }

  /** Answers the oldest refresh() waiting: the server answers refreshes in order. */
  _settle(error, frame) {
    const waiter = this._waiters.shift();
    if (!waiter) return;
    if (error) waiter.reject(error);
    else waiter.resolve(frame);
  }

  /** The refresh ahead of expiry: a token from getToken, in a refresh frame. */
  async _refresh() {
    const conn = this._host.connection();
    if (!conn || !conn.welcomed || this._host.stopped()) return;
    let token;
    try {
      token = await this._getToken({ reason: 'refresh' });
    } catch (e) {
      if (this._host.connection() === conn) this.schedule(0.5);
      return;
    }
    if (this._host.connection() !== conn || typeof token !== 'string' || token === '') return;
    if (this._host.write(conn, JSON.stringify({ type: 'refresh', token }))) this._pending = true;
  }
}
