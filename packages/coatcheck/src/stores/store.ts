/**
 * express-session's `Store` base class, as connect stores extend it (callbacks, `load`,
 * `createSession`, `regenerate`), and the bookkeeping coatcheck keeps inside a connect store's
 * session. Past 300 lines because a third-party store sees express-session's whole store surface
 * here, in one class, as it does in express-session.
 *
 * @module
 */

import type { IncomingMessage } from 'node:http';
import { EventEmitter } from '#events';
import { SessionNotFoundError } from '../errors.js';
import { Cookie } from '../session/cookie.js';
import { Session, type SessionHost, type SessionState, STATE } from '../session/session.js';
import type { CookieJSON, SessionRecord, SessionStore, StoredData } from './contract.js';

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
  /**
   * express-session: the session with this ID as a live session object (`undefined` when there is
   * none), whose `save()`, `reload()` and `destroy()` act on this store. Made for code outside the
   * request, such as a WebSocket handler holding the session ID.
   */
  load(sid: string, callback: (err: unknown, session?: unknown) => void): void;
  /**
   * express-session: turns a stored object into a session on `req.session` (with `req.sessionID`
   * its ID) and returns it: express-session's own `Session` when the store serves express-session,
   * else a coatcheck {@link Session} bound to this store.
   */
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
  sessionStore?: Store;
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

/** The record a session handed to set() or touch() stands for. */
function recordFromConnect(sess: ConnectSession, now: number): SessionRecord {
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
  return record;
}

proto.set = function set(this: Store, sid, sess, callback) {
  const store = native(this, 'set');
  return settle(store.write(sid, recordFromConnect(sess, Date.now())), callback);
};

proto.destroy = function destroy(this: Store, sid, callback) {
  return settle(native(this, 'destroy').remove(sid), callback);
};

proto.touch = function touch(this: Store, sid, sess, callback) {
  const store = native(this, 'touch');
  const now = Date.now();
  // The expiry, and the cookie that goes with it, as set() would store them; the data stays.
  const touched = recordFromConnect(sess, now);
  const cookie = touched.data.cookie ?? undefined;
  const run = async () => {
    if (store.refresh) {
      await store.refresh(sid, touched.expires, now, cookie);
      return;
    }
    const record = await store.read(sid);
    if (!record) return;
    record.expires = touched.expires;
    record.touched = now;
    if (cookie) record.data.cookie = cookie;
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
    // What express-session's load() hands createSession: a request that is only the ID and store.
    const req: ShapedRequest = { sessionID: sid, sessionStore: this } as ShapedRequest;
    let session: unknown;
    try {
      session = this.createSession(req, sess);
    } catch (err) {
      return callback(err);
    }
    callback(null, session);
  });
};

/**
 * Under express-session (which sets `store.generate` on every store it is given) this returns
 * express-session's own `Session`, as express-session expects: that class is not ours to import, so
 * it is borrowed from the blank session `generate()` builds. Anywhere else (under coatcheck's
 * `session()`, or with no middleware at all) it is a coatcheck {@link Session} bound to this store.
 * Either way, as express-session's does: the cookie's `expires` becomes a `Date`, its
 * `originalMaxAge` is kept, and the session is put on `req.session`.
 */
proto.createSession = function createSession(this: Store, req: ShapedRequest, sess: ConnectSession) {
  if (typeof this.generate !== 'function') return detachedSession(this, req, sess);
  const sid = req.sessionID;
  this.generate(req);
  const blank = req.session as NonNullable<ShapedRequest['session']>;
  const SessionClass = blank.constructor as new (req: unknown, data: unknown) => Record<string, unknown>;
  req.sessionID = sid;
  const cookieJSON = sess.cookie ?? { originalMaxAge: null };
  const cookie = expressSessionCookie(blank.cookie as object, cookieJSON);
  if (typeof cookieJSON.expires === 'string') cookie.expires = new Date(cookieJSON.expires);
  cookie.originalMaxAge = cookieJSON.originalMaxAge;
  const session = new SessionClass(req, { ...sess, cookie });
  req.session = session as ShapedRequest['session'];
  return session;
};

/**
 * `new Cookie(json)` with express-session's `Cookie`, reached through the blank session's cookie.
 * express-session 1.x replaces `Cookie.prototype` with an object literal, so that cookie's
 * `constructor` is `Object`: then its constructor is done here as it is written there (defaults
 * `path: '/'`, `maxAge: null`, `httpOnly: true`, every stored key but `data` copied through the
 * prototype's setters, `originalMaxAge` defaulting to `maxAge`).
 */
