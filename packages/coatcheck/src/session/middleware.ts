import type { IncomingMessage, ServerResponse } from 'node:http';
import { BINDING_KEY } from '../device-bound/binding.js';
import { type DeviceBindingInfo, DeviceBound } from '../device-bound/middleware.js';
import { StoreError, type StoreOperation } from '../errors.js';
import { RotationTrail } from '../lib/rotation-trail.js';
import type { ConnectStore } from '../stores/connect.js';
import type { SessionStore } from '../stores/contract.js';
import { remoteCall } from './engine/store-calls.js';
import { endOf, idleDeadlineOf, idleTimeoutOf } from './engine/timeouts.js';
import type { EndedReason, SessionEventTarget } from './events.js';
import type { SessionRequest } from './http/exchange.js';
import { requestHandler } from './http/handler.js';
import {
  type ResolvedOptions,
  type ResolvedStoreOptions,
  resolveOptions,
  type SessionOptions,
} from './options.js';
import { Session, STATE } from './session.js';

/** One of a user's sessions, as {@link SessionMiddleware.listByUser} reports it. */
export interface SessionInfo {
  /** A keyed hash of the session ID, safe to show and to pass back to {@link SessionMiddleware.revoke}. */
  handle: string;
  created: Date;
  /** The last request that wrote or refreshed it (refreshes are throttled by `touchAfter`). */
  lastSeen: Date;
  /** When it ends unless used again. */
  expires: Date;
  /** A browser registered a device key for it (`deviceBound`): a copy of its cookie works nowhere else. */
  deviceBound: boolean;
  data: Record<string, unknown>;
}

/** The current request's session timing, for a "time left" page. */
export interface CurrentSessionInfo {
  handle: string;
  created: Date;
  lastSeen: Date;
  /** When the store drops it if no request comes; each request (after `touchAfter`) moves it. */
  idleExpires: Date;
  /** When it ends however busy it is, or `null` with `absoluteTimeout: false`. */
  absoluteExpires: Date | null;
  idleTimeout: number;
  absoluteTimeout: number | false;
}

/**
 * Connect-style middleware; works with Express 4, Express 5 and plain `node:http`. It also manages
 * sessions from outside a request ("devices" pages, "log out everywhere") and reports events.
 *
 * @example
 * ```ts
 * const sessions = session({ secret, store, userKey: 'userId' });
 * app.use(sessions);
 * sessions.on('tampered', ({ reason }) => metrics.increment('session.tampered', { reason }));
 * app.post('/logout-everywhere-else', async (req, res) => {
 *   await sessions.revokeAll(req.session.userId!, { except: req.sessionID });
 *   res.redirect('/devices');
 * });
 * ```
 */
export interface SessionMiddleware extends SessionManager {
  /** The store in use, adapted to coatcheck's contract. */
  readonly store: SessionStore;
  /** The user's live sessions. Needs `userKey` and a store with `listByUser`. */
  listByUser(user: string): Promise<SessionInfo[]>;
  /**
   * Ends the user's session with this handle ("log out this device"). Resolves whether one was found.
   * A handle made before a secret rotation still works while its secret is listed.
   */
  revoke(user: string, handle: string): Promise<boolean>;
  /** Ends all the user's sessions, or all but the session with ID `except`. Resolves how many ended. */
  revokeAll(user: string, options?: { except?: string | undefined }): Promise<number>;
  /**
   * With `deviceBound`: asks the browser, on this request's response, to bind the session to a
   * device key (`start: 'manual'`, or after sign-in without a `userKey`). `authorization`, if given,
   * must come back in the browser's proof. Does nothing over plain HTTP or for a bound session.
   *
   * @example
   * ```ts
   * app.post('/login', async (req, res) => {
   *   await req.session.rotate();
   *   req.session.userId = user.id;
   *   sessions.bindDevice(req);
   *   res.redirect('/');
   * });
   * ```
   */
  bindDevice(req: IncomingMessage, options?: { authorization?: string | undefined }): void;
  /** With `deviceBound`: the request's session binding (for a "this device" page), or `undefined` when unbound. */
  deviceBinding(req: IncomingMessage): DeviceBindingInfo | undefined;
}

