/**
 * The adapter that holds an express-session store to coatcheck's store contract: patch, refresh,
 * rotate and remove built from `get`/`set`/`destroy` under one per-session lock, and what the
 * store returns checked by the record decoder. Past 300 lines because every method shares that
 * lock: kept in one module, the lock discipline (which is what keeps a logout from being undone
 * on these stores) can be read in one place.
 *
 * @module
 */
import type { EventEmitter } from 'node:events';
import { SessionRecordError, StoreError, type StoreOperation, StoreUnsupportedError } from '../errors.js';
import { KeyedLock } from '../lib/keyed-lock.js';
import { RotationTrail } from '../lib/rotation-trail.js';
import {
  applyPatch,
  type CookieJSON,
  type SessionPatch,
  type SessionRecord,
  type SessionStore,
} from './contract.js';
import { decodeData, decodeRecord, parseStoredJSON, skipDamaged } from './record.js';
import { CONNECT_META_KEY, type ConnectSession, connectExpiry } from './store.js';

type Callback<T> = (err?: unknown, value?: T) => void;
// Published stores type their callbacks every which way (express-session's types use Date for
// cookie.expires, others use any); accept them all and check values at run time instead.
// biome-ignore lint/suspicious/noExplicitAny: see above
type AnyCallback = (...args: any[]) => void;

/**
 * A store written for express-session ("connect store"): callbacks, whole-session writes.
 * Only `get`, `set` and `destroy` are required.
 */
export interface ConnectStore extends Partial<EventEmitter> {
  get(sid: string, callback: AnyCallback): unknown;
  // biome-ignore lint/suspicious/noExplicitAny: express-session's own types use a class here
  set(sid: string, sess: any, callback: AnyCallback): unknown;
  destroy(sid: string, callback: AnyCallback): unknown;
  // biome-ignore lint/suspicious/noExplicitAny: as for set
  touch?(sid: string, sess: any, callback: AnyCallback): unknown;
  all?(callback: AnyCallback): unknown;
  length?(callback: AnyCallback): unknown;
  clear?(callback: AnyCallback): unknown;
}

function isNotFound(err: unknown): boolean {
  return err !== null && typeof err === 'object' && (err as { code?: unknown }).code === 'ENOENT';
}

/** True when `value` has the three methods every express-session store has. */
export function isConnectStore(value: unknown): value is ConnectStore {
  if (value === null || typeof value !== 'object') return false;
  const candidate = value as Partial<ConnectStore>;
  return (
    typeof candidate.get === 'function' &&
    typeof candidate.set === 'function' &&
    typeof candidate.destroy === 'function'
  );
}

export { CONNECT_META_KEY };

/** Options of {@link ConnectStoreAdapter} and {@link fromConnectStore}. */
export interface ConnectStoreAdapterOptions {
  /**
   * How long the store's optional `all()` and `length()` may take to call back, in milliseconds,
   * before listing is reported unsupported (`StoreUnsupportedError`, `ERR_STORE_UNSUPPORTED`). Once
   * a call has gone unanswered that long, later scans fail at once without calling the store again,
   * until the late answer arrives (a slow store, not a silent one). Default 3000: below
   * `session()`'s `storeTimeout` of 5000, so the typed error is the one the application sees.
   */
  scanTimeout?: number;
  /**
   * The store's `touch()` moves the expiry its `get()` reads back, so a refresh can be a `touch()`
   * rather than a whole-session `set()`. True of coatcheck's own stores (their `touch()` is a
   * `refresh`); not of most connect stores, whose `touch()` moves only their TTL (connect-redis,
   * connect-pg-simple). Default `false`.
   */
  touchMovesExpiry?: boolean;
}

/** See {@link ConnectStoreAdapterOptions.scanTimeout}. */
export const DEFAULT_SCAN_TIMEOUT = 3000;

interface ConnectMeta {
  /** created */
  c: number;
  /** touched */
  t: number;
  /** expires */
  e: number;
  /** user */
  u?: string;
  /**
   * The session cookie's own `expires` (ISO text or null). What the connect store is handed as
   * `cookie.expires` is the record's expiry instead, since that is what it derives its TTL from.
   */
  x?: string | null;
}

function isMeta(value: unknown): value is ConnectMeta {
  if (value === null || typeof value !== 'object') return false;
  const meta = value as Partial<ConnectMeta>;
  return typeof meta.c === 'number' && typeof meta.t === 'number' && typeof meta.e === 'number';
}

