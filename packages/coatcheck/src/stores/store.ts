import { EventEmitter } from 'node:events';
import type { IncomingMessage } from 'node:http';
import type { SessionRecord, SessionStore, StoredData } from './contract.js';

/**
 * Where coatcheck keeps its own bookkeeping inside a connect store's session object, since such a
 * store has nowhere else to put it. express-session ignores the key.
 */
export const CONNECT_META_KEY = '_coatcheck';

type Callback<T> = (err: unknown, value?: T) => void;

/** express-session's default lifetime for sessions whose cookie has no expiry, in milliseconds. */
export const DEFAULT_CONNECT_TTL = 24 * 60 * 60 * 1000;

/** express-session's `sess`: data plus a cookie whose `expires` is an ISO string or null. */
export type ConnectSession = StoredData;

/**
 * The base of coatcheck's stores, and the `Store` that express-session users extend.
 *
 * It is an `EventEmitter` written as a plain constructor function, so the three ways published
 * stores subclass express-session's `Store` all work with coatcheck's:
 * `class S extends Store`, `Store.call(this)` with `util.inherits(S, Store)`, and factories that
 * receive the session module and read `session.Store`.
 *
 * A subclass that implements the coatcheck contract ({@link SessionStore}: `read`, `write`,
 * `remove`, …) gets express-session's callback methods (`get`, `set`, `destroy`, `touch`, `all`,
 * `length`, `clear`, `regenerate`, `load`, `createSession`) from this prototype, so the same store
 * instance can be handed to express-session.
 *
 * @example
 * ```ts
 * import session, { Store } from 'coatcheck';
 * import expressSession from 'express-session';
 * const store = new MemoryStore();            // a Store subclass
 * app.use(expressSession({ secret, store })); // express-session uses its callback methods
 * ```
 */
export interface Store extends EventEmitter {
  /** express-session: the session with this ID, as express-session's plain object. */
  get(sid: string, callback?: Callback<ConnectSession | null>): Promise<ConnectSession | null> | undefined;
  /** express-session: stores express-session's session object. */
  set(sid: string, sess: ConnectSession, callback?: Callback<void>): Promise<void> | undefined;
  /** express-session: deletes a session. */
  destroy(sid: string, callback?: Callback<void>): Promise<void> | undefined;
  /** express-session: moves a session's expiry from its cookie. */
  touch(sid: string, sess: ConnectSession, callback?: Callback<void>): Promise<void> | undefined;
  /** express-session: every session, as an array. */
  all(callback?: Callback<ConnectSession[]>): Promise<ConnectSession[]> | undefined;
  /** express-session: the number of sessions. */
  length(callback?: Callback<number>): Promise<number> | undefined;
  /** express-session: deletes every session. */
  clear(callback?: Callback<void>): Promise<void> | undefined;
  /** express-session: destroys the request's session and generates a new one. */
  regenerate(req: ExpressSessionRequest, callback: (err?: unknown) => void): void;
  /** express-session: loads a session object by ID. */
  load(sid: string, callback: (err: unknown, session?: unknown) => void): void;
  /** express-session: turns a stored object into express-session's `Session`. */
  createSession(req: ExpressSessionRequest, sess: ConnectSession): unknown;
  /** Set by express-session on the store it is given. */
  generate?: (req: ExpressSessionRequest) => void;
}

/**
 * A request as express-session shapes it. Typed loosely on purpose: express-session's own types
 * declare these methods with Express's Request, and a store must fit them.
 */
// biome-ignore lint/suspicious/noExplicitAny: see above
type ExpressSessionRequest = any;
type ShapedRequest = IncomingMessage & {
  sessionID?: string;
  session?: { cookie?: unknown; constructor: Function } & Record<string, unknown>;
};

/** The `Store` constructor: `new`-able, subclassable, and callable as `Store.call(this)`. */
export interface StoreConstructor {
  new (options?: unknown): Store;
  (this: unknown, options?: unknown): void;
  readonly prototype: Store;
}

/** Store: see the interface of the same name. */
export const Store = function Store(this: unknown) {
  EventEmitter.call(this as EventEmitter);
} as unknown as StoreConstructor;

Object.setPrototypeOf(Store.prototype, EventEmitter.prototype);
Object.setPrototypeOf(Store, EventEmitter);

function settle<T>(promise: Promise<T>, callback: Callback<T> | undefined): Promise<T> | undefined {
  if (typeof callback !== 'function') return promise;
  promise.then(
    (value) => callback(null, value),
    (err: unknown) => callback(err),
  );
  return undefined;
}

function native(store: Store, method: string): SessionStore {
  const candidate = store as unknown as SessionStore;
  if (typeof candidate.read !== 'function') {
    throw new TypeError(
      `this store implements neither ${method}() nor the coatcheck contract (read/write/remove)`,
    );
  }
  return candidate;
}

/** The expiry express-session and connect stores derive from a session's cookie. */
export function connectExpiry(sess: ConnectSession, now = Date.now()): number {
  const expires = sess.cookie?.expires;
  const at = typeof expires === 'string' ? Date.parse(expires) : Number.NaN;
  return Number.isFinite(at) ? at : now + DEFAULT_CONNECT_TTL;
}

