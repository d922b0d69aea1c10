// JavaScript client of the Lobby server, JSON mode (subprotocol lobby.v1.json).
//
// One plain ES module without imports, for browsers (<script type="module">) and Node.js 20+
// alike. It keeps one session in one room: it reconnects with exponential backoff and full
// jitter, resumes the session (resume + key) and recovers the messages missed meanwhile
// (since + epoch), refreshes the token before it expires, holds sends while it is not connected
// and sends every broadcast and whisper with a ref, so that each one is acknowledged and, across
// a resumed reconnect, broadcast exactly once. docs: README.md of this package.

/** The subprotocol of Lobby's JSON mode. */
export const SUBPROTOCOL = 'lobby.v1.json';

/** The defaults of the options, in milliseconds and counts. */
export const DEFAULTS = Object.freeze({
  backoff: Object.freeze({ initialMs: 250, maxMs: 10000 }),
  maxQueued: 100,
  maxInFlight: 128,
  connectTimeoutMs: 10000,
  idleTimeoutMs: 0,
  closeTimeoutMs: 5000,
});

const ROOM_PATTERN = /^[A-Za-z0-9\-_.~:]{1,128}$/;
const WS_OPEN = 1;
/** Share of a token's remaining life after which it is refreshed. */
const REFRESH_AT = 0.75;
/** Error codes of a refused refresh (an error frame without ref while a refresh is pending). */
const REFRESH_ERRORS = new Set(['unauthorized', 'forbidden', 'unavailable', 'bad_request']);

/**
 * An error of the client: a refused connection, a send the server refused (its error frame), a
 * send whose outcome is unknown, a full queue, a closed client.
 */
export class LobbyError extends Error {
  /**
   * @param {string} code what went wrong, machine-readable (see README: Errors)
   * @param {string} message what went wrong, for people
   * @param {{status?: number, closeCode?: number, frame?: object, ref?: string, cause?: unknown}} [details]
   */
  constructor(code, message, details = {}) {
    super(message, details.cause !== undefined ? { cause: details.cause } : undefined);
    this.name = 'LobbyError';
    /** @type {string} */
    this.code = code;
    if (details.status !== undefined) /** @type {number} */ this.status = details.status;
    if (details.closeCode !== undefined) /** @type {number} */ this.closeCode = details.closeCode;
    if (details.frame !== undefined) /** @type {object} */ this.frame = details.frame;
    if (details.ref !== undefined) /** @type {string} */ this.ref = details.ref;
  }
}

/**
 * @typedef {'connecting'|'open'|'reconnecting'|'closed'} LobbyState
 *
 * @typedef {object} LobbyClientOptions
 * @property {string|URL} url base URL of the server, e.g. ws://127.0.0.1:8081 (http and https are
 *   taken as ws and wss); the room is appended as a path segment
 * @property {string} room the room to join
 * @property {any} [WebSocket] a WHATWG-compatible WebSocket constructor; default globalThis.WebSocket
 * @property {string} [token] the token of the first connection
 * @property {(context: {reason: 'connect'|'reconnect'|'refresh'}) => (string|null|undefined|Promise<string|null|undefined>)} [getToken]
 *   asked for a token at every connection attempt (the first one only when `token` is not given)
 *   and before the token expires
 * @property {{initialMs?: number, maxMs?: number}} [backoff] reconnect delays: the n-th attempt
 *   after a loss waits a random time in [0, min(maxMs, initialMs * 2^(n-1))) (full jitter)
 * @property {number} [maxQueued] sends held while not connected; beyond, send() rejects (queue_full)
 * @property {number} [maxInFlight] sends written and not yet acknowledged at once; later ones wait
 * @property {number} [connectTimeoutMs] a connection without a welcome after this long is dropped and retried
 * @property {number} [idleTimeoutMs] when above 0, a connection on which nothing arrived for this
 *   long (with the ws package, Pings count) is dropped and retried; 0: off
 * @property {number} [closeTimeoutMs] how long close() waits for the Close handshake
 */

/**
 * A client of one Lobby room.
 */
