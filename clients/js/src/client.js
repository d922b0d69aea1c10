// LobbyClient: one session in one room. It puts the collaborators together (connection.js,
// backoff.js, close-codes.js, history.js, sends.js, members.js, refresh.js) and keeps the state
// between connections: the session to resume, the waiter of connect(), the retry timer.

import { Backoff } from './backoff.js';
import { classifyClose } from './close-codes.js';
import { Connection, connectionUrl } from './connection.js';
import { deferred } from './deferred.js';
import { Emitter } from './emitter.js';
import { LobbyError, closedError } from './errors.js';
import { OffsetTracker } from './history.js';
import { MembersRequests } from './members.js';
import { readOptions } from './options.js';
import { TokenRefresher } from './refresh.js';
import { SendQueue } from './sends.js';

/** @typedef {import('./options.js').LobbyClientOptions} LobbyClientOptions */
/** @typedef {import('./options.js').LobbyState} LobbyState */

/**
 * A client of one Lobby room.
 */
export class LobbyClient {
  /** @param {LobbyClientOptions} options */
  constructor(options) {
    const o = readOptions(options);
    this._baseUrl = o.baseUrl;
    this._room = o.room;
    this._WebSocket = o.WebSocket;
    this._token = o.token;
    this._getToken = o.getToken;
    this._connectTimeoutMs = o.connectTimeoutMs;
    this._idleTimeoutMs = o.idleTimeoutMs;
    this._closeTimeoutMs = o.closeTimeoutMs;

    this._events = new Emitter();
    this._backoff = new Backoff(o.initialMs, o.maxMs);
    this._history = new OffsetTracker();
    this._sends = new SendQueue(o.maxQueued, o.maxInFlight);
    this._members = new MembersRequests();
    this._refresher = new TokenRefresher(this._getToken, {
      connection: () => this._conn,
      stopped: () => this._stopped,
      write: (conn, text) => this._write(conn, text),
    });
    /** @type {LobbyState} */
    this._state = 'closed';
    this._stopped = false;        // close() was called or the connection ended for good
    this._started = false;        // connect() was called since the last stop
    this._generation = 0;         // bumped by close() to cancel attempts under way
    /** @type {Connection|null} */
    this._conn = null;            // the current connection, see _open()
    this._welcomedSinceStart = false;
    this._closing = null;         // the promise of a close() under way
    this._firstTokenUsed = false;
    this._lastWelcome = null;
    this._id = null;
    this._session = null;         // { id, key } to resume with
    this._connectWaiter = null;
    this._retryTimer = null;
  }

  /** @returns {LobbyState} */
  get state() { return this._state; }
  /** The session id of the last welcome, or null before the first. */
  get id() { return this._id; }
  /** The room's history epoch, or null when the server keeps no history. */
  get epoch() { return this._history.epoch; }
  /** The offset of the last message delivered (or of the welcome when none came since), or null. */
  get offset() { return this._history.offset; }
  /** The room. */
  get room() { return this._room; }
  /** Sends held, not yet written (while not connected, or beyond maxInFlight). */
  get queued() { return this._sends.queued; }
  /** Sends written and not yet acknowledged. */
  get inFlight() { return this._sends.inFlight; }

  /**
   * Listens to an event; returns a function that removes the listener.
   * @param {string} event
   * @param {(payload: any) => void} listener
   * @returns {() => void}
   */
  on(event, listener) {
    return this._events.on(event, listener);
  }

  /**
   * Like on(), for the next event only.
   * @param {string} event
   * @param {(payload: any) => void} listener
   * @returns {() => void}
   */
  once(event, listener) {
    const off = this.on(event, (payload) => { off(); listener(payload); });
    return off;
  }

  /**
   * Connects; resolves with the first welcome frame. Until then, failed attempts are retried with
   * backoff; it rejects when the server refuses for good (HTTP 400, 403, 401 without getToken, ...)
   * or when close() is called first.
   * @returns {Promise<object>}
   */
  connect() {
    if (this._state === 'open' && this._conn && this._conn.welcomed) return Promise.resolve(this._lastWelcome);
    if (this._connectWaiter) return this._connectWaiter.promise;
    this._connectWaiter = deferred();
    if (!this._started) {
      this._started = true;
      this._stopped = false;
      this._backoff.reset();
      this._welcomedSinceStart = false;
      this._open();
    }
    return this._connectWaiter.promise;
  }