function toConnect(record: SessionRecord): ConnectSession {
  const data = record.data;
  if (data.cookie === undefined || data.cookie === null) {
    data.cookie = { originalMaxAge: null, expires: null, httpOnly: true, path: '/' };
  }
  return data;
}

const proto = Store.prototype as Store & Record<string, unknown>;

proto.get = function get(this: Store, sid, callback) {
  const store = native(this, 'get');
  return settle(
    store.read(sid).then((record) => (record ? toConnect(record) : null)),
    callback,
  );
};

proto.set = function set(this: Store, sid, sess, callback) {
  const store = native(this, 'set');
  const now = Date.now();
  // express-session rewrites whole sessions and knows nothing of creation times or owners, so a
  // session it writes starts its absolute timeout afresh and leaves the user index (one round trip
  // matters more here than bookkeeping express-session cannot use).
  const data = JSON.parse(JSON.stringify(sess)) as StoredData;
  // coatcheck's connect adapter, driving this store through set(), carries its bookkeeping along.
  const meta = data[CONNECT_META_KEY] as
    | { c?: unknown; t?: unknown; e?: unknown; u?: unknown; x?: unknown }
    | undefined;
  delete data[CONNECT_META_KEY];
  const known = meta !== null && typeof meta === 'object' && typeof meta.c === 'number';
  const cookie = data.cookie as (Record<string, unknown> & { expires?: unknown }) | undefined;
  if (known && cookie !== null && typeof cookie === 'object') {
    // The cookie as the session had it, before the adapter put the record's expiry in for the TTL.
    delete cookie.maxAge;
    if (meta.x === null || typeof meta.x === 'string') cookie.expires = meta.x;
  }
  const record: SessionRecord = known
    ? {
        data,
        created: meta.c as number,
        touched: typeof meta.t === 'number' ? meta.t : now,
        expires: typeof meta.e === 'number' ? meta.e : connectExpiry(sess, now),
        user: typeof meta.u === 'string' ? meta.u : undefined,
      }
    : { data, expires: connectExpiry(sess, now), created: now, touched: now };
  return settle(store.write(sid, record), callback);
};

proto.destroy = function destroy(this: Store, sid, callback) {
  return settle(native(this, 'destroy').remove(sid), callback);
};

proto.touch = function touch(this: Store, sid, sess, callback) {
  const store = native(this, 'touch');
  const now = Date.now();
  const run = async () => {
    if (store.refresh) {
      await store.refresh(sid, connectExpiry(sess, now), now);
      return;
    }
    const record = await store.read(sid);
    if (!record) return;
    record.expires = connectExpiry(sess, now);
    record.touched = now;
    await store.write(sid, record);
  };
  return settle(run(), callback);
};

proto.all = function all(this: Store, callback) {
  const store = native(this, 'all');
  const run = async () => {
    if (!store.entries) throw new TypeError(`${store.name} store does not list sessions`);
    return (await store.entries()).map(([id, record]) => Object.assign(toConnect(record), { id }));
  };
  return settle(run(), callback);
};

proto.length = function length(this: Store, callback) {
  const store = native(this, 'length');
  const run = async () => {
    if (store.count) return store.count();
    if (store.ids) return (await store.ids()).length;
    throw new TypeError(`${store.name} store does not count sessions`);
  };
  return settle(run(), callback);
};

proto.clear = function clear(this: Store, callback) {
  const store = native(this, 'clear');
  const run = async () => {
    if (!store.purge) throw new TypeError(`${store.name} store does not clear sessions`);
    await store.purge();
  };
  return settle(run(), callback);
};

proto.regenerate = function regenerate(this: Store, req, callback) {
  this.destroy(req.sessionID as string, (err) => {
    this.generate?.(req);
    callback(err);
  });
};

proto.load = function load(this: Store, sid, callback) {
  this.get(sid, (err, sess) => {
    if (err) return callback(err);
    if (!sess) return callback(null);
    const req: ShapedRequest = { sessionID: sid } as ShapedRequest;
    callback(null, this.createSession(req, sess));
  });
};

/**
 * express-session calls this with its own request and expects its own `Session` class back. That
 * class is not ours to import, so it is borrowed from the session express-session's `generate()`
 * (which express-session installs on every store it is given) builds.
 */
proto.createSession = function createSession(this: Store, req: ShapedRequest, sess: ConnectSession) {
  const sid = req.sessionID;
  if (typeof this.generate !== 'function') {
    throw new TypeError('createSession() is for express-session, which sets store.generate first');
  }
  this.generate(req);
  const blank = req.session as NonNullable<ShapedRequest['session']>;
  const SessionClass = blank.constructor as new (req: unknown, data: unknown) => Record<string, unknown>;
  const CookieClass = (blank.cookie as { constructor: new (options: unknown) => Record<string, unknown> })
    .constructor;
  req.sessionID = sid;
  const cookieJSON = sess.cookie ?? { originalMaxAge: null };
  const cookie = new CookieClass(cookieJSON);
  if (typeof cookieJSON.expires === 'string') cookie.expires = new Date(cookieJSON.expires);
  cookie.originalMaxAge = cookieJSON.originalMaxAge;
  const session = new SessionClass(req, { ...sess, cookie });
  req.session = session as ShapedRequest['session'];
  return session;
};
