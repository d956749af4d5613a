import { type SessionRecordError, StoreError, type StoreOperation } from '../../errors.js';
import type { StoreBreaker } from '../../lib/breaker.js';
import type { KeyedLock } from '../../lib/keyed-lock.js';
import { RotationTrail } from '../../lib/rotation-trail.js';
import { asStoreError, storeCall } from '../../lib/timeout.js';
import {
  applyPatch,
  type CookieJSON,
  type SessionPatch,
  type SessionRecord,
  type SessionStore,
} from '../../stores/contract.js';
import { type ImmediateStoreCalls, immediateCallsOf } from '../../stores/immediate.js';
import type { SessionReporter } from '../events.js';

/** A value now, or later: immediate stores answer now, so a request on them waits on no promise. */
export type Maybe<T> = T | Promise<T>;

/**
 * The one way the engine reaches a store. Every call goes through here, so the store timeout, the
 * circuit breaker, the mapping of failures to {@link StoreError}, the `storeError` event and the
 * `onStoreError` policy are each decided once, whatever the store:
 *
 * - immediate: coatcheck's own MemoryStore, answered synchronously, no deadline (nothing can hang);
 * - local: a sealed cookie (`cookieSession()`), this request's memory: no deadline, errors as they
 *   are (a session too large for its cookie is not an outage), no event;
 * - remote: everything else, under `storeTimeout` and the breaker.
 *
 * A read may also fail with `SessionRecordError` (the store holds a record it cannot read back):
 * that is passed on as it is, for the load to answer with a fresh session.
 *
 * `json` arguments carry the session's keys as JSON text the engine already made; a store that keeps
 * text (MemoryStore) stores it as it is. It is a hint between coatcheck's parts, not store contract.
 * Stores without `patch`, `refresh` or `rotate` get them as a read-then-write under the
 * per-session lock (atomic within this process only).
 *
 * Every rotate is noted on the store's {@link RotationTrail} before it is made, and every remove
 * then removes what the session was moved to as well: a logout that loaded the session before a
 * slower request rotated it still ends it (in this process; see the store contract).
 */
export interface StoreCalls {
  readonly store: SessionStore;
  read(id: string): Maybe<SessionRecord | undefined>;
  write(id: string, record: SessionRecord, json?: ReadonlyMap<string, string>): Maybe<void>;
  patch(id: string, patch: SessionPatch, json?: ReadonlyMap<string, string>): Maybe<boolean>;
  refresh(id: string, expires: number, touched: number, cookie: CookieJSON | undefined): Maybe<boolean>;
  /** Moves `oldId` to `newId` with `record` when `oldId` is live; resolves `false`, creating nothing, else. */
  rotate(
    oldId: string,
    newId: string,
    record: SessionRecord,
    json?: ReadonlyMap<string, string>,
  ): Maybe<boolean>;
  remove(id: string): Maybe<void>;
  /** Under `onStoreError: 'continue'`, whether this failure is one the request carries on past. */
  carriesOn(err: unknown): boolean;
}

/** What the store-call path needs from the resolved options. */
export interface StoreCallPolicy {
  storeTimeout: number;
  breaker?: StoreBreaker | undefined;
  onStoreError: 'fail' | 'continue';
  wholeRecordLock: KeyedLock;
  reporter: SessionReporter;
}

/**
 * One remote store call: the deadline, the breaker, failures as StoreError. Also used by the
 * middleware's out-of-request calls (`listByUser`, `revoke`, …), which keep the same deadline.
 */
export function remoteCall<T>(
  policy: Pick<StoreCallPolicy, 'storeTimeout' | 'breaker'>,
  store: SessionStore,
  operation: StoreOperation,
  run: () => Promise<T>,
): Promise<T> {
  const { breaker, storeTimeout } = policy;
  return breaker === undefined
    ? storeCall(store.name, operation, storeTimeout, run)
    : breaker.run(operation, storeTimeout, (deadline) => storeCall(store.name, operation, deadline, run));
}

