// The options of LobbyClient: their defaults, and reading them (a TypeError for a wrong one).

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
 * Checks the options and fills in the defaults; throws a TypeError for a wrong one.
 * @param {LobbyClientOptions} options
 */
export function readOptions(options) {
  if (options === null || typeof options !== 'object') throw new TypeError('LobbyClient: options are required');
  const { url, room } = options;
  if (typeof url !== 'string' && !(typeof URL !== 'undefined' && url instanceof URL)) {
    throw new TypeError('LobbyClient: url must be a string such as ws://127.0.0.1:8081');
  }
  const baseUrl = new URL(String(url));
  if (baseUrl.protocol === 'http:') baseUrl.protocol = 'ws:';
  else if (baseUrl.protocol === 'https:') baseUrl.protocol = 'wss:';
  if (baseUrl.protocol !== 'ws:' && baseUrl.protocol !== 'wss:') {
    throw new TypeError('LobbyClient: url must start with ws://, wss://, http:// or https://');
  }
  if (typeof room !== 'string' || !ROOM_PATTERN.test(room) || room === '.' || room === '..') {
    throw new TypeError('LobbyClient: room must be 1 to 128 of A-Z a-z 0-9 - _ . ~ : (not . or ..)');
  }
  const WebSocketCtor = options.WebSocket !== undefined ? options.WebSocket : globalThis.WebSocket;
  if (typeof WebSocketCtor !== 'function') {
    throw new TypeError('LobbyClient: no WebSocket: pass one in the WebSocket option (in Node.js, the ws package)');
  }
  if (options.token !== undefined && options.token !== null && typeof options.token !== 'string') {
    throw new TypeError('LobbyClient: token must be a string');
  }
  if (options.getToken !== undefined && options.getToken !== null && typeof options.getToken !== 'function') {
    throw new TypeError('LobbyClient: getToken must be a function');
  }
  const backoff = options.backoff ?? {};
  const initialMs = positive(backoff.initialMs, DEFAULTS.backoff.initialMs, 'backoff.initialMs');
  return {
    baseUrl,
    room,
    WebSocket: WebSocketCtor,
    token: options.token ?? null,
    getToken: options.getToken ?? null,
    initialMs,
    maxMs: Math.max(initialMs, positive(backoff.maxMs, DEFAULTS.backoff.maxMs, 'backoff.maxMs')),
    maxQueued: count(options.maxQueued, DEFAULTS.maxQueued, 'maxQueued', 0),
    maxInFlight: count(options.maxInFlight, DEFAULTS.maxInFlight, 'maxInFlight', 1),
    connectTimeoutMs: count(options.connectTimeoutMs, DEFAULTS.connectTimeoutMs, 'connectTimeoutMs', 0),
    idleTimeoutMs: count(options.idleTimeoutMs, DEFAULTS.idleTimeoutMs, 'idleTimeoutMs', 0),
    closeTimeoutMs: count(options.closeTimeoutMs, DEFAULTS.closeTimeoutMs, 'closeTimeoutMs', 0),
  };
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
