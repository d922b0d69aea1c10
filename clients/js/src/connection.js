// One connection attempt: its URL (token, since + epoch, resume + key), its WebSocket, the
// frames it receives, its timers (welcome, idle) and its ending.

/** The subprotocol of Lobby's JSON mode. */
export const SUBPROTOCOL = 'lobby.v1.json';

const WS_OPEN = 1;

/**
 * The URL of a connection to a room: the base URL, the room as the last path segment, and the
 * query of the attempt.
 * @param {URL} baseUrl
 * @param {string} room
 * @param {{token: string|null, since: {since: number, epoch: string}|null, resume: {id: string, key: string}|null}} query
 * @returns {string}
 */
export function connectionUrl(baseUrl, room, { token, since, resume }) {
  const query = [];
  if (token !== null) query.push('token=' + encodeURIComponent(token));
  if (since !== null) query.push('since=' + since.since, 'epoch=' + encodeURIComponent(since.epoch));
  if (resume !== null) query.push('resume=' + encodeURIComponent(resume.id), 'key=' + encodeURIComponent(resume.key));
  const url = new URL(baseUrl.href);
  url.pathname = url.pathname.replace(/\/+$/, '') + '/' + room;
  url.hash = '';
  if (query.length > 0) url.search = (url.search.length > 1 ? url.search.slice(1) + '&' : '') + query.join('&');
  return url.href;
}

/**
 * @typedef {object} ConnectionEvents
 * @property {() => boolean} current whether this is still the client's connection (the events of
 *   one that is not are ignored)
 * @property {(frame: object) => void} frame a frame (a JSON object) arrived
 * @property {(code: number, reason: string) => void} close the WebSocket closed
 * @property {(reason: string) => void} giveUp no welcome in time, or nothing received for too
 *   long: the client should drop the connection
 */

/** One WebSocket of the client, and what is known of it. */
export class Connection {
  /**
   * @param {{token: string|null, since: number|null, sinceEpoch: string|null, askedResume: boolean}} attempt
   *   what the attempt asked for: the token, the history from `since` in `sinceEpoch`, a resume
   */
  constructor({ token, since, sinceEpoch, askedResume }) {
    this.ws = null;
    this.token = token;
    this.since = since;
    this.sinceEpoch = sinceEpoch;
    this.askedResume = askedResume;
    this.opened = false;
    this.welcomed = false;
    this.closing = false;
    /** @type {number|null} the HTTP status of a refused upgrade, when the WebSocket tells it */
    this.status = null;
    this.errorMessage = null;
    this.connectTimer = null;
    this.idleTimer = null;
  }

  /**
   * Opens the WebSocket; throws what its constructor throws.
   * @param {any} WebSocketCtor
   * @param {string} href
   * @param {{connectTimeoutMs: number, idleTimeoutMs: number}} timeouts no welcome within
   *   connectTimeoutMs, or nothing received for idleTimeoutMs, gives the connection up (0: never)
   * @param {ConnectionEvents} events
   */
  open(WebSocketCtor, href, { connectTimeoutMs, idleTimeoutMs }, events) {
    const ws = new WebSocketCtor(href, SUBPROTOCOL);
    this.ws = ws;
    // Something arrived on the connection: it is alive.
    const touch = () => {
      if (idleTimeoutMs <= 0) return;
      clearTimeout(this.idleTimer);
      this.idleTimer = setTimeout(() => {
        if (events.current()) events.giveUp('nothing received for ' + idleTimeoutMs + ' ms');
      }, idleTimeoutMs);
    };
    ws.onopen = () => {
      if (!events.current()) return;
      this.opened = true;
      touch();
    };
    ws.onmessage = (event) => {
      if (!events.current() || this.closing) return;
      touch();
      if (typeof event.data !== 'string') return;
      let frame;
      try {
        frame = JSON.parse(event.data);
      } catch (e) {
        return; // not a frame of this protocol
      }
      if (frame === null || typeof frame !== 'object' || Array.isArray(frame)) return;
      events.frame(frame);
    };
    ws.onerror = (event) => {
      if (!events.current()) return;
      // With the ws package a refused upgrade is an error 'Unexpected server response: <status>';
      // a browser does not say why (the close that follows has code 1006).
      const message = event && (event.message || (event.error && event.error.message));
      if (typeof message === 'string') {
        this.errorMessage = message;
        const m = /Unexpected server response: (\d{3})/.exec(message);
        if (m) this.status = Number(m[1]);
      }
    };
    ws.onclose = (event) => {
      if (events.current()) events.close(event ? event.code : 1006, event ? String(event.reason || '') : '');
    };
    if (typeof ws.on === 'function') {
      // The ws package shows the server's Pings, which tell that the connection is alive.
      try { ws.on('ping', () => { if (events.current()) touch(); }); } catch (e) { /* not ws */ }
    }
    if (connectTimeoutMs > 0) {
      this.connectTimer = setTimeout(() => {
        if (events.current() && !this.welcomed) events.giveUp('no welcome within ' + connectTimeoutMs + ' ms');
      }, connectTimeoutMs);
    }
  }

  /** Whether a frame can be written now. */
  writable() {
    return !this.closing && this.ws.readyState === WS_OPEN;
  }

  /**
   * Writes a frame; false when it could not.
   * @param {string} text
   * @returns {boolean}
   */
  write(text) {
    if (!this.writable()) return false;
    try {
      this.ws.send(text);
      return true;
    } catch (e) {
      return false;
    }
  }

  /** The welcome arrived. */
  welcomedNow() {
    this.welcomed = true;
    clearTimeout(this.connectTimer);
  }

  /** Stops the welcome and idle timers. */
  stopTimers() {
    clearTimeout(this.connectTimer);
    clearTimeout(this.idleTimer);
  }

  /** Detaches the WebSocket, so that its late events do nothing. */
  detach() {
    this.ws.onopen = this.ws.onmessage = this.ws.onclose = null;
    this.ws.onerror = () => {}; // (ws throws an 'error' nobody listens to)
  }

  /**
   * Drops the WebSocket without a Close where it allows (ws's terminate(), so the server can
   * still resume the session), with a Close 4000 otherwise.
   */
  drop() {
    try {
      if (typeof this.ws.terminate === 'function') this.ws.terminate();
      else this.ws.close(4000, 'abandoned');
    } catch (e) { /* already closed */ }
  }

  /**
   * Closes with 1000 (the session leaves its room) and calls `done` once closed, or after
   * `timeoutMs` (then dropping the WebSocket).
   * @param {number} timeoutMs
   * @param {(code: number, reason: string) => void} done
   */
  shutdown(timeoutMs, done) {
    this.stopTimers();
    this.closing = true;
    const ws = this.ws;
    let timer = null;
    const finish = (code, reason) => {
      clearTimeout(timer);
      ws.onopen = ws.onmessage = ws.onclose = null;
      done(code, reason);
    };
    ws.onopen = ws.onmessage = null;
    ws.onerror = () => {};
    ws.onclose = (event) => finish(event ? event.code : 1006, event ? String(event.reason || '') : '');
    timer = setTimeout(() => {
      try { if (typeof ws.terminate === 'function') ws.terminate(); } catch (e) { /* closed */ }
      finish(1006, 'close timeout');
    }, timeoutMs);
    try { ws.close(1000); } catch (e) { finish(1006, 'close failed'); }
  }
}