/** Whether a store is answered by {@link StoreCalls} without I/O: no deadline, no breaker. */
export function isInProcess(store: SessionStore): boolean {
  return immediateCallsOf(store) !== undefined;
}

// One StoreCalls per middleware and store: `session()` reuses its store for every request (a sealed
// cookie's store lives for one request), so the hot path allocates nothing here.
const cache = new WeakMap<StoreCallPolicy, WeakMap<SessionStore, StoreCalls>>();

/** The store-call path for `store` under `policy`; `local` for a request's own sealed cookie. */
export function storeCallsFor(policy: StoreCallPolicy, store: SessionStore, local: boolean): StoreCalls {
  // A sealed cookie's store is new on every request: caching its calls would only fill the WeakMap.
  if (local) return new PromisedCalls(policy, store, true);
  let byStore = cache.get(policy);
  if (byStore === undefined) {
    byStore = new WeakMap();
    cache.set(policy, byStore);
  }
  let calls = byStore.get(store);
  if (calls === undefined) {
    const immediate = immediateCallsOf(store);
    calls = immediate
      ? new ImmediateCalls(policy, store, immediate)
      : new PromisedCalls(policy, store, false);
    byStore.set(store, calls);
  }
  return calls;
}

function carriesOn(policy: StoreCallPolicy, local: boolean, err: unknown): boolean {
  return policy.onStoreError === 'continue' && err instanceof StoreError && !local;
}

/** MemoryStore's synchronous calls, with the errors and events of any other store. */
class ImmediateCalls implements StoreCalls {
  readonly store: SessionStore;
  readonly #policy: StoreCallPolicy;
  readonly #calls: ImmediateStoreCalls;
  readonly #trail: RotationTrail;

  constructor(policy: StoreCallPolicy, store: SessionStore, calls: ImmediateStoreCalls) {
    this.#policy = policy;
    this.store = store;
    this.#calls = calls;
    this.#trail = RotationTrail.of(store);
  }

