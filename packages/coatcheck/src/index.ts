/// <reference path="./session/express.d.ts" preserve="true" />

import * as self from './index.js';
import { Cookie } from './session/cookie.js';
import { session } from './session/middleware.js';
import { Session } from './session/session.js';
import { MemoryStore } from './stores/memory.js';
import { Store } from './stores/store.js';

/**
 * The data your sessions hold. Declare your keys once and `req.session` is typed everywhere:
 *
 * @example
 * ```ts
 * declare module 'coatcheck' {
 *   interface SessionData {
 *     userId: string;
 *     cart: string[];
 *   }
 * }
 * ```
 */
// biome-ignore lint/suspicious/noEmptyInterface: filled in by applications through declaration merging
export interface SessionData {}

/** A session as the middleware puts it on `req.session`. */
export type SessionWithData = Session & Partial<SessionData>;

export * from './cookies/index.js';
export * from './csrf/index.js';
export * from './device-bound/index.js';
export * from './errors.js';
export type { StoreBreakerOptions } from './lib/breaker.js';
export { isConnectionFailure, isConnectionRefused } from './lib/connection.js';
export * from './session/index.js';
export {
  CONNECT_META_KEY,
  type ConnectStore,
  ConnectStoreAdapter,
  fromConnectStore,
  isConnectStore,
} from './stores/connect.js';
export * from './stores/contract.js';
export { redactUrl, type StoreModule, storeFromUrl } from './stores/from-url.js';
export { MemoryStore, type MemoryStoreOptions } from './stores/memory.js';
export { type ConnectSession, Store, type StoreConstructor } from './stores/store.js';

/**
 * `import session from 'coatcheck'`: the middleware, carrying `Store`, `MemoryStore`, `Session` and
 * `Cookie` as express-session's export does, for store packages written as `require('x')(session)`.
 */
const sessionWithClasses: typeof session & {
  Store: typeof Store;
  MemoryStore: typeof MemoryStore;
  Session: typeof Session;
  Cookie: typeof Cookie;
  session: typeof session;
} = Object.assign(session, { Store, MemoryStore, Session, Cookie, session });

export default sessionWithClasses;

// `require('coatcheck')` on Node ≥ 20.19 returns this export: the middleware itself, as
// `require('express-session')` does, with every named export on it as well (the Object.assign
// below). TypeScript ≥ 5.8 types `require` of this package by it, so its type says so too.
const requireResult = sessionWithClasses as typeof sessionWithClasses &
  Omit<typeof self, 'default' | 'module.exports'>;

export { requireResult as 'module.exports' };

Object.assign(sessionWithClasses, self);
