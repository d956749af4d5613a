import { sealingKeys } from '../cookies/seal.js';
import { MAX_COOKIE_SIZE } from '../cookies/serialize.js';
import type { Secrets } from '../cookies/sign.js';
import type { CookieOptions } from './cookie.js';
import { type CookieSessionMigrationOptions, legacyCookieSession } from './cookie-session-migration.js';
import { requestHandler, type SessionManager, sharedManagerOf } from './middleware.js';
import {
  DEFAULT_IDLE_TIMEOUT,
  numberOption,
  type ResolvedOptions,
  resolveShared,
  type SessionOptions,
  SHARED_OPTION_NAMES,
} from './options.js';
import type { SessionRequest } from './request.js';
import { type NotBefore, sealedPersistence } from './sealed.js';
import { isReservedKey, Session, STATE } from './session.js';

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
  /**
   * Take over the sessions another package left in the browser, for a migration window:
   * `{ cookieSession: { keys } }` reads cookie-session's signed cookies (`name` + `name.sig`) with
   * the keys it signed them with; such a request goes on signed in, and its response carries the
   * sealed cookie and deletes `name.sig`. A bad signature is a fresh session (`tampered` event).
   * Set `until`, since cookie-session's cookies never expire by themselves.
   */
  migrate?: { cookieSession?: CookieSessionMigrationOptions | undefined } | undefined;
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
  'migrate',
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
export function cookieSession(
  given: CookieSessionOptions | CookieSessionPackageOptions,
): CookieSessionMiddleware {
  const { resolved, template } = resolveCookieSession(given, 'cookieSession');
  const handler = requestHandler(resolved);
  const middleware: typeof handler = (req, res, next) => {
    handler(req, res, (err?: unknown) => {
      if (err === undefined) withCookieSessionApi(req as SessionRequest, template);
      next(err);
    });
  };
  return Object.assign(middleware, sharedManagerOf(resolved)) as CookieSessionMiddleware;
}

/**
 * {@link cookieSession}'s options, checked (a `TypeError` naming `label` for a bad one) and resolved
 * into what the engine runs on: sealed persistence instead of a store. `template` is
 * cookie-session's `req.sessionOptions` for the Express middleware; framework adapters ignore it.
 */
export function resolveCookieSession(
  given: CookieSessionOptions | CookieSessionPackageOptions,
  label: string,
): { resolved: ResolvedOptions; template: Record<string, unknown> } {
  if (given !== null && typeof given === 'object' && 'store' in given && given.store !== undefined) {
    throw new TypeError(`${label} keeps the session in the cookie and takes no store; use session() for one`);
  }
  const { options, fromKeys, template } = fromPackageOptions(given, label);
  const shared = resolveShared(label, options, COOKIE_SESSION_OPTIONS, 'session');
  // cookie-session's keys protect the cookies users hold now; refusing short ones would block the
  // move (resolveShared has warned about them).
  const keys = sealingKeys(options.secret, {
    purpose: 'session',
    option: `${label} option ${fromKeys ? 'keys' : 'secret'}`,
    ...(fromKeys ? { onShort: () => {} } : {}),
  });
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
  const resolved: ResolvedOptions = {
    ...shared,
    clearOnNull: true,
    persistence: sealedPersistence({
      name: shared.name,
      keys,
      maxSize,
      absoluteTimeout: shared.absoluteTimeout,
      notBefore,
      legacy: legacyCookieSession(label, options.migrate, shared.name),
      idleTimeout: shared.idleTimeout ?? cookieLifetime(shared.cookie) ?? DEFAULT_IDLE_TIMEOUT,
    }),
  };
  return { resolved, template: { ...template, name: shared.name } };
}

/** The lifetime the cookie options give a session, when they are an object with a `maxAge` in milliseconds. */
function cookieLifetime(cookie: ReturnType<typeof resolveShared>['cookie']): number | undefined {
  return typeof cookie === 'object' && typeof cookie.maxAge === 'number' ? cookie.maxAge : undefined;
}

/** cookie-session's options: `keys`, and the cookie's attributes at the top level. */
export interface CookieSessionPackageOptions extends Omit<CookieSessionOptions, 'secret'> {
  /** cookie-session's `keys`: the first signs (here: seals), every one verifies. */
  keys?: Secrets | undefined;
  secret?: Secrets | undefined;
  maxAge?: number | undefined;
  expires?: Date | undefined;
  path?: string | undefined;
  domain?: string | undefined;
  sameSite?: CookieOptions['sameSite'];
  secure?: boolean | undefined;
  httpOnly?: boolean | undefined;
  partitioned?: boolean | undefined;
  priority?: CookieOptions['priority'];
  /** Accepted for cookie-session's sake; the cookie is always sealed. */
  signed?: boolean | undefined;
  /** Accepted for cookie-session's sake; a session cookie set earlier in the response is replaced. */
  overwrite?: boolean | undefined;
}