/**
 * Lets coatcheck use any express-session store. What such a store cannot do is left out, and the
 * middleware falls back accordingly:
 *
 * - `patch`, `refresh` and `rotate` are a read then a whole-session `set`, run one at a time per
 *   session ID in this process together with `remove` (a per-session lock): within one process a
 *   logout always wins over a slower save, refresh or rotate, and concurrent saves keep each other's
 *   keys. Processes sharing the store can still interleave between the read and the write;
 * - every `set` hands the store a cookie whose `expires` and `maxAge` are the record's expiry, as
 *   express-session's own session would carry them, so the store's TTL follows activity;
 * - `listByUser`/`removeByUser` and `ids`/`entries` only when the store has `all()` (they scan). A
 *   store whose `all()` never calls back (connect-mongodb-session 5 on the mongodb driver 6) makes
 *   them fail with `StoreUnsupportedError` after `scanTimeout`, and at once from then on.
 *
 * @example
 * ```ts
 * import { RedisStore } from 'connect-redis';
 * app.use(session({ secret, store: new RedisStore({ client }) })); // adapted automatically
 * ```
 */
export class ConnectStoreAdapter implements SessionStore {
  readonly name: string;
  readonly connectStore: ConnectStore;
  /** One read-then-write or delete of a session at a time, in this process. */
  readonly #lock = new KeyedLock();
  /** The forwards this adapter's rotations leave, in this process only (see remove). */
  readonly #forwards = new RotationTrail();
  readonly #scanTimeout: number;
  readonly #touchMovesExpiry: boolean;
  /** The store's optional methods with a call still unanswered after `scanTimeout`. */
  readonly #unanswered = new Set<'all' | 'length'>();
  ids?: SessionStore['ids'];
  entries?: SessionStore['entries'];
  count?: SessionStore['count'];
  purge?: SessionStore['purge'];
  listByUser?: SessionStore['listByUser'];
  removeByUser?: SessionStore['removeByUser'];