  /**
   * Broadcasts a JSON value to the room. Resolves with the server's acknowledgement
   * ({ref, offset} on a server that keeps a history); rejects with the server's refusal (a
   * LobbyError whose code is the error frame's), with queue_full, closed or outcome_unknown.
   * @param {unknown} value
   * @returns {Promise<{ref: string, offset?: number}>}
   */
  send(value) {
    return this._enqueue({ type: 'message', msg: value });
  }

  /**
   * Whispers a JSON value to one session (of any room). Resolves when it was delivered; rejects
   * with no_session when there is no such session.
   * @param {string} sessionId
   * @param {unknown} value
   * @returns {Promise<{ref: string}>}
   */
  whisper(sessionId, value) {
    if (typeof sessionId !== 'string' || sessionId === '') return Promise.reject(new TypeError('whisper: sessionId must be a session id'));
    return this._enqueue({ type: 'whisper', to: sessionId, msg: value });
  }

  /**
   * Whispers a JSON value to every session of a user. Resolves when it was delivered; rejects with
   * no_user when the user has no session.
   * @param {string} user
   * @param {unknown} value
   * @returns {Promise<{ref: string}>}
   */
  whisperUser(user, value) {
    if (typeof user !== 'string' || user === '') return Promise.reject(new TypeError('whisperUser: user must be a user id'));
    return this._enqueue({ type: 'whisper', user, msg: value });
  }

  /**
   * Asks for the members of the room; resolves with the next members frame
   * ({type, room_id, members, users?}). Asked again after a reconnect when the answer was lost.
   * @returns {Promise<object>}
   */
  members() {
    if (this._stopped) return Promise.reject(closedError());
    return this._members.add(this._conn, (conn, text) => this._write(conn, text));
  }

  /**
   * Extends the session now with a new token (the protocol's refresh frame), rather than waiting
   * for the client to refresh ahead of expiry: for a token the application got by itself, a user
   * who signed in again, say. Without a token, asks getToken for one. Resolves with the
   * refreshed frame ({type, expires_at}); rejects with a LobbyError carrying the server's code
   * (unauthorized, forbidden, unavailable, bad_request) when the server refuses it (the session
   * keeps its current token), or not_connected when there is no session to refresh now.
   * The token is also used for the next reconnects.
   * @param {string} [token]
   * @returns {Promise<object>}
   */
  async refresh(token) {
    if (this._stopped) throw closedError();
    if (token === undefined && this._getToken) token = await this._getToken({ reason: 'refresh' });
    if (typeof token !== 'string' || token === '') throw new TypeError('refresh: a token is needed');
    const conn = this._conn;
    if (!conn || !conn.welcomed || !this._write(conn, JSON.stringify({ type: 'refresh', token }))) {
      throw new LobbyError('not_connected', 'not connected: nothing to refresh now');
    }
    this._token = token;
    return this._refresher.awaitAnswer();
  }

  /**
   * Closes the connection (a Close frame with 1000: the session leaves its room) and stops
   * reconnecting. Sends not yet acknowledged are rejected (closed, or outcome_unknown when they
   * were written). Resolves once the connection is closed.
   * @returns {Promise<void>}
   */
  close() {
    if (this._stopped && !this._conn) return this._closing ?? Promise.resolve();
    this._stop(closedError(), 'closed');
    const conn = this._conn;
    this._conn = null;
    this._setState('closed');
    if (!conn) return this._closing ?? Promise.resolve();
    const closing = new Promise((resolve) => {
      conn.shutdown(this._closeTimeoutMs, (code, reason) => {
        this._emit('close', { code, reason, final: true });
        resolve();
      });
    });
    this._closing = closing;
    closing.then(() => { if (this._closing === closing) this._closing = null; });
    return closing;
  }

  // ---------------------------------------------------------------------------------------------
  // Connections

