// A promise settled from outside: the one connect() returns until the first welcome.

/**
 * A promise with its resolve and reject; its rejection is never an unhandled one (connect() may
 * be called and never awaited).
 * @returns {{promise: Promise<any>, resolve: (value: any) => void, reject: (error: unknown) => void}}
 */
export function deferred() {
  /** @type {(value: any) => void} */
  let resolve = () => {};
  /** @type {(error: unknown) => void} */
  let reject = () => {};
  const promise = new Promise((res, rej) => { resolve = res; reject = rej; });
  promise.catch(() => {});
  return { promise, resolve, reject };
}