  #now<T>(operation: StoreOperation, run: () => T): T {
    try {
      return run();
    } catch (err) {
      const error = asStoreError(this.store.name, operation, err);
      const reporter = this.#policy.reporter;
      if (error instanceof StoreError && reporter.wants('storeError')) reporter.emit('storeError', { error });
      throw error;
    }
  }

  read(id: string) {
    return this.#now('read', () => this.#calls.read(id));
  }
  write(id: string, record: SessionRecord, json?: ReadonlyMap<string, string>) {
    return this.#now('write', () => this.#calls.write(id, record, json));
  }
  patch(id: string, patch: SessionPatch, json?: ReadonlyMap<string, string>) {
    return this.#now('patch', () => this.#calls.patch(id, patch, json));
  }
  refresh(id: string, expires: number, touched: number, cookie: CookieJSON | undefined) {
    return this.#now('refresh', () => this.#calls.refresh(id, expires, touched, cookie));
  }
  rotate(oldId: string, newId: string, record: SessionRecord, json?: ReadonlyMap<string, string>) {
    this.#trail.note(oldId, newId);
    let moved = false;
    try {
      moved = this.#now('rotate', () => this.#calls.rotate(oldId, newId, record, json));
    } finally {
      if (!moved) this.#trail.drop(oldId, newId);
    }
    return moved;
  }
  remove(id: string) {
    this.#now('remove', () => this.#calls.remove(id));
    for (const next of this.#trail.take(id)) this.#now('remove', () => this.#calls.remove(next));
  }
  carriesOn(err: unknown): boolean {
    return carriesOn(this.#policy, false, err);
  }
}

/** Every store with promises: remote ones under deadline and breaker, a local one as it is. */
class PromisedCalls implements StoreCalls {
  readonly store: SessionStore;
  readonly #policy: StoreCallPolicy;
  readonly #local: boolean;
  /** Saves are read-then-write under the per-session lock, so deletes take the lock too. */
  readonly #locksWholeRecords: boolean;
  /** None for a sealed cookie: its store is this request's alone, so no other request can race it. */
  readonly #trail: RotationTrail | undefined;

  constructor(policy: StoreCallPolicy, store: SessionStore, local: boolean) {
    this.#policy = policy;
    this.store = store;
    this.#local = local;
    this.#locksWholeRecords = !local && (store.patch === undefined || store.rotate === undefined);
    this.#trail = local ? undefined : RotationTrail.of(store);
  }

  #call<T>(operation: StoreOperation, run: () => Promise<T>): Promise<T> {
    if (this.#local) return run();
    const call = remoteCall(this.#policy, this.store, operation, run);
    const reporter = this.#policy.reporter;
    if (!reporter.wants('storeError')) return call;
    // A damaged record (SessionRecordError) is the store answering, not failing: no storeError.
    return call.catch((error: StoreError | SessionRecordError) => {
      if (error instanceof StoreError) reporter.emit('storeError', { error });
      throw error;
    });
  }

  #locked<T>(id: string, task: () => Promise<T>): Promise<T> {
    return this.#policy.wholeRecordLock.run(id, task);
  }

  read(id: string): Promise<SessionRecord | undefined> {
    return this.#call('read', () => this.store.read(id));
  }

  write(id: string, record: SessionRecord): Promise<void> {
    return this.#call('write', () => this.store.write(id, record));
  }

  patch(id: string, patch: SessionPatch): Promise<boolean> {
    const store = this.store;
    if (store.patch) {
      return this.#call('patch', () => (store.patch as NonNullable<typeof store.patch>)(id, patch));
    }
    // Re-read now and write back with this request's changes, one save of a session at a time in
    // this process. Other processes' saves can still interleave (documented).
    return this.#locked(id, async () => {
      const record = await this.read(id);
      if (!record) return false;
      applyPatch(record.data, patch);
      record.expires = patch.expires;
      record.touched = patch.touched;
      if (patch.user !== undefined) record.user = patch.user ?? undefined;
      await this.write(id, record);
      return true;
    });
  }

  refresh(id: string, expires: number, touched: number, cookie: CookieJSON | undefined): Promise<boolean> {
    const store = this.store;
    if (store.refresh) {
      return this.#call('refresh', () =>
        (store.refresh as NonNullable<typeof store.refresh>)(id, expires, touched, cookie),
      );
    }
    return this.#locked(id, async () => {
      const record = await this.read(id);
      if (!record) return false;
      record.expires = expires;
      record.touched = touched;
      if (cookie !== undefined) record.data.cookie = cookie;
      await this.write(id, record);
      return true;
    });
  }

  async rotate(oldId: string, newId: string, record: SessionRecord): Promise<boolean> {
    const trail = this.#trail;
    trail?.note(oldId, newId);
    let moved = false;
    try {
      moved = await this.#rotate(oldId, newId, record);
    } finally {
      if (!moved) trail?.drop(oldId, newId);
    }
    return moved;
  }

  #rotate(oldId: string, newId: string, record: SessionRecord): Promise<boolean> {
    const store = this.store;
    if (store.rotate) {
      return this.#call('rotate', () =>
        (store.rotate as NonNullable<typeof store.rotate>)(oldId, newId, record),
      );
    }
    return this.#locked(oldId, async () => {
      if (!(await this.read(oldId))) return false;
      await this.write(newId, record);
      await this.#call('remove', () => store.remove(oldId));
      return true;
    });
  }

  /** Where saves lock the session, the delete takes the same lock, so a slower save cannot bring it back. */
  async remove(id: string): Promise<void> {
    await this.#remove(id);
    // Only after the old ID is gone: a rotate the store had not decided yet has failed by now, or
    // made the new ID, which this finds.
    for (const next of this.#trail?.take(id) ?? []) await this.#remove(next);
  }

  #remove(id: string): Promise<void> {
    const run = () => this.store.remove(id);
    return this.#call('remove', this.#locksWholeRecords ? () => this.#locked(id, run) : run);
  }

  carriesOn(err: unknown): boolean {
    return carriesOn(this.#policy, this.#local, err);
  }
}
