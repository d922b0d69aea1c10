// The errors of the client: LobbyError, with a machine-readable code (README: Errors).

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

/** The error of whatever is asked of a closed client. */
export function closedError() {
  return new LobbyError('closed', 'the client is closed');
}
