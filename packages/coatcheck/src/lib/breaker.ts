import { type StoreOperation, StoreUnavailableError } from '../errors.js';
import type { SessionStore } from '../stores/contract.js';
import { isConnectionFailure } from './connection.js';

/** Options of the store circuit breaker (`session({ storeBreaker })`). */
export interface StoreBreakerOptions {
  /** Consecutive connection failures or timeouts that open the circuit. Default 5. */
  failures?: number | undefined;
  /** Milliseconds an open circuit waits before letting one call through as a probe. Default 250. */
  probeInterval?: number | undefined;
}

export const DEFAULT_BREAKER_FAILURES = 5;
export const DEFAULT_PROBE_INTERVAL = 250;

/** The deadline of a probe call, when `storeTimeout` is longer: a probe is one user's request. */
export const PROBE_TIMEOUT = 500;

/**
 * A circuit breaker in front of one store. Closed, it passes calls on; after `failures`
 * consecutive connection failures or timeouts it opens. Open, or while the store's client says it
 * is disconnected (`store.connected()`), it refuses calls at once without making them, except one
 * probe every `probeInterval` (with a deadline of at most {@link PROBE_TIMEOUT}): a probe that
 * succeeds closes the circuit, one that fails on the connection opens it again. The probe goes to
 * the store even if its client says it is down: a store that learns of its connection only from
 * calls (a pool) needs one to find out, and a client that queues commands while it reconnects
 * answers the probe as soon as it is back. Errors that are not about the connection (a record the
 * store rejects) neither count nor reset: one bad request cannot open the circuit for everyone.
 */
export class StoreBreaker {
  readonly failures: number;
  readonly probeInterval: number;
  readonly #store: SessionStore;
  #consecutive = 0;
  #open = false;
  /** No probe before this time. */
  #nextProbe = 0;
  #probing = false;

  constructor(store: SessionStore, options: StoreBreakerOptions = {}) {
    this.#store = store;
    this.failures = options.failures ?? DEFAULT_BREAKER_FAILURES;
    this.probeInterval = options.probeInterval ?? DEFAULT_PROBE_INTERVAL;
  }

  /** Whether the circuit is open (repeated failures; not whether the client is disconnected). */
  get open(): boolean {
    return this.#open;
  }

  /**
   * Runs `call` through the breaker with the deadline it should keep (`timeout`, shorter for a
   * probe); `call` must reject with a StoreError when the store fails.
   */
  run<T>(operation: StoreOperation, timeout: number, call: (timeout: number) => Promise<T>): Promise<T> {
    const disconnected = !this.#open && this.#store.connected?.() === false;
    if (!this.#open && !disconnected) {
      return call(timeout).then(
        (value) => {
          this.#consecutive = 0;
          return value;
        },
        (err: unknown) => {
          if (this.#failed(err) && ++this.#consecutive >= this.failures) this.#trip();
          throw err;
        },
      );
    }
    const now = Date.now();
    if (this.#probing || now < this.#nextProbe) {
      return Promise.reject(
        new StoreUnavailableError(this.#store.name, operation, this.#open ? 'circuit-open' : 'disconnected'),
      );
    }
    this.#probing = true;
    this.#nextProbe = now + this.probeInterval;
    return call(Math.min(timeout, PROBE_TIMEOUT)).then(
      (value) => {
        this.#probing = false;
        this.#close();
        return value;
      },
      (err: unknown) => {
        this.#probing = false;
        if (this.#failed(err)) this.#trip();
        else this.#close();
        throw err;
      },
    );
  }

  #failed(err: unknown): boolean {
    return isConnectionFailure(err) || this.#store.connected?.() === false;
  }

  #trip(): void {
    this.#open = true;
    this.#nextProbe = Math.max(this.#nextProbe, Date.now() + this.probeInterval);
  }

  #close(): void {
    this.#consecutive = 0;
    this.#open = false;
  }
}
