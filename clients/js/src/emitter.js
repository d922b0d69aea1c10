// The listeners of the client's events, and their calling.

/** Listeners by event name; a listener that throws does not stop the others. */
export class Emitter {
  constructor() {
    /** @type {Map<string, Set<Function>>} */
    this._listeners = new Map();
  }

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
   * Calls the listeners of an event, in the order they were added.
   * @param {string} event
   * @param {unknown} payload
   */
  emit(event, payload) {
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