function expressSessionCookie(blank: object, json: CookieJSON): Record<string, unknown> {
  const prototype = Object.getPrototypeOf(blank) as { constructor?: unknown } | null;
  const Ctor = prototype?.constructor;
  if (typeof Ctor === 'function' && Ctor !== Object) {
    return new (Ctor as new (options: unknown) => Record<string, unknown>)(json);
  }
  const cookie = Object.create(prototype) as Record<string, unknown>;
  cookie.path = '/';
  cookie.maxAge = null;
  cookie.httpOnly = true;
  for (const key of Object.keys(json))
    if (key !== 'data') cookie[key] = (json as unknown as Record<string, unknown>)[key];
  if (cookie.originalMaxAge === undefined || cookie.originalMaxAge === null)
    cookie.originalMaxAge = cookie.maxAge;
  return cookie;
}

/** express-session's reading of a stored cookie: its options, then `expires` and `originalMaxAge` as stored. */
function cookieOf(json: CookieJSON | undefined): Cookie {
  const stored = json ?? { originalMaxAge: null };
  const cookie = new Cookie({ ...stored, maxAge: undefined } as CookieJSON);
  if (typeof stored.expires === 'string') cookie.expires = new Date(stored.expires);
  cookie.originalMaxAge = stored.originalMaxAge ?? null;
  return cookie;
}

function callbackCall<T>(run: (callback: Callback<T>) => unknown): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    run((err, value) => (err ? reject(err) : resolve(value as T)));
  });
}

/** The store's session, as express-session's `get` gives it: through the contract when the store has it. */
async function storedSession(store: Store, sid: string): Promise<ConnectSession | null | undefined> {
  return callbackCall<ConnectSession | null | undefined>((cb) => store.get(sid, cb));
}

/**
 * A session outside any middleware: `save()` writes it to the store (a coatcheck store keeps its
 * creation time, expiry and user; a session the store no longer has is not brought back),
 * `reload()` reads it again, `destroy()` deletes it. There is no response to send a new cookie on,
 * so `regenerate()` and `rotate()` are refused.
 */
function detachedSession(store: Store, req: ShapedRequest, sess: ConnectSession): Session {
  const sid = req.sessionID as string;
  const { cookie: json, ...data } = sess as ConnectSession & { cookie?: CookieJSON };
  const host: SessionHost = {
    async save(session) {
      const { cookie, ...fields } = JSON.parse(JSON.stringify(session)) as StoredData;
      const native = store as unknown as SessionStore;
      if (typeof native.read === 'function' && typeof native.write === 'function') {
        const record = await native.read(sid);
        if (!record) throw new SessionNotFoundError();
        record.data = { ...fields, cookie: cookie as CookieJSON };
        await native.write(sid, record);
        return;
      }
      await callbackCall<void>((cb) => store.set(sid, { ...fields, cookie } as ConnectSession, cb));
    },
    async reload(session) {
      const fresh = await storedSession(store, sid);
      if (!fresh || typeof fresh !== 'object') throw new SessionNotFoundError('reload');
      const { cookie, ...fields } = fresh as ConnectSession & { cookie?: CookieJSON };
      const target = session as unknown as Record<string, unknown>;
      for (const key of Object.keys(target)) if (key !== 'cookie') delete target[key];
      const rebuilt = new Session(cookieOf(cookie), session[STATE], fields);
      Object.assign(target, rebuilt);
      session.cookie = rebuilt.cookie;
    },
    async destroy(session) {
      await callbackCall<void>((cb) => store.destroy(sid, cb));
      session[STATE].destroyed = true;
      if (req.session === (session as unknown)) delete req.session;
    },
    async regenerate() {
      throw new TypeError(
        'regenerate() and rotate() need the session middleware: a session from store.load() has no response to send its new cookie on',
      );
    },
  };
  const now = Date.now();
  const cookie = cookieOf(json);
  const state: SessionState = {
    id: sid,
    host,
    isNew: false,
    snapshot: new Map(),
    cookieSnapshot: '',
    created: now,
    touched: now,
    expires: cookie.expires?.getTime() ?? now + DEFAULT_CONNECT_TTL,
    user: undefined,
    destroyed: false,
    gone: false,
  };
  const session = new Session(cookie, state, data);
  req.session = session as unknown as ShapedRequest['session'];
  return session;
}