export class LobbyClient {
  /** @param {LobbyClientOptions} options */
  constructor(options) {
    if (options === null || typeof options !== 'object') throw new TypeError('LobbyClient: options are required');
    const { url, room } = options;
    if (typeof url !== 'string' && !(typeof URL !== 'undefined' && url instanceof URL)) {
      throw new TypeError('LobbyClient: url must be a string such as ws://127.0.0.1:8081');
    }
    this._baseUrl = new URL(String(url));
    if (this._baseUrl.protocol === 'http:') this._baseUrl.protocol = 'ws:';
    else if (this._baseUrl.protocol === 'https:') this._baseUrl.protocol = 'wss:';
    if (this._baseUrl.protocol !== 'ws:' && this._baseUrl.protocol !== 'wss:') {
      throw new TypeError('LobbyClient: url must start with ws://, wss://, http:// or https://');
    }
    if (typeof room !== 'string' || !ROOM_PATTERN.test(room) || room === '.' || room === '..') {
      throw new TypeError('LobbyClient: room must be 1 to 128 of A-Z a-z 0-9 - _ . ~ : (not . or ..)');
    }
    this._room = room;
    const WebSocketCtor = options.WebSocket !== undefined ? options.WebSocket : globalThis.WebSocket;
    if (typeof WebSocketCtor !== 'function') {
      throw new TypeError('LobbyClient: no WebSocket: pass one in the WebSocket option (in Node.js, the ws package)');
    }
    this._WebSocket = WebSocketCtor;
    if (options.token !== undefined && options.token !== null && typeof options.token !== 'string') {
      throw new TypeError('LobbyClient: token must be a string');
    }
    if (options.getToken !== undefined && options.getToken !== null && typeof options.getToken !== 'function') {
      throw new TypeError('LobbyClient: getToken must be a function');
    }
    this._token = options.token ?? null;
    this._getToken = options.getToken ?? null;
    const backoff = options.backoff ?? {};
    this._initialMs = positive(backoff.initialMs, DEFAULTS.backoff.initialMs, 'backoff.initialMs');
    this._maxMs = Math.max(this._initialMs, positive(backoff.maxMs, DEFAULTS.backoff.maxMs, 'backoff.maxMs'));
    this._maxQueued = count(options.maxQueued, DEFAULTS.maxQueued, 'maxQueued', 0);
    this._maxInFlight = count(options.maxInFlight, DEFAULTS.maxInFlight, 'maxInFlight', 1);
    this._connectTimeoutMs = count(options.connectTimeoutMs, DEFAULTS.connectTimeoutMs, 'connectTimeoutMs', 0);
    this._idleTimeoutMs = count(options.idleTimeoutMs, DEFAULTS.idleTimeoutMs, 'idleTimeoutMs', 0);
    this._closeTimeoutMs = count(options.closeTimeoutMs, DEFAULTS.closeTimeoutMs, 'closeTimeoutMs', 0);

    /** @type {Map<string, Set<Function>>} */
    this._listeners = new Map();
    /** @type {LobbyState} */
    this._state = 'closed';
    this._stopped = false;        // close() was called or the connection ended for good
    this._started = false;        // connect() was called since the last stop
    this._generation = 0;         // bumped by close() to cancel attempts under way
    this._conn = null;            // the current connection, see _open()
    this._attempt = 0;            // connection attempts since the last welcome
    this._welcomedSinceStart = false;
    this._closing = null;         // the promise of a close() under way
    this._firstTokenUsed = false;
    this._lastWelcome = null;
    this._id = null;
    this._epoch = null;
    this._offset = null;
    this._session = null;         // { id, key } to resume with
    this._queue = [];             // sends not written on the current session yet
    this._inflight = new Map();   // ref -> send, written and not answered, in order
    this._membersWaiters = [];
    this._connectWaiter = null;
    this._retryTimer = null;
    this._refreshTimer = null;
    this._expiresAt = null;
    this._refreshPending = false;
    this._refPrefix = randomId();
    this._refCounter = 0;
  }

  /** @returns {LobbyState} */
  get state() { return this._state; }
  /** The session id of the last welcome, or null before the first. */
  get id() { return this._id; }
  /** The room's history epoch, or null when the server keeps no history. */
  get epoch() { return this._epoch; }
  /** The offset of the last message delivered (or of the welcome when none came since), or null. */
  get offset() { return this._offset; }
  /** The room. */
  get room() { return this._room; }
  /** Sends held, not yet written (while not connected, or beyond maxInFlight). */
  get queued() { return this._queue.length; }
  /** Sends written and not yet acknowledged. */
  get inFlight() { return this._inflight.size; }

