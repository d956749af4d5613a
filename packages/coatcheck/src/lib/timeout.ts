import { SessionRecordError, StoreError, type StoreOperation, StoreTimeoutError } from '../errors.js';

interface Pending {
  deadline: number;
  fail: () => void;
}

// One sweeping timer for every pending store call, instead of a timer per call: a request makes one
// or two store calls, and arming and clearing a timer each time costs more than the call to an
// in-process store. Deadlines are met within SWEEP_INTERVAL.
const SWEEP_INTERVAL = 25;
const pending = new Set<Pending>();
let sweeper: NodeJS.Timeout | undefined;

function sweep(): void {
  const now = Date.now();
  for (const call of pending) {
    if (call.deadline <= now) {
      pending.delete(call);
      call.fail();
    }
  }
  if (pending.size === 0 && sweeper) {
    clearInterval(sweeper);
    sweeper = undefined;
  }
}

/**
 * Wraps a store error as {@link storeCall} does. A {@link SessionRecordError} passes as it is: the
 * store answered, with a record it could not read, which the session middleware handles itself.
 */
export function asStoreError(
  store: string,
  operation: StoreOperation,
  err: unknown,
): StoreError | SessionRecordError {
  return err instanceof StoreError || err instanceof SessionRecordError
    ? err
    : new StoreError(store, operation, { cause: err });
}

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
    return Promise.reject(asStoreError(store, operation, err));
  }
  return new Promise<T>((resolve, reject) => {
    const call: Pending = {
      deadline: Date.now() + timeout,
      fail: () => reject(new StoreTimeoutError(store, operation, timeout)),
    };
    pending.add(call);
    if (!sweeper) {
      sweeper = setInterval(sweep, Math.min(SWEEP_INTERVAL, timeout));
      // A number on runtimes without Node's timers (workerd), where nothing keeps a process alive anyway.
      (sweeper as { unref?: () => void }).unref?.();
    }
    promise.then(
      (value) => {
        pending.delete(call);
        resolve(value);
      },
      (err: unknown) => {
        pending.delete(call);
        reject(asStoreError(store, operation, err));
      },
    );
  });
}
