/// <reference path="./session/express.d.ts" preserve="true" />
/// <reference path="./cookies/express.d.ts" preserve="true" />
/// <reference path="./csrf/express.d.ts" preserve="true" />

/**
 * `coatcheck`: the everyday API. The session middlewares (`session`, `cookieSession`), `cookies`,
 * `csrf`, `MemoryStore`, `storeFromUrl`, every error class and the types their options and results
 * need. The primitives and toolkits behind them have subpaths of their own:
 *
 * - `coatcheck/cookies`: parse, serialize, sign and seal cookies;
 * - `coatcheck/csrf`: CSRF tokens and the cross-origin check, without the middleware's wiring;
 * - `coatcheck/stores`: the store contract and what a store author builds on;
 * - `coatcheck/device-bound`: device-bound session (DBSC) proofs, JWKs and headers;
 * - `coatcheck/testing`: the store conformance suite.
 *
 * The default export, the middleware shaped as express-session's, is in `default.ts`.
 *
 * @module
 */
import type { Session } from './session/session.js';

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

export {
  type CookiesOptions,
  type CookiesRequest,
  type CookiesResponse,
  type CookieValue,
  cookies,
  type SetCookieOptions,
} from './cookies/middleware.js';
// cookie-parser's helpers, from the same import as cookies(), as cookie-parser has them (issue 14).
export { JSONCookie, JSONCookies, signedCookie, signedCookies } from './cookies/parser-helpers.js';
export type { Secret, Secrets } from './cookies/sign.js';
export type { CsrfOptions, CsrfTokenOptions } from './csrf/guard.js';
export { type CsrfRequest, csrf } from './csrf/middleware.js';
export type { DeviceBindingInfo, DeviceBoundOptions } from './device-bound/middleware.js';
export * from './errors.js';
export type { StoreBreakerOptions } from './lib/breaker.js';
export * from './session/index.js';
export type { SessionRecord, SessionStore } from './stores/contract.js';
export { storeFromUrl } from './stores/from-url.js';
export { MemoryStore, type MemoryStoreOptions } from './stores/memory.js';

/** A session as the middleware puts it on `req.session`. */
export type SessionWithData = Session & Partial<SessionData>;

// Last, after a statement that is not an export so the import sorter leaves it here: default.ts
// copies the root's named exports onto the default export, so every module above must have run.
export { default, 'module.exports' } from './default.js';