  /**
   * Listens to an event; returns a function that removes the listener.
   * @param {string} event
   * @param {(payload: any) => void} listener
   * @returns {() => void}
   */
  on(event, listener) {
    if (typeof listener !== 'function') throw new TypeError('LobbyClient.on: listener must be a function');
    let set = this._listeners.get(event);
    if (!set) this._listeners.set(event, (set = new Set()));
    // A wrapper, so that the same function added twice is called twice and removed once each.
    const entry = (payload) => listener(payload);
    set.add(entry);
    return () => { set.delete(entry); };
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
      this._attempt = 0;
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
    return new Promise((resolve, reject) => {
      const waiter = { resolve, reject, sentOn: null };
      this._membersWaiters.push(waiter);
      const conn = this._conn;
      if (conn && conn.welcomed && this._write(conn, '{"type":"members"}')) waiter.sentOn = conn;
    });
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
    clearTimeout(conn.connectTimer);
    clearTimeout(conn.idleTimer);
    conn.closing = true;
    const ws = conn.ws;
    const closing = new Promise((resolve) => {
      let timer = null;
      const finish = (code, reason) => {
        clearTimeout(timer);
        ws.onopen = ws.onmessage = ws.onclose = null;
        this._emit('close', { code, reason, final: true });
        resolve();
      };
      ws.onopen = ws.onmessage = null;
      ws.onerror = () => {};
      ws.onclose = (event) => finish(event ? event.code : 1006, event ? String(event.reason || '') : '');
      timer = setTimeout(() => {
        try { if (typeof ws.terminate === 'function') ws.terminate(); } catch (e) { /* closed */ }
        finish(1006, 'close timeout');
      }, this._closeTimeoutMs);
      try { ws.close(1000); } catch (e) { finish(1006, 'close failed'); }
    });
    this._closing = closing;
    closing.then(() => { if (this._closing === closing) this._closing = null; });
    return closing;
  }

  // ---------------------------------------------------------------------------------------------
  // Connections

  async _open() {
    const generation = this._generation;
    this._setState(this._attempt === 0 && !this._welcomedSinceStart ? 'connecting' : 'reconnecting');
    let token = this._token;
    if (this._getToken && (this._firstTokenUsed || this._token === null)) {
      try {
        token = await this._getToken({ reason: this._welcomedSinceStart || this._attempt > 0 ? 'reconnect' : 'connect' });
      } catch (e) {
        if (generation !== this._generation) return;
        const delayMs = this._nextDelay(false);
        this._emit('close', { code: 0, reason: 'getToken failed', final: false, retryInMs: delayMs, error: e });
        if (generation === this._generation) this._retry(delayMs);
        return;
      }
      if (generation !== this._generation) return;
      if (token !== undefined && token !== null && typeof token !== 'string') token = String(token);
    }
    this._firstTokenUsed = true;
    token = token ?? null;

    const since = this._epoch !== null && this._offset !== null ? this._offset : null;
    const resume = this._session;
    const query = [];
    if (token !== null) query.push('token=' + encodeURIComponent(token));
    if (since !== null) query.push('since=' + since, 'epoch=' + encodeURIComponent(this._epoch));
    if (resume !== null) query.push('resume=' + encodeURIComponent(resume.id), 'key=' + encodeURIComponent(resume.key));
    const url = new URL(this._baseUrl.href);
    url.pathname = url.pathname.replace(/\/+$/, '') + '/' + this._room;
    url.hash = '';
    if (query.length > 0) url.search = (url.search.length > 1 ? url.search.slice(1) + '&' : '') + query.join('&');

    const conn = {
      ws: null, token, since, sinceEpoch: since !== null ? this._epoch : null, askedResume: resume !== null,
      opened: false, welcomed: false, closing: false, status: null, errorMessage: null,
      connectTimer: null, idleTimer: null,
    };
    let ws;
    try {
      ws = new this._WebSocket(url.href, SUBPROTOCOL);
    } catch (e) {
      // A URL or option the WebSocket will never take: no retry fixes it.
      this._emit('close', { code: 0, reason: String(e && e.message), final: true });
      this._stop(new LobbyError('connect_failed', 'could not open a WebSocket: ' + (e && e.message), { cause: e }), 'failed');
      this._setState('closed');
      return;
    }
    conn.ws = ws;
    this._conn = conn;
    ws.onopen = () => {
      if (this._conn !== conn) return;
      conn.opened = true;
      this._touch(conn);
    };
    ws.onmessage = (event) => {
      if (this._conn !== conn || conn.closing) return;
      this._touch(conn);
      if (typeof event.data !== 'string') return;
      let frame;
      try {
        frame = JSON.parse(event.data);
      } catch (e) {
        return; // not a frame of this protocol
      }
      if (frame === null || typeof frame !== 'object' || Array.isArray(frame)) return;
      this._handle(conn, frame);
    };
    ws.onerror = (event) => {
      if (this._conn !== conn) return;
      // With the ws package a refused upgrade is an error 'Unexpected server response: <status>';
      // a browser does not say why (the close that follows has code 1006).
      const message = event && (event.message || (event.error && event.error.message));
      if (typeof message === 'string') {
        conn.errorMessage = message;
        const m = /Unexpected server response: (\d{3})/.exec(message);
        if (m) conn.status = Number(m[1]);
      }
    };
    ws.onclose = (event) => {
      if (this._conn !== conn) return;
      this._closed(conn, event ? event.code : 1006, event ? String(event.reason || '') : '');
    };
    if (typeof ws.on === 'function') {
      // The ws package shows the server's Pings, which tell that the connection is alive.
      try { ws.on('ping', () => { if (this._conn === conn) this._touch(conn); }); } catch (e) { /* not ws */ }
    }
    if (this._connectTimeoutMs > 0) {
      conn.connectTimer = setTimeout(() => {
        if (this._conn === conn && !conn.welcomed) this._abandon(conn, 1006, 'no welcome within ' + this._connectTimeoutMs + ' ms');
      }, this._connectTimeoutMs);
    }
  }

