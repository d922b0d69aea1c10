// What a closed connection or a refused upgrade means for the client: the close codes and HTTP
// statuses of README "Close codes and refusals".

import { LobbyError } from './errors.js';

/**
 * Whether a closed connection ends the client (and with which error), and if not, whether to
 * retry at once.
 * @param {number} code the close code
 * @param {number|null} status the HTTP status of a refused upgrade, when the WebSocket told it
 * @param {boolean} canGetToken whether there is a getToken to ask for a new token
 * @returns {{final: true, error: LobbyError} | {final: false, immediate: boolean}}
 */
export function classifyClose(code, status, canGetToken) {
  if (code === 4002) {
    return { final: true, error: new LobbyError('session_resumed', 'the session was resumed on another connection (close 4002)', { closeCode: 4002 }) };
  }
  if (code === 4001) {
    if (canGetToken) return { final: false, immediate: true };
    return { final: true, error: new LobbyError('token_expired', 'the token expired (close 4001) and there is no getToken to ask for another', { closeCode: 4001 }) };
  }
  if (status !== null) {
    if (status === 401) {
      if (canGetToken) return { final: false, immediate: false };
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