/** What `session()` and `cookieSession()` middleware both offer besides handling requests. */
export interface SessionManager extends SessionEventTarget {
  (req: IncomingMessage, res: ServerResponse, next: (err?: unknown) => void): void;
  /**
   * A keyed hash of a session ID (132 bits, base64url) under the newest secret: log and show this,
   * never the ID. After a secret rotation the same session gets a new handle; the old one still
   * matches it in {@link SessionManager.isHandleOf} and `revoke()` while the old secret is listed.
   */
  handleOf(sessionId: string): string;
  /**
   * Whether `handle` is the handle of `sessionId`, made under any listed secret. Compare handles with
   * this, not `===`: a handle made before a rotation differs from `handleOf()`'s after it.
   *
   * @example
   * ```ts
   * const isThisDevice = sessions.isHandleOf(req.sessionID, req.body.handle);
   * ```
   */
  isHandleOf(sessionId: string, handle: string): boolean;
  /** Timing of the request's session, or `undefined` when there is none or it has not been stored yet. */
  info(req: IncomingMessage): CurrentSessionInfo | undefined;
  /**
   * Why the session the request's cookie named could not be used (so the page can say "you were
   * logged out" or "your session expired"), or `undefined` when it was used or there was no cookie.
   */
  ended(req: IncomingMessage): EndedReason | undefined;
}

/**
 * Session middleware, a drop-in for express-session: same options, same `req.session`, same
 * cookie, with safe defaults, promises, lossless concurrent saves and server-side timeouts.
 *
 * @example
 * ```ts
 * import express from 'express';
 * import session from 'coatcheck';
 *
 * const app = express();
 * app.use(session({ secret: process.env.SESSION_SECRET! }));
 * app.get('/', (req, res) => {
 *   req.session.views = (req.session.views ?? 0) + 1;
 *   res.send(`${req.session.views} views`);
 * });
 * ```
 */
export function session(options: SessionOptions): SessionMiddleware {
  const resolved = resolveOptions(options);
  const refusal = storeRefusal(resolved);
  const middleware = requestHandler(resolved, (req) => {
    const refused = refusal();
    if (refused) return refused;
    req.sessionStore = resolved.originalStore;
    return undefined;
  });
  const deviceBound = resolved.deviceBound;
  const handler = deviceBound ? withDeviceEndpoints(middleware, deviceBound) : middleware;
  return Object.assign(
    handler,
    sharedManagerOf(resolved),
    storeManagerOf(resolved),
    deviceManagerOf(deviceBound),
  ) as SessionMiddleware;
}

/**
 * What a request is refused with before its session loads, if anything: express-session stores
 * announce outages (`disconnect`, `connect`), and while one is out requests fail fast with a
 * `StoreError` instead of waiting out `storeTimeout`. Every adapter asks this first.
 */
export function storeRefusal(resolved: ResolvedStoreOptions): () => StoreError | undefined {
  const store = resolved.store;
  const emitter = resolved.originalStore as Partial<Pick<ConnectStore, 'on'>>;
  let storeReady = true;
  if (typeof emitter.on === 'function') {
    emitter.on.call(resolved.originalStore, 'disconnect', () => {
      storeReady = false;
    });
    emitter.on.call(resolved.originalStore, 'connect', () => {
      storeReady = true;
    });
  }
  return () =>
    storeReady
      ? undefined
      : new StoreError(store.name, 'connect', { message: `${store.name} store is disconnected` });
}

/** The registration and refresh endpoints: served once the request's session is loaded, never passed on. */
function withDeviceEndpoints(
  middleware: (req: IncomingMessage, res: ServerResponse, next: (err?: unknown) => void) => void,
  deviceBound: DeviceBound,
): (req: IncomingMessage, res: ServerResponse, next: (err?: unknown) => void) => void {
  return (req, res, next) => {
    const endpoint = deviceBound.endpointOf(req);
    if (endpoint === undefined) {
      middleware(req, res, next);
      return;
    }
    middleware(req, res, (err?: unknown) => {
      if (err !== undefined) {
        next(err);
        return;
      }
      try {
        deviceBound.serve(endpoint, req as SessionRequest, res);
      } catch (error) {
        next(error);
      }
    });
  };
}

function deviceManagerOf(
  deviceBound: DeviceBound | undefined,
): Pick<SessionMiddleware, 'bindDevice' | 'deviceBinding'> {
  const needed = (): DeviceBound => {
    if (!deviceBound)
      throw new TypeError('bindDevice() and deviceBinding() need the session option deviceBound');
    return deviceBound;
  };
  return {
    bindDevice: (req, options) => needed().bindDevice(req, options),
    deviceBinding: (req) => needed().info(req as SessionRequest),
  };
}