  /** Something arrived on the connection: it is alive. */
  _touch(conn) {
    if (this._idleTimeoutMs <= 0) return;
    clearTimeout(conn.idleTimer);
    conn.idleTimer = setTimeout(() => {
      if (this._conn === conn) this._abandon(conn, 1006, 'nothing received for ' + this._idleTimeoutMs + ' ms');
    }, this._idleTimeoutMs);
  }

  /**
   * Gives a connection up without waiting for it: drops it without a Close where the WebSocket
   * allows (ws's terminate(), so the server can still resume the session), and goes on as if it
   * had closed with `code`.
   */
  _abandon(conn, code, reason) {
    if (this._conn !== conn) return;
    const ws = conn.ws;
    try {
      if (typeof ws.terminate === 'function') ws.terminate();
      else ws.close(4000, 'abandoned');
    } catch (e) { /* already closed */ }
    this._closed(conn, code, reason);
  }

  _closed(conn, code, reason) {
    this._conn = null;
    clearTimeout(conn.connectTimer);
    clearTimeout(conn.idleTimer);
    clearTimeout(this._refreshTimer);
    this._refreshTimer = null;
    this._refreshPending = false;
    for (const w of this._membersWaiters) if (w.sentOn === conn) w.sentOn = null;
    // Detach, so that late events of this socket do nothing.
    conn.ws.onopen = conn.ws.onmessage = conn.ws.onclose = null;
    conn.ws.onerror = () => {}; // (ws throws an 'error' nobody listens to)

    if (this._stopped) return;

    const outcome = this._classify(conn, code);
    if (outcome.final) {
      this._emit('close', { code, reason, status: conn.status ?? undefined, final: true, error: outcome.error });
      this._stop(outcome.error, outcome.error.code);
      this._setState('closed');
      return;
    }
    const delayMs = this._nextDelay(outcome.immediate);
    this._emit('close', { code, reason, status: conn.status ?? undefined, final: false, retryInMs: delayMs });
    if (!this._stopped) this._retry(delayMs);
  }