  async _open() {
    const generation = this._generation;
    this._setState(this._backoff.attempt === 0 && !this._welcomedSinceStart ? 'connecting' : 'reconnecting');
    let token = this._token;
    if (this._getToken && (this._firstTokenUsed || this._token === null)) {
      try {
        token = await this._getToken({ reason: this._welcomedSinceStart || this._backoff.attempt > 0 ? 'reconnect' : 'connect' });
      } catch (e) {
        if (generation !== this._generation) return;
        const delayMs = this._backoff.delay(false);
        this._emit('close', { code: 0, reason: 'getToken failed', final: false, retryInMs: delayMs, error: e });
        if (generation === this._generation) this._retry(delayMs);
        return;
      }
      if (generation !== this._generation) return;
      if (token !== undefined && token !== null && typeof token !== 'string') token = String(token);
    }
    this._firstTokenUsed = true;
    token = token ?? null;

    const since = this._history.since();
    const resume = this._session;
    const href = connectionUrl(this._baseUrl, this._room, { token, since, resume });
    const conn = new Connection({
      token,
      since: since !== null ? since.since : null,
      sinceEpoch: since !== null ? since.epoch : null,
      askedResume: resume !== null,
    });
    try {
      const timeouts = { connectTimeoutMs: this._connectTimeoutMs, idleTimeoutMs: this._idleTimeoutMs };
      conn.open(this._WebSocket, href, timeouts, {
        current: () => this._conn === conn,
        frame: (frame) => this._handle(conn, frame),
        close: (code, reason) => this._closed(conn, code, reason),
        giveUp: (reason) => this._abandon(conn, 1006, reason),
      });
    } catch (e) {
      // A URL or option the WebSocket will never take: no retry fixes it.
      this._emit('close', { code: 0, reason: String(e && e.message), final: true });
      this._stop(new LobbyError('connect_failed', 'could not open a WebSocket: ' + (e && e.message), { cause: e }), 'failed');
      this._setState('closed');
      return;
    }
    this._conn = conn;
  }

  /**
   * Gives a connection up without waiting for it: drops it without a Close where the WebSocket
   * allows (so the server can still resume the session), and goes on as if it had closed with
   * `code`.
   */
  _abandon(conn, code, reason) {
    if (this._conn !== conn) return;
    conn.drop();
    this._closed(conn, code, reason);
  }

  _closed(conn, code, reason) {
    this._conn = null;
    conn.stopTimers();
    this._refresher.lost();
    this._members.lost(conn);
    conn.detach();

    if (this._stopped) return;

    // A final outcome stops the client, which forgets the session (4002: the other connection
    // is the session now).
    const outcome = classifyClose(code, conn.opened ? null : conn.status, this._getToken !== null);
    if (outcome.final) {
      this._emit('close', { code, reason, status: conn.status ?? undefined, final: true, error: outcome.error });
      this._stop(outcome.error, outcome.error.code);
      this._setState('closed');
      return;
    }
    const delayMs = this._backoff.delay(outcome.immediate);
    this._emit('close', { code, reason, status: conn.status ?? undefined, final: false, retryInMs: delayMs });
    if (!this._stopped) this._retry(delayMs);
  }

  /** Schedules the next attempt. */
  _retry(delayMs) {
    this._backoff.next();
    this._setState('reconnecting');
    clearTimeout(this._retryTimer);
    const generation = this._generation;
    this._retryTimer = setTimeout(() => {
      this._retryTimer = null;
      if (generation === this._generation && !this._stopped) this._open();
    }, delayMs);
  }

  /**
   * Stops for good: no reconnect; rejects what waits. Sends not written get `error`; sends written
   * and not acknowledged get outcome_unknown.
   */
  _stop(error, why) {
    this._stopped = true;
    this._started = false;
    this._generation++;
    clearTimeout(this._retryTimer);
    this._retryTimer = null;
    this._refresher.stop();
    if (this._connectWaiter) {
      const waiter = this._connectWaiter;
      this._connectWaiter = null;
      waiter.reject(error);
    }
    this._sends.rejectAll(error, why);
    this._members.rejectAll(error);
    this._session = null; // a closed session cannot be resumed
  }

  // ---------------------------------------------------------------------------------------------
  // Frames

  _handle(conn, frame) {
    this._emit('frame', frame);
    switch (frame.type) {
      case 'welcome': this._welcome(conn, frame); break;
      case 'message': this._message(frame); break;
      case 'ack': this._ack(frame); break;
      case 'error': this._error(frame); break;
      case 'members': {
        const waiter = this._members.answered(conn);
        this._emit('members', frame);
        if (waiter) waiter.resolve(frame);
        break;
      }
      case 'refreshed': this._refreshed(frame); break;
      case 'joined': case 'left': case 'whisper':
        this._emit(frame.type, frame);
        break;
      default:
        break; // future frame types are ignored, as the protocol allows
    }
  }

