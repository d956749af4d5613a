/** Node-style callback. */
export type Callback<T = void> = (err?: unknown, value?: T) => void;

/**
 * Promise-first with an optional callback: with a callback, the callback gets the outcome and the
 * returned promise always resolves (so nothing is left unhandled); without one, the promise carries it.
 */
export function withCallback<T>(
  promise: Promise<T>,
  callback: Callback<T> | undefined,
): Promise<T | undefined> {
  if (typeof callback !== 'function') return promise;
  return promise.then(
    (value) => {
      callback(null, value);
      return value;
    },
    (err: unknown) => {
      callback(err);
      return undefined;
    },
  );
}

/** `then` for a value that may or may not be a promise: no promise is made when there is none. */
export function andThen<T, U>(value: T | Promise<T>, next: (value: T) => U | Promise<U>): U | Promise<U> {
  return value instanceof Promise ? value.then(next) : next(value);
}
