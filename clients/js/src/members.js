// members() requests: each waits for the members frame answering the request it sent, and is
// asked again on the next connection when the answer was lost with the last one.

const MEMBERS = '{"type":"members"}';

/** The members() calls waiting for their answer, in order. */
export class MembersRequests {
  constructor() {
    /** @type {{resolve: (frame: object) => void, reject: (error: unknown) => void, sentOn: object|null}[]} */
    this._waiters = [];
  }

  /**
   * A members() call: asks on `conn` when there is a welcomed one now, otherwise after the next
   * welcome (see sendAll()).
   * @param {{welcomed: boolean}|null} conn the current connection
   * @param {(conn: any, text: string) => boolean} write
   * @returns {Promise<object>}
   */
  add(conn, write) {
    return new Promise((resolve, reject) => {
      const waiter = { resolve, reject, sentOn: null };
      this._waiters.push(waiter);
      if (conn && conn.welcomed && write(conn, MEMBERS)) waiter.sentOn = conn;
    });
  }

  /**
   * A welcome: asks on `conn` for every call not asked there yet.
   * @param {object} conn
   * @param {(conn: any, text: string) => boolean} write
   */
  sendAll(conn, write) {
    for (const w of this._waiters) {
      if (w.sentOn !== conn && write(conn, MEMBERS)) w.sentOn = conn;
    }
  }

  /**
   * A members frame arrived on `conn`: it answers the oldest call asked there, if any.
   * @param {object} conn
   * @returns {{resolve: (frame: object) => void}|undefined} the call answered, to resolve
   */
  answered(conn) {
    const i = this._waiters.findIndex((w) => w.sentOn === conn);
    return i >= 0 ? this._waiters.splice(i, 1)[0] : undefined;
  }

  /**
   * `conn` was lost: the calls asked there are asked again on the next one.
   * @param {object} conn
   */
  lost(conn) {
    for (const w of this._waiters) if (w.sentOn === conn) w.sentOn = null;
  }

  /**
   * The client stops: every call is rejected.
   * @param {unknown} error
   */
  rejectAll(error) {
    const waiters = this._waiters.splice(0);
    for (const w of waiters) w.reject(error);
  }
}
