import { StoreError, type StoreOperation, StoreTimeoutError } from '../errors.js';

/**
 * Runs one store operation with a deadline, turning whatever goes wrong (a synchronous throw, a
 * rejection that is not a StoreError, no answer in time) into a {@link StoreError}.
 */
export function storeCall<T>(
  store: string,
  operation: StoreOperation,
  timeout: number,
  run: () => Promise<T>,
): Promise<T> {
  let promise: Promise<T>;
  try {
    promise = run();
  } catch (err) {
    return Promise.reject(err instanceof StoreError ? err : new StoreError(store, operation, { cause: err }));
  }
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new StoreTimeoutError(store, operation, timeout)), timeout);
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (err: unknown) => {
        clearTimeout(timer);
        reject(err instanceof StoreError ? err : new StoreError(store, operation, { cause: err }));
      },
    );
  });
}