const COOKIE_ATTRIBUTES = [
  'maxAge',
  'expires',
  'path',
  'domain',
  'sameSite',
  'secure',
  'httpOnly',
  'partitioned',
  'priority',
] as const;

/** cookie-session's spelling of the options, in coatcheck's: `keys` is `secret`, attributes go in `cookie`. */
function fromPackageOptions(
  given: CookieSessionOptions | CookieSessionPackageOptions,
  label: string,
): {
  options: CookieSessionOptions;
  fromKeys: boolean;
  template: Record<string, unknown>;
} {
  if (given === undefined) throw new TypeError(`${label}: .keys required (the option keys, or secret)`);
  if (given === null || typeof given !== 'object') return { options: given, fromKeys: false, template: {} };
  // cookie-session reads inherited options too (its own tests pass Object.create(options)).
  const flat: Record<string, unknown> = {};
  for (const key in given) flat[key] = (given as Record<string, unknown>)[key];
  const { keys, signed, overwrite, ...rest } = flat as CookieSessionPackageOptions;
  const options = rest as Record<string, unknown>;
  const template: Record<string, unknown> = { signed: signed ?? true, overwrite: overwrite ?? true };
  const cookie: Record<string, unknown> = {};
  for (const attribute of COOKIE_ATTRIBUTES) {
    if (options[attribute] === undefined) continue;
    cookie[attribute] = options[attribute];
    template[attribute] = options[attribute];
    delete options[attribute];
  }
  if (Object.keys(cookie).length > 0) {
    if (typeof options.cookie === 'function') {
      throw new TypeError(`${label}: cookie attributes at the top level and a cookie function do not mix`);
    }
    options.cookie = { ...cookie, ...(options.cookie as object | undefined) };
  }
  const fromKeys = keys !== undefined && keys !== null;
  if (fromKeys) options.secret = keys;
  if (options.secret === undefined) {
    throw new TypeError(`${label}: .keys required (the option keys, or secret)`);
  }
  return { options: options as unknown as CookieSessionOptions, fromKeys, template };
}

/**
 * What cookie-session puts on the request: `req.sessionOptions` (the cookie's settings for this
 * response, which the app may change), `req.session.isNew` and `.isPopulated`, and `req.session`
 * assignable to `null` (delete the cookie) or an object (the new data); anything else throws.
 */
function withCookieSessionApi(req: SessionRequest, template: Record<string, unknown>): void {
  const first = req.session;
  if (!(first instanceof Session)) return;
  const isNew = first[STATE].isNew;
  const describe = (session: Session) => {
    Object.defineProperty(session, 'isNew', { get: () => isNew, configurable: true, enumerable: false });
    // cookie-session's session serializes as its data alone.
    Object.defineProperty(session, 'toJSON', {
      value: () => Object.fromEntries(Object.entries(session).filter(([key]) => key !== 'cookie')),
      configurable: true,
      enumerable: false,
    });
    Object.defineProperty(session, 'isPopulated', {
      get: () => Object.keys(session).some((key) => key !== 'cookie'),
      configurable: true,
      enumerable: false,
    });
  };
  describe(first);
  const sessionOptions: Record<string, unknown> = { ...template };
  for (const attribute of COOKIE_ATTRIBUTES) {
    Object.defineProperty(sessionOptions, attribute, {
      enumerable: true,
      get: () => {
        const cookie = current instanceof Session ? current.cookie : undefined;
        return cookie ? (cookie as unknown as Record<string, unknown>)[attribute] : template[attribute];
      },
      set: (value: unknown) => {
        if (current instanceof Session)
          (current.cookie as unknown as Record<string, unknown>)[attribute] = value;
      },
    });
  }
  (req as SessionRequest & { sessionOptions: unknown }).sessionOptions = sessionOptions;
  let current: Session | null | undefined = first;
  Object.defineProperty(req, 'session', {
    configurable: true,
    enumerable: true,
    get: () => current,
    set(value: unknown) {
      if (value === null || value === undefined || value instanceof Session) {
        if (value instanceof Session && value !== current) describe(value);
        current = value as Session | null | undefined;
        return;
      }
      if (typeof value !== 'object') throw new TypeError('req.session can only be set as null or an object');
      if (!(current instanceof Session)) return;
      const target = current as unknown as Record<string, unknown>;
      for (const key of Object.keys(target)) if (key !== 'cookie') delete target[key];
      for (const [key, data] of Object.entries(value as Record<string, unknown>)) {
        if (!isReservedKey(key) && key !== 'isNew' && key !== 'isPopulated') target[key] = data;
      }
    },
  });
}