  _welcome(conn, frame) {
    if (conn.welcomed) return;
    conn.welcomedNow();
    const first = !this._welcomedSinceStart;
    this._welcomedSinceStart = true;
    this._backoff.reset();
    this._lastWelcome = frame;
    this._id = typeof frame.id === 'string' ? frame.id : null;
    this._session = typeof frame.resume_key === 'string' && this._id !== null ? { id: this._id, key: frame.resume_key } : null;
    const resumed = conn.askedResume && frame.resumed === true;

    // History: where the messages that follow start, and whether some were missed.
    const reset = this._history.welcome(frame, conn.since, conn.sinceEpoch, first);

    // Sends: the unanswered ones again with their refs on a resumed session (the server answers a
    // ref it has seen again without broadcasting it twice); on a new session their outcome is
    // unknown. Then what was queued, in order.
    if (this._sends.inFlight > 0) {
      if (resumed) this._sends.resend((text) => this._write(conn, text));
      else this._sends.abandonInFlight();
    }
    this._pump();
    this._members.sendAll(conn, (c, text) => this._write(c, text));

    // Token expiry: from the JWT that opened this connection.
    this._refresher.start(conn.token);

    this._setState('open');
    this._emit('welcome', frame);
    if (reset !== null) this._emit('reset', { reason: reset, epoch: this.epoch, offset: this.offset });
    if (this._connectWaiter) {
      const waiter = this._connectWaiter;
      this._connectWaiter = null;
      waiter.resolve(frame);
    }
  }

  _message(frame) {
    /** @type {{id: string, room_id: string, msg: unknown, offset?: number}} */
    const message = { id: frame.id, room_id: frame.room_id, msg: frame.msg };
    if (typeof frame.offset === 'number') {
      message.offset = frame.offset;
      const fresh = this._history.accept(frame.offset, () => {
        this._emit('reset', { reason: 'gap', epoch: this.epoch, offset: this.offset });
      });
      if (!fresh) return; // already delivered
    }
    this._emit('message', message);
  }

  _ack(frame) {
    const send = typeof frame.ref === 'string' ? this._sends.take(frame.ref) : undefined;
    if (!send) return;
    const ack = { ref: frame.ref };
    if (typeof frame.offset === 'number') ack.offset = frame.offset;
    send.resolve(ack);
    this._pump();
  }

  _error(frame) {
    if (frame.code === 'history_reset') {
      // The room's history started again: offsets count in a new epoch from the frame's offset.
      this._history.historyReset(frame);
      this._emit('error', frame);
      this._emit('reset', { reason: 'history_reset', epoch: this.epoch, offset: this.offset });
      return;
    }
    const send = typeof frame.ref === 'string' ? this._sends.take(frame.ref) : undefined;
    if (send) {
      this._emit('error', frame);
      send.reject(new LobbyError(String(frame.code), String(frame.message ?? frame.code), { frame, ref: frame.ref }));
      this._pump();
      return;
    }
    if (this._refresher.refused(frame)) {
      this._emit('error', frame);
      // The session keeps its expiry. The server could not check the token now: try again later;
      // a token refused stays refused, and the session ends at expiry (4001, then getToken).
      if (frame.code === 'unavailable') this._refresher.schedule(0.5);
      return;
    }
    this._emit('error', frame);
  }

  _refreshed(frame) {
    const again = this._refresher.refreshed(frame);
    this._emit('refreshed', frame);
    if (again) this._refresher.schedule();
  }

  // ---------------------------------------------------------------------------------------------
  // Sends

  _enqueue(frame) {
    if (this._stopped) return Promise.reject(closedError());
    return this._sends.add(frame, this._isOpen(), () => this._pump());
  }

  _isOpen() {
    return this._state === 'open' && this._conn !== null && this._conn.welcomed;
  }

  /** Writes what waits, as far as maxInFlight allows. */
  _pump() {
    const conn = this._conn;
    if (!conn || !conn.welcomed || !conn.writable()) return;
    this._sends.pump((text) => this._write(conn, text));
  }

  _write(conn, text) {
    return conn.write(text);
  }

  // ---------------------------------------------------------------------------------------------
  // Events

  _setState(state) {
    if (this._state === state) return;
    this._state = state;
    this._emit('state', state);
  }

  _emit(event, payload) {
    this._events.emit(event, payload);
  }
}