  /** Whether a closed connection ends the client, and if not, how soon to retry. */
  _classify(conn, code) {
    const status = conn.opened ? null : conn.status;
    if (code === 4002) {
      this._session = null;
      return { final: true, error: new LobbyError('session_resumed', 'the session was resumed on another connection (close 4002)', { closeCode: 4002 }) };
    }
    if (code === 4001) {
      if (this._getToken) return { final: false, immediate: true };
      return { final: true, error: new LobbyError('token_expired', 'the token expired (close 4001) and there is no getToken to ask for another', { closeCode: 4001 }) };
    }
    if (status !== null) {
      if (status === 401) {
        if (this._getToken) return { final: false, immediate: false };
        return { final: true, error: new LobbyError('unauthorized', 'the server refused the token (HTTP 401)', { status }) };
      }
      if (status === 403) return { final: true, error: new LobbyError('forbidden', 'the server does not allow this room or origin (HTTP 403)', { status }) };
      if (status === 400) return { final: true, error: new LobbyError('bad_request', 'the server refused the request (HTTP 400)', { status }) };
      if (status >= 400 && status < 500 && status !== 408 && status !== 429) {
        return { final: true, error: new LobbyError('refused', 'the server refused the connection (HTTP ' + status + ')', { status }) };
      }
    }
    return { final: false, immediate: false };
  }

  /** The delay of the next attempt: full jitter under a ceiling that doubles with each attempt. */
  _nextDelay(immediate) {
    if (immediate) return 0;
    const ceiling = Math.min(this._maxMs, this._initialMs * Math.pow(2, Math.min(this._attempt, 30)));
    return Math.floor(Math.random() * ceiling);
  }

