import type { EventEmitter } from 'node:events';
import { StoreError, type StoreOperation } from '../errors.js';
import type { SessionRecord, SessionStore, StoredData } from './contract.js';
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

interface ConnectMeta {
  /** created */
  c: number;
  /** touched */
  t: number;
  /** expires */
  e: number;
  /** user */
  u?: string;
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
 * - no `patch`: the middleware re-reads the session when it saves and writes it back with this
 *   request's changes, which narrows but does not close the window in which two concurrent requests
 *   can overwrite each other's keys, or a slow request can bring back a session destroyed meanwhile;
 * - `listByUser`/`removeByUser` and `ids`/`entries` only when the store has `all()` (they scan).
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
  refresh?: SessionStore['refresh'];
  ids?: SessionStore['ids'];
  entries?: SessionStore['entries'];
  count?: SessionStore['count'];
  purge?: SessionStore['purge'];
  listByUser?: SessionStore['listByUser'];
  removeByUser?: SessionStore['removeByUser'];

  constructor(store: ConnectStore, name?: string) {
    if (!isConnectStore(store)) throw new TypeError('store must have get, set and destroy methods');
    this.connectStore = store;
    this.name =
      name ??
      (store.constructor?.name && store.constructor.name !== 'Object' ? store.constructor.name : 'connect');
    this.refresh = (id, expires, touched) => this.#refresh(id, expires, touched);
    if (typeof store.all === 'function') {
      this.entries = () => this.#entries();
      this.ids = async () => (await this.#entries()).map(([id]) => id);
      this.listByUser = async (user) => (await this.#entries()).filter(([, r]) => r.user === user);
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

  #toRecord(sess: ConnectSession | null | undefined, now: number): SessionRecord | undefined {
    if (sess === null || typeof sess !== 'object') return undefined;
    const { [CONNECT_META_KEY]: meta, ...data } = sess as StoredData;
    const record: SessionRecord = isMeta(meta)
      ? { data, expires: meta.e, created: meta.c, touched: meta.t, user: meta.u }
      : // Written by express-session itself: no creation time is known, so it starts now.
        { data, expires: connectExpiry(sess, now), created: now, touched: now };
    return record.expires > now ? record : undefined;
  }

  #toConnect(record: SessionRecord): ConnectSession {
    const meta: ConnectMeta = { c: record.created, t: record.touched, e: record.expires };
    if (record.user !== undefined) meta.u = record.user;
    return { ...record.data, [CONNECT_META_KEY]: meta };
  }

  async read(id: string): Promise<SessionRecord | undefined> {
    const sess = await this.#call<ConnectSession | null | undefined>('read', (cb) =>
      this.connectStore.get(id, (err: unknown, value?: ConnectSession | null) =>
        // express-session's convention, which file-based stores follow: ENOENT is "no such session".
        isNotFound(err) ? cb(null, undefined) : cb(err, value),
      ),
    );
    // Connect stores may hand out their live object (express-session's MemoryStore does not, others
    // do): copy, so callers can mutate what they get.
    const copy = sess ? (JSON.parse(JSON.stringify(sess)) as ConnectSession) : sess;
    return this.#toRecord(copy, Date.now());
  }

  async write(id: string, record: SessionRecord): Promise<void> {
    const sess = this.#toConnect(record);
    await this.#call('write', (cb) => this.connectStore.set(id, sess, cb));
  }

  async remove(id: string): Promise<void> {
    await this.#call('remove', (cb) => this.connectStore.destroy(id, cb));
  }

  async #refresh(id: string, expires: number, touched: number): Promise<boolean> {
    const record = await this.read(id);
    if (!record) return false;
    record.expires = expires;
    record.touched = touched;
    // Not the store's touch(): connect stores' touch only moves the TTL and keeps the old bookkeeping.
    await this.write(id, record);
    return true;
  }

  async #entries(): Promise<Array<[string, SessionRecord]>> {
    const all = await this.#call<ConnectSession[] | Record<string, ConnectSession> | null>('entries', (cb) =>
      this.connectStore.all?.(cb),
    );
    const now = Date.now();
    const pairs: Array<[string, unknown]> = Array.isArray(all)
      ? all.map((sess) => [String((sess as { id?: unknown }).id ?? ''), sess])
      : Object.entries(all ?? {});
    const out: Array<[string, SessionRecord]> = [];
    for (const [id, value] of pairs) {
      if (!id) continue;
      const sess =
        typeof value === 'string' ? (JSON.parse(value) as ConnectSession) : (value as ConnectSession);
      const copy = JSON.parse(JSON.stringify(sess)) as ConnectSession & { id?: unknown };
      if (Array.isArray(all)) delete copy.id;
      const record = this.#toRecord(copy, now);
      if (record) out.push([id, record]);
    }
    return out;
  }

  async #count(): Promise<number> {
    // entries() applies coatcheck's own expiry; a connect store's length() only knows the cookie's.
    if (typeof this.connectStore.all === 'function') return (await this.#entries()).length;
    return this.#call<number>('count', (cb) => this.connectStore.length?.(cb));
  }

  async #removeByUser(user: string, exceptId?: string): Promise<number> {
    const mine = (await this.#entries()).filter(([id, r]) => r.user === user && id !== exceptId);
    for (const [id] of mine) await this.remove(id);
    return mine.length;
  }
}

/** Wraps a connect store for coatcheck; a coatcheck store is returned as it is. */
export function fromConnectStore(store: ConnectStore, name?: string): SessionStore {
  return new ConnectStoreAdapter(store, name);
}
