import { sealingKeys } from '../cookies/seal.js';
import { MAX_COOKIE_SIZE } from '../cookies/serialize.js';
import { requestHandler, type SessionManager, sharedManagerOf } from './middleware.js';
import { numberOption, resolveShared, type SessionOptions, SHARED_OPTION_NAMES } from './options.js';
import { type NotBefore, sealedPersistence } from './sealed.js';

/**
 * Options of {@link cookieSession}: those of `session()` that apply without a store, plus the cap on
 * the cookie's size and the revocation hook.
 */
export interface CookieSessionOptions
  extends Omit<SessionOptions, 'store' | 'storeTimeout' | 'storeBreaker' | 'name'> {
  /**
   * Seals the session. Required; each secret ≥ 32 bytes. An array rotates them: the first seals, all
   * open, and a session sealed under an older one is re-sealed under the first on the same response.
   */
  secret: SessionOptions['secret'];
  /** The cookie's name; chunks are `name.1`, `name.2`, …. Default `'session'`. */
  name?: string | undefined;
  /**
   * The most bytes the session may take in cookies, names and values of all chunks together; past
   * it, saving fails with `CookieTooLargeError` (500) and the browser keeps the cookie it had.
   * Default 8192: a bigger Cookie header is refused by common proxies (nginx allows 8 KB per
   * header line by default) and leaves little of Node's 16 KB for the other headers.
   */
  maxSize?: number | undefined;
  /**
   * Revocation without a store: the time before which seals of `user` (the `userKey` value) are
   * refused, or `undefined` for none. Record "now" for a user to log them out everywhere. A seal's
   * time is when its user signed in, kept across re-seals. Called once per request that carries a
   * signed-in session, so keep it fast (cache it). Needs `userKey`.
   */
  notBefore?: NotBefore | undefined;
}

/**
 * The middleware {@link cookieSession} returns: the request handler, `handleOf`, `info` and events.
 * There is no store to list or revoke sessions from: use `notBefore` for "log out everywhere".
 */
export interface CookieSessionMiddleware extends SessionManager {}

const COOKIE_SESSION_OPTIONS = [
  ...SHARED_OPTION_NAMES,
  'maxSize',
  'notBefore',
] as const satisfies ReadonlyArray<keyof CookieSessionOptions>;

/** Room for two full cookies. */
export const DEFAULT_MAX_SIZE = 2 * MAX_COOKIE_SIZE;

/**
 * Sessions with no store: the whole session is sealed (AES-256-GCM, bound to the cookie's name) into
 * the cookie, with the same `req.session` and the same options as `session()` where they apply, so
 * switching between the two is a configuration change. Idle and absolute timeouts are inside the
 * seal; a session larger than one cookie is split over `name.1`, `name.2`, …; `notBefore` rejects
 * seals issued before a per-user time (log out everywhere).
 *
 * What a store gives and this cannot: a stolen cookie stays valid until it expires unless
 * `notBefore` rejects it; `destroy()` and `rotate()` only replace the cookie in this browser.
 *
 * @example
 * ```ts
 * import express from 'express';
 * import { cookieSession } from 'coatcheck';
 *
 * const loggedOutAt = new Map<string, number>(); // or a column of your users table
 * const app = express();
 * app.use(cookieSession({
 *   secret: [process.env.SESSION_SECRET!, process.env.OLD_SESSION_SECRET!],
 *   userKey: 'userId',
 *   idleTimeout: 30 * 60 * 1000,
 *   notBefore: (userId) => loggedOutAt.get(userId),
 * }));
 * app.post('/logout-everywhere', (req, res) => {
 *   loggedOutAt.set(req.session.userId!, Date.now());
 *   req.session.destroy(() => res.redirect('/'));
 * });
 * ```
 */
export function cookieSession(options: CookieSessionOptions): CookieSessionMiddleware {
  const label = 'cookieSession';
  if (options !== null && typeof options === 'object' && 'store' in options && options.store !== undefined) {
    throw new TypeError(
      'cookieSession keeps the session in the cookie and takes no store; use session() for one',
    );
  }
  const shared = resolveShared(label, options, COOKIE_SESSION_OPTIONS, 'session');
  const keys = sealingKeys(options.secret, { purpose: 'session', option: `${label} option secret` });
  const maxSize =
    numberOption(label, options as unknown as Record<string, unknown>, 'maxSize', { unit: 'bytes' }) ??
    DEFAULT_MAX_SIZE;
  if (maxSize < MAX_COOKIE_SIZE) {
    throw new TypeError(`${label} option maxSize must be at least ${MAX_COOKIE_SIZE} bytes (one cookie)`);
  }
  const notBefore = options.notBefore;
  if (notBefore !== undefined && typeof notBefore !== 'function') {
    throw new TypeError(`${label} option notBefore must be a function`);
  }
  if (notBefore !== undefined && shared.userKey === undefined) {
    throw new TypeError(`${label} option notBefore needs userKey, the session key that names the user`);
  }
  const resolved = {
    ...shared,
    persistence: sealedPersistence({
      name: shared.name,
      keys,
      maxSize,
      absoluteTimeout: shared.absoluteTimeout,
      notBefore,
    }),
  };
  return Object.assign(requestHandler(resolved), sharedManagerOf(resolved)) as CookieSessionMiddleware;
}