  /** Schedules the next attempt. */
  _retry(delayMs) {
    this._attempt++;
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
    clearTimeout(this._refreshTimer);
    this._refreshTimer = null;
    if (this._connectWaiter) {
      const waiter = this._connectWaiter;
      this._connectWaiter = null;
      waiter.reject(error);
    }
    const queued = this._queue.splice(0);
    for (const send of queued) send.reject(new LobbyError(error.code, error.message + ': not sent', { ref: send.ref }));
    const written = [...this._inflight.values()];
    this._inflight.clear();
    for (const send of written) {
      send.reject(new LobbyError('outcome_unknown', 'the connection ended (' + why + ') before the server answered: the message may or may not have been delivered', { ref: send.ref }));
    }
    const waiters = this._membersWaiters.splice(0);
    for (const w of waiters) w.reject(error);
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
      case 'error': this._error(conn, frame); break;
      case 'members': {
        const i = this._membersWaiters.findIndex((w) => w.sentOn === conn);
        this._emit('members', frame);
        if (i >= 0) this._membersWaiters.splice(i, 1)[0].resolve(frame);
        break;
      }
      case 'refreshed': this._refreshed(conn, frame); break;
      case 'joined': case 'left': case 'whisper':
        this._emit(frame.type, frame);
        break;
      default:
        break; // future frame types are ignored, as the protocol allows
    }
  }

  _welcome(conn, frame) {
    if (conn.welcomed) return;
    conn.welcomed = true;
    clearTimeout(conn.connectTimer);
    const first = !this._welcomedSinceStart;
    this._welcomedSinceStart = true;
    this._attempt = 0;
    this._lastWelcome = frame;
    this._id = typeof frame.id === 'string' ? frame.id : null;
    this._session = typeof frame.resume_key === 'string' && this._id !== null ? { id: this._id, key: frame.resume_key } : null;
    const resumed = conn.askedResume && frame.resumed === true;

    // History: where the messages that follow start, and whether some were missed.
    let reset = null;
    if (typeof frame.epoch === 'string' && typeof frame.offset === 'number') {
      if (conn.since !== null) {
        if (frame.recovered === true && frame.epoch === conn.sinceEpoch) {
          this._offset = conn.since; // the replay follows and moves it on
        } else {
          reset = frame.epoch !== conn.sinceEpoch ? 'new_epoch' : 'not_recovered';
          this._epoch = frame.epoch;
          this._offset = frame.offset;
        }
      } else {
        if (this._epoch !== null && this._epoch !== frame.epoch) reset = 'new_epoch';
        this._epoch = frame.epoch;
        this._offset = frame.offset;
      }
    } else {
      if (!first) reset = 'no_history';
      this._epoch = null;
      this._offset = null;
    }

    // Sends: the unanswered ones again with their refs on a resumed session (the server answers a
    // ref it has seen again without broadcasting it twice); on a new session their outcome is
    // unknown. Then what was queued, in order.
    if (this._inflight.size > 0) {
      if (resumed) {
        for (const send of this._inflight.values()) this._write(conn, send.text);
      } else {
        const lost = [...this._inflight.values()];
        this._inflight.clear();
        for (const send of lost) {
          send.reject(new LobbyError('outcome_unknown', 'the session was not resumed: the message may or may not have been delivered', { ref: send.ref }));
        }
      }
    }
    this._pump();
    for (const w of this._membersWaiters) {
      if (w.sentOn !== conn && this._write(conn, '{"type":"members"}')) w.sentOn = conn;
    }

    // Token expiry: from the JWT that opened this connection.
    this._expiresAt = jwtExpiry(conn.token);
    this._scheduleRefresh();

    this._setState('open');
    this._emit('welcome', frame);
    if (reset !== null) this._emit('reset', { reason: reset, epoch: this._epoch, offset: this._offset });
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
      if (this._epoch !== null && this._offset !== null) {
        if (frame.offset <= this._offset) return; // already delivered
        if (frame.offset > this._offset + 1) {
          // Offsets have no gaps: messages were missed and no recovery can bring them now.
          this._offset = frame.offset - 1;
          this._emit('reset', { reason: 'gap', epoch: this._epoch, offset: this._offset });
        }
      }
      this._offset = frame.offset;
    }
    this._emit('message', message);
  }

  _ack(frame) {
    const send = typeof frame.ref === 'string' ? this._inflight.get(frame.ref) : undefined;
    if (!send) return;
    this._inflight.delete(frame.ref);
    const ack = { ref: frame.ref };
    if (typeof frame.offset === 'number') ack.offset = frame.offset;
    send.resolve(ack);
    this._pump();
  }

  _error(conn, frame) {
    if (frame.code === 'history_reset') {
      // The room's history started again: offsets count in a new epoch from the frame's offset.
      if (typeof frame.epoch === 'string') this._epoch = frame.epoch;
      if (typeof frame.offset === 'number') this._offset = frame.offset;
      this._emit('error', frame);
      this._emit('reset', { reason: 'history_reset', epoch: this._epoch, offset: this._offset });
      return;
    }
    if (typeof frame.ref === 'string' && this._inflight.has(frame.ref)) {
      const send = this._inflight.get(frame.ref);
      this._inflight.delete(frame.ref);
      this._emit('error', frame);
      send.reject(new LobbyError(String(frame.code), String(frame.message ?? frame.code), { frame, ref: frame.ref }));
      this._pump();
      return;
    }
    if (this._refreshPending && frame.ref === undefined && REFRESH_ERRORS.has(frame.code)) {
      this._refreshPending = false;
      this._emit('error', frame);
      // The session keeps its expiry. The server could not check the token now: try again later;
      // a token refused stays refused, and the session ends at expiry (4001, then getToken).
      if (frame.code === 'unavailable') this._scheduleRefresh(0.5);
      return;
    }
    this._emit('error', frame);
  }

  // ---------------------------------------------------------------------------------------------
  // Token refresh

  _refreshed(conn, frame) {
    this._refreshPending = false;
    const at = typeof frame.expires_at === 'string' ? Date.parse(frame.expires_at) : NaN;
    const previous = this._expiresAt;
    this._expiresAt = Number.isFinite(at) ? at : null;
    this._emit('refreshed', frame);
    // A refresh that did not move the expiry on (getToken gave the same token) is not repeated:
    // the session ends at expiry and the reconnect asks getToken again.
    if (this._expiresAt !== null && previous !== null && this._expiresAt <= previous) return;
    this._scheduleRefresh();
  }

  _scheduleRefresh(share = REFRESH_AT) {
    clearTimeout(this._refreshTimer);
    this._refreshTimer = null;
    if (!this._getToken || this._expiresAt === null) return;
    const remaining = this._expiresAt - Date.now();
    const delay = Math.max(0, Math.floor(remaining * share));
    this._refreshTimer = setTimeout(() => { this._refreshTimer = null; this._refresh(); }, delay);
  }

  async _refresh() {
    const conn = this._conn;
    if (!conn || !conn.welcomed || this._stopped) return;
    let token;
    try {
      token = await this._getToken({ reason: 'refresh' });
    } catch (e) {
      if (this._conn === conn) this._scheduleRefresh(0.5);
      return;
    }
    if (this._conn !== conn || typeof token !== 'string' || token === '') return;
    if (this._write(conn, JSON.stringify({ type: 'refresh', token }))) this._refreshPending = true;
  }

  // ---------------------------------------------------------------------------------------------
  // Sends

  _enqueue(frame) {
    if (this._stopped) return Promise.reject(closedError());
    let text;
    try {
      text = JSON.stringify(frame.msg);
    } catch (e) {
      return Promise.reject(new TypeError('the value is not JSON: ' + (e && e.message)));
    }
    if (text === undefined) return Promise.reject(new TypeError('the value is not JSON (undefined, a function or a symbol)'));
    if (!this._isOpen() && this._queue.length >= this._maxQueued) {
      return Promise.reject(new LobbyError('queue_full', 'not connected and ' + this._maxQueued + ' messages already wait (maxQueued): this one was not taken'));
    }
    const ref = this._refPrefix + '-' + (++this._refCounter).toString(36);
    frame.ref = ref;
    text = JSON.stringify(frame);
    return new Promise((resolve, reject) => {
      this._queue.push({ ref, text, resolve, reject });
      this._pump();
    });
  }

  _isOpen() {
    return this._state === 'open' && this._conn !== null && this._conn.welcomed;
  }

  /** Writes what waits, as far as maxInFlight allows. */
  _pump() {
    const conn = this._conn;
    if (!conn || !conn.welcomed || conn.closing || conn.ws.readyState !== WS_OPEN) return;
    while (this._queue.length > 0 && this._inflight.size < this._maxInFlight) {
      const send = this._queue[0];
      if (!this._write(conn, send.text)) return;
      this._queue.shift();
      this._inflight.set(send.ref, send);
    }
  }

  _write(conn, text) {
    if (conn.closing || conn.ws.readyState !== WS_OPEN) return false;
    try {
      conn.ws.send(text);
      return true;
    } catch (e) {
      return false;
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Events

  _setState(state) {
    if (this._state === state) return;
    this._state = state;
    this._emit('state', state);
  }

  _emit(event, payload) {
    const set = this._listeners.get(event);
    if (!set || set.size === 0) return;
    for (const listener of [...set]) {
      try {
        listener(payload);
      } catch (e) {
        // A listener's failure must not break the client; report it as an uncaught error.
        queueMicrotask(() => { throw e; });
      }
    }
  }
}

// -----------------------------------------------------------------------------------------------
// Helpers

function closedError() {
  return new LobbyError('closed', 'the client is closed');
}

/** @returns {{promise: Promise<any>, resolve: (value: any) => void, reject: (error: unknown) => void}} */
function deferred() {
  /** @type {(value: any) => void} */
  let resolve = () => {};
  /** @type {(error: unknown) => void} */
  let reject = () => {};
  const promise = new Promise((res, rej) => { resolve = res; reject = rej; });
  // connect() may be called and never awaited: its rejection is not an unhandled one.
  promise.catch(() => {});
  return { promise, resolve, reject };
}

function positive(value, fallback, name) {
  if (value === undefined || value === null) return fallback;
  if (typeof value !== 'number' || !(value > 0) || !Number.isFinite(value)) throw new TypeError('LobbyClient: ' + name + ' must be a positive number');
  return value;
}

function count(value, fallback, name, min) {
  if (value === undefined || value === null) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min) throw new TypeError('LobbyClient: ' + name + ' must be an integer of at least ' + min);
  return value;
}

function randomId() {
  const bytes = new Uint8Array(6);
  if (globalThis.crypto && typeof globalThis.crypto.getRandomValues === 'function') {
    globalThis.crypto.getRandomValues(bytes);
  } else {
    for (let i = 0; i < bytes.length; i++) bytes[i] = Math.floor(Math.random() * 256);
  }
  return Array.from(bytes, (b) => b.toString(36).padStart(2, '0')).join('');
}

/** The `exp` of a JWT, in milliseconds, or null when the token is no JWT or has none. */
export function jwtExpiry(token) {
  if (typeof token !== 'string') return null;
  const parts = token.split('.');
  if (parts.length !== 3) return null;
  try {
    let b64 = parts[1].replace(/-/g, '+').replace(/_/g, '/');
    while (b64.length % 4 !== 0) b64 += '=';
    const binary = atob(b64);
    const bytes = Uint8Array.from(binary, (c) => c.charCodeAt(0));
    const claims = JSON.parse(new TextDecoder().decode(bytes));
    return claims && typeof claims.exp === 'number' && Number.isFinite(claims.exp) ? claims.exp * 1000 : null;
  } catch (e) {
    return null;
  }
}