  constructor(store: ConnectStore, name?: string, options: ConnectStoreAdapterOptions = {}) {
    if (!isConnectStore(store)) throw new TypeError('store must have get, set and destroy methods');
    const scanTimeout = options.scanTimeout ?? DEFAULT_SCAN_TIMEOUT;
    if (typeof scanTimeout !== 'number' || !Number.isFinite(scanTimeout) || scanTimeout <= 0) {
      throw new TypeError('connect store option scanTimeout must be a positive number of milliseconds');
    }
    this.#scanTimeout = scanTimeout;
    this.#touchMovesExpiry = options.touchMovesExpiry === true && typeof store.touch === 'function';
    this.connectStore = store;
    this.name =
      name ??
      (store.constructor?.name && store.constructor.name !== 'Object' ? store.constructor.name : 'connect');
    if (typeof store.all === 'function') {
      this.entries = () => this.#entries('entries');
      this.ids = async () => (await this.#entries('ids')).map(([id]) => id);
      this.listByUser = async (user) =>
        (await this.#entries('listByUser')).filter(([, r]) => r.user === user);
      this.removeByUser = (user, exceptId) => this.#removeByUser(user, exceptId);
    }
    if (typeof store.length === 'function' || typeof store.all === 'function') {
      this.count = () => this.#count();
    }
    if (typeof store.clear === 'function') {
      this.purge = () => this.#call<unknown>('purge', (cb) => store.clear?.(cb)).then(() => undefined);
    }
  }

  #call<T>(operation: StoreOperation, run: (callback: Callback<T>) => unknown): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const callback: Callback<T> = (err, value) => {
        if (err) reject(new StoreError(this.name, operation, { cause: err }));
        else resolve(value as T);
      };
      try {
        run(callback);
      } catch (err) {
        reject(new StoreError(this.name, operation, { cause: err }));
      }
    });
  }

  /**
   * A call of the store's optional `all()` or `length()`, which a store may never answer: after
   * `scanTimeout` it fails with StoreUnsupportedError, and so does every later call until the
   * store's answer turns up.
   */
  #scan<T>(
    operation: StoreOperation,
    method: 'all' | 'length',
    run: (callback: Callback<T>) => unknown,
  ): Promise<T> {
    if (this.#unanswered.has(method)) {
      return Promise.reject(new StoreUnsupportedError(this.name, operation, method, this.#scanTimeout));
    }
    return new Promise<T>((resolve, reject) => {
      let late = false;
      const timer = setTimeout(() => {
        late = true;
        this.#unanswered.add(method);
        reject(new StoreUnsupportedError(this.name, operation, method, this.#scanTimeout));
      }, this.#scanTimeout);
      const callback: Callback<T> = (err, value) => {
        if (late) {
          // Slow, not silent: scans are tried again.
          this.#unanswered.delete(method);
          return;
        }
        clearTimeout(timer);
        if (err) reject(new StoreError(this.name, operation, { cause: err }));
        else resolve(value as T);
      };
      try {
        run(callback);
      } catch (err) {
        clearTimeout(timer);
        reject(new StoreError(this.name, operation, { cause: err }));
      }
    });
  }

  #toRecord(sess: ConnectSession | null | undefined, now: number): SessionRecord | undefined {
    if (sess === null || sess === undefined) return undefined;
    // What the connect store returned is checked as any store's records are (decodeRecord below).
    const { [CONNECT_META_KEY]: meta, ...data } = decodeData(this.name, sess);
    let record: SessionRecord;
    if (isMeta(meta)) {
      record = { data, expires: meta.e, created: meta.c, touched: meta.t, user: meta.u };
      const cookie = data.cookie;
      if (cookie !== null && typeof cookie === 'object' && !Array.isArray(cookie)) {
        // Undo what #toConnect handed the store for its TTL: the cookie as the session had it.
        const { maxAge: _maxAge, ...own } = cookie as CookieJSON & { maxAge?: unknown };
        if (meta.x !== undefined) own.expires = meta.x;
        data.cookie = own;
      }
    } else {
      // Written by express-session itself: no creation time is known, so it starts now.
      record = { data, expires: connectExpiry(sess, now), created: now, touched: now };
    }
    const checked = decodeRecord(this.name, record);
    return checked.expires > now ? checked : undefined;
  }

  #toConnect(record: SessionRecord, now = Date.now()): ConnectSession {
    const meta: ConnectMeta = { c: record.created, t: record.touched, e: record.expires };
    if (record.user !== undefined) meta.u = record.user;
    const data: ConnectSession = { ...record.data, [CONNECT_META_KEY]: meta };
    const cookie = record.data.cookie;
    if (cookie !== null && typeof cookie === 'object' && Number.isFinite(record.expires)) {
      // Connect stores derive their TTL from cookie.expires (connect-redis, connect-pg-simple,
      // express-mysql-session) or cookie.maxAge (memorystore), as express-session's live Cookie
      // gives them: hand them the record's expiry, so the store keeps the session exactly as long.
      meta.x = cookie.expires ?? null;
      data.cookie = {
        ...cookie,
        expires: new Date(record.expires).toISOString(),
        maxAge: Math.max(0, record.expires - now),
      } as CookieJSON;
    }
    return data;
  }

  async #get(id: string): Promise<SessionRecord | undefined> {
    const sess = await this.#call<ConnectSession | null | undefined>('read', (cb) =>
      this.connectStore.get(id, (err: unknown, value?: ConnectSession | null) =>
        // express-session's convention, which file-based stores follow: ENOENT is "no such session".
        isNotFound(err) ? cb(null, undefined) : cb(err, value),
      ),
    ).catch((err: StoreError) => {
      // A store that parses JSON itself (connect-redis, connect-pg-simple's text mode) fails on a
      // record that is not JSON: that is a damaged record, not an outage.
      throw err.cause instanceof SyntaxError ? new SessionRecordError(this.name, 'data') : err;
    });
    // Connect stores may hand out their live object (express-session's MemoryStore does not, others
    // do): copy, so callers can mutate what they get.
    const copy =
      sess && typeof sess === 'object' ? (JSON.parse(JSON.stringify(sess)) as ConnectSession) : sess;
    return this.#toRecord(copy, Date.now());
  }

  async #set(id: string, record: SessionRecord, operation: StoreOperation = 'write'): Promise<void> {
    const sess = this.#toConnect(record);
    await this.#call(operation, (cb) => this.connectStore.set(id, sess, cb));
  }

  async #destroy(id: string, operation: StoreOperation = 'remove'): Promise<void> {
    await this.#call(operation, (cb) => this.connectStore.destroy(id, cb));
  }

  read(id: string): Promise<SessionRecord | undefined> {
    return this.#get(id);
  }

  write(id: string, record: SessionRecord): Promise<void> {
    return this.#lock.run(id, () => this.#set(id, record));
  }

  /**
   * Takes the per-session lock, so a save, refresh or rotate in flight cannot bring the session
   * back, and removes what this adapter rotated the session to (store contract, rule 8; a connect
   * store has nowhere to keep a forward that other processes would see).
   */
  remove(id: string): Promise<void> {
    return this.#lock.run(id, async () => {
      await this.#destroy(id);
      // The locks are taken old ID first, as rotate takes them, so the two cannot deadlock.
      for (const next of this.#forwards.take(id)) await this.#lock.run(next, () => this.#destroy(next));
    });
  }

  /** A read, merge and whole-session write under the per-session lock (see the class notes). */
  patch(id: string, patch: SessionPatch): Promise<boolean> {
    return this.#lock.run(id, async () => {
      const record = await this.#get(id);
      if (!record) return false;
      applyPatch(record.data, patch);
      record.expires = patch.expires;
      record.touched = patch.touched;
      if (patch.user !== undefined) record.user = patch.user ?? undefined;
      await this.#set(id, record, 'patch');
      return true;
    });
  }

  /**
   * A whole-session write with the new expiry, under the per-session lock; the store's `touch()`
   * instead with `touchMovesExpiry`. Not the connect store's `touch()` otherwise: most move only their TTL there (connect-redis, connect-pg-simple), leaving stale the
   * bookkeeping coatcheck keeps inside the session; a `set` moves the TTL the same way, from the
   * cookie #toConnect hands it.
   */
  refresh(id: string, expires: number, touched: number, cookie?: CookieJSON): Promise<boolean> {
    return this.#lock.run(id, async () => {
      const record = await this.#get(id);
      if (!record) return false;
      record.expires = expires;
      record.touched = touched;
      if (cookie !== undefined) record.data.cookie = cookie;
      if (this.#touchMovesExpiry) {
        const sess = this.#toConnect(record);
        await this.#call('refresh', (cb) => this.connectStore.touch?.(id, sess, cb));
      } else {
        await this.#set(id, record, 'refresh');
      }
      return true;
    });
  }

  /**
   * Under the old ID's lock: re-reads the old session, writes the new one, destroys the old. A
   * `remove` of the old ID in this process waits for it, and one that came first makes it fail. Another
   * process's logout can still land between the re-read and the destroy (documented).
   */
  rotate(oldId: string, newId: string, record: SessionRecord): Promise<boolean> {
    return this.#lock.run(oldId, async () => {
      if (!(await this.#get(oldId))) return false;
      await this.#lock.run(newId, () => this.#set(newId, record, 'rotate'));
      await this.#destroy(oldId, 'rotate');
      this.#forwards.note(oldId, newId);
      return true;
    });
  }

  async #entries(operation: StoreOperation): Promise<Array<[string, SessionRecord]>> {
    const all = await this.#scan<ConnectSession[] | Record<string, ConnectSession> | null>(
      operation,
      'all',
      (cb) => this.connectStore.all?.(cb),
    );
    const now = Date.now();
    const pairs: Array<[string, unknown]> = Array.isArray(all)
      ? all.map((sess) => [String((sess as { id?: unknown } | null)?.id ?? ''), sess])
      : Object.entries(all ?? {});
    const out: Array<[string, SessionRecord]> = [];
    for (const [id, value] of pairs) {
      if (!id) continue;
      // A damaged session is left out of the listing, as every store leaves it out.
      const record = skipDamaged(() => {
        const sess = typeof value === 'string' ? parseStoredJSON(this.name, 'data', value) : value;
        if (sess === null || typeof sess !== 'object') return this.#toRecord(sess as null, now);
        const copy = JSON.parse(JSON.stringify(sess)) as ConnectSession & { id?: unknown };
        if (Array.isArray(all)) delete copy.id;
        return this.#toRecord(copy, now);
      });
      if (record) out.push([id, record]);
    }
    return out;
  }

  async #count(): Promise<number> {
    // entries() applies coatcheck's own expiry; a connect store's length() only knows the cookie's.
    if (typeof this.connectStore.all === 'function') return (await this.#entries('count')).length;
    return this.#scan<number>('count', 'length', (cb) => this.connectStore.length?.(cb));
  }

  /**
   * Scans and removes until a scan finds none of the user's sessions: a rotate in flight writes its
   * new ID before it destroys the old one, so a scan that missed the new ID found the old one, and
   * the next scan (after the rotate, which waited for this remove's lock or beat it) finds the new.
   */
  async #removeByUser(user: string, exceptId?: string): Promise<number> {
    let removed = 0;
    for (let pass = 0; pass < MAX_REMOVE_PASSES; pass++) {
      const mine = (await this.#entries('removeByUser')).filter(
        ([id, r]) => r.user === user && id !== exceptId,
      );
      if (mine.length === 0) break;
      for (const [id] of mine) await this.remove(id);
      removed += mine.length;
    }
    return removed;
  }
}

/** Scans of {@link ConnectStoreAdapter.removeByUser} before it stops chasing new logins. */
const MAX_REMOVE_PASSES = 5;

/**
 * Wraps an express-session store for coatcheck. `session()` does this itself for a store it is given;
 * call it to name the store in errors or to set {@link ConnectStoreAdapterOptions.scanTimeout}.
 *
 * @example
 * ```ts
 * const store = fromConnectStore(new RedisStore({ client }), 'connect-redis', { scanTimeout: 10_000 });
 * app.use(session({ secret, store, storeTimeout: 15_000 }));
 * ```
 */
export function fromConnectStore(
  store: ConnectStore,
  name?: string,
  options?: ConnectStoreAdapterOptions,
): SessionStore {
  return new ConnectStoreAdapter(store, name, options);
}
