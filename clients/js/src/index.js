// JavaScript client of the Lobby server, JSON mode (subprotocol lobby.v1.json).
//
// Plain ES modules that import each other by relative paths only, for browsers
// (<script type="module">) and Node.js 20+ alike, without a bundler. The client keeps one session
// in one room: it reconnects with exponential backoff and full jitter, resumes the session
// (resume + key) and recovers the messages missed meanwhile (since + epoch), refreshes the token
// before it expires, holds sends while it is not connected and sends every broadcast and whisper
// with a ref, so that each one is acknowledged and, across a resumed reconnect, broadcast exactly
// once. docs: README.md of this package.
//
// This file is the public API; the modules behind it:
//   client.js       LobbyClient: the session, its connections and frames
//   options.js      DEFAULTS and the checking of the options
//   errors.js       LobbyError
//   connection.js   one connection: SUBPROTOCOL, its URL, its WebSocket and timers
//   backoff.js      delays between attempts: exponential backoff with full jitter
//   close-codes.js  what a close code or HTTP status means: retry, or stop
//   history.js      epoch and offset: since + epoch, duplicates dropped, reset reasons
//   sends.js        queued and in-flight sends, refs, resend after a resume
//   refresh.js      token refresh ahead of expiry, refresh() answers
//   jwt.js          the expiry of a JWT
//   members.js      members() requests and their answers
//   deferred.js     the promise of connect()
//   emitter.js      event listeners

export { SUBPROTOCOL } from './connection.js';
export { DEFAULTS } from './options.js';
export { LobbyError } from './errors.js';
export { LobbyClient } from './client.js';
export { jwtExpiry } from './jwt.js';