export function storeManagerOf(
  options: ResolvedStoreOptions,
): Pick<SessionMiddleware, 'store' | 'listByUser' | 'revoke' | 'revokeAll'> {
  const { store, reporter } = options;
  const listing = () => {
    if (!store.listByUser || !store.removeByUser) {
      throw new TypeError(
        `the ${store.name} store does not index sessions by user (listByUser/removeByUser)`,
      );
    }
    return { listByUser: store.listByUser.bind(store), removeByUser: store.removeByUser.bind(store) };
  };
  const call = <T>(operation: StoreOperation, run: () => Promise<T>) =>
    remoteCall(options, store, operation, run);
  return {
    store,
    async listByUser(user: string): Promise<SessionInfo[]> {
      const { listByUser } = listing();
      const entries = await call('listByUser', () => listByUser(user));
      const now = Date.now();
      // The store keeps a session a grace past its end, to report it as expired: it is not live.
      return entries
        .filter(([, record]) => endOf(options, record, now) === undefined)
        .map(([id, record]) => {
          const { cookie: _cookie, [BINDING_KEY]: binding, ...data } = record.data;
          return {
            handle: reporter.handleOf(id),
            created: new Date(record.created),
            lastSeen: new Date(record.touched),
            expires: new Date(idleDeadlineOf(options, record)),
            deviceBound: DeviceBound.isBound(binding),
            data,
          };
        });
    },
    async revoke(user: string, handle: string): Promise<boolean> {
      const { listByUser } = listing();
      const entries = await call('listByUser', () => listByUser(user));
      const match = entries.find(([id]) => reporter.isHandleOf(id, handle));
      if (!match) return false;
      await call('remove', () => store.remove(match[0]));
      // Listed before a slower request rotated it: what it became goes too (see RotationTrail).
      for (const next of RotationTrail.of(store).take(match[0]))
        await call('remove', () => store.remove(next));
      reporter.emit('revoked', { handles: [handle], user });
      return true;
    },
    async revokeAll(user: string, revokeOptions: { except?: string | undefined } = {}): Promise<number> {
      const { listByUser, removeByUser } = listing();
      const except = revokeOptions.except;
      const handles = reporter.wants('revoked')
        ? (await call('listByUser', () => listByUser(user)))
            .filter(([id]) => id !== except)
            .map(([id]) => reporter.handleOf(id))
        : [];
      const removed = await call('removeByUser', () => removeByUser(user, except));
      if (removed > 0) reporter.emit('revoked', { handles, user });
      return removed;
    },
  };
}

/** Where the node:http adapter keeps a request's session. */
const sessionOnRequest = (req: object) => (req as SessionRequest).session;

/**
 * `handleOf`, `info` and events: what works the same with or without a store. `sessionOf` finds the
 * session of the request `info()` is given, where the adapter keeps it.
 */
export function sharedManagerOf(
  options: ResolvedOptions,
  sessionOf: (request: object) => Session | null | undefined = sessionOnRequest,
): Omit<SessionManager, ''> {
  const { reporter } = options;
  const manager = {
    handleOf: (id: string) => reporter.handleOf(id),
    isHandleOf: (id: string, handle: string) => reporter.isHandleOf(id, handle),
    info(req: IncomingMessage): CurrentSessionInfo | undefined {
      const current = sessionOf(req);
      if (!(current instanceof Session)) return undefined;
      const state = current[STATE];
      if (state.isNew) return undefined;
      const absolute = options.absoluteTimeout;
      return {
        handle: reporter.handleOf(current.id),
        created: new Date(state.created),
        lastSeen: new Date(state.touched),
        idleExpires: new Date(state.touched + idleTimeoutOf(options, current)),
        absoluteExpires: absolute === false ? null : new Date(state.created + absolute),
        idleTimeout: idleTimeoutOf(options, current),
        absoluteTimeout: absolute,
      };
    },
    ended: (req: IncomingMessage) => reporter.ended.get(req),
    on(event: string, listener: (payload: unknown) => void) {
      reporter.emitter.on(event, listener);
      return this;
    },
    once(event: string, listener: (payload: unknown) => void) {
      reporter.emitter.once(event, listener);
      return this;
    },
    off(event: string, listener: (payload: unknown) => void) {
      reporter.emitter.off(event, listener);
      return this;
    },
  };
  return manager as unknown as Omit<SessionManager, ''>;
}

// cookieSession() builds on the same request side.
export { requestHandler };
