/**
 * Every option of `session()` and `cookieSession()`, checked once at construction (a `TypeError`
 * naming the option) and resolved into the form the engine reads. Past 300 lines because it is
 * the one table of options and defaults; split by option, the defaults would scatter.
 *
 * @module
 */
import type { KeyObject } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { checkCookieSettings, isCookieName } from '../cookies/attributes.js';
import { type Secrets, signingKeys } from '../cookies/sign.js';
import type { DeviceBoundHook } from '../device-bound/hook.js';
import { DeviceBound, type DeviceBoundOptions } from '../device-bound/middleware.js';
import { StoreBreaker, type StoreBreakerOptions } from '../lib/breaker.js';
import { KeyedLock } from '../lib/keyed-lock.js';
import { MIN_SECRET_BYTES, shortSecrets } from '../lib/secrets.js';
import { warn as processWarning } from '../lib/warn.js';
import { type ConnectStore, fromConnectStore, isConnectStore } from '../stores/connect.js';
import { isSessionStore, type SessionStore } from '../stores/contract.js';
import { MemoryStore } from '../stores/memory.js';
import { Store } from '../stores/store.js';
import type { CookieOptions } from './cookie.js';
import { isInProcess } from './engine/store-calls.js';
import { SessionReporter } from './events.js';
import { type Persistence, signedIdPersistence } from './persistence.js';

/** Options of {@link session}: express-session's, with safe defaults, plus the lifecycle it lacks. */
export interface SessionOptions {
  /**
   * Signs the session cookie. Required. An array rotates secrets: the first signs, all verify, and
   * a cookie signed with an older one is re-signed on the same response. Use ≥ 32 random bytes.
   */
  secret: Secrets;
  /** Where sessions live: a coatcheck store or any express-session store. Default: a {@link MemoryStore}. */
  store?: SessionStore | ConnectStore | undefined;
  /** The session cookie's name. Default `'connect.sid'`, so sessions survive a switch from express-session. */
  name?: string | undefined;
  /** express-session's older spelling of `name`. */
  key?: string | undefined;
  /** The cookie's settings, or a function of the request returning them. */
  cookie?: CookieOptions | ((req: IncomingMessage) => CookieOptions) | undefined;
  /** Makes a session ID; must return ≥ 128 bits from a CSPRNG. Default: 192 random bits, base64url. */
  genid?: ((req: IncomingMessage) => string) | undefined;
  /** Trust `X-Forwarded-Proto` for `secure` (`true`), never (`false`), or as Express's `trust proxy` says (default). */
  proxy?: boolean | undefined;
  /** Save every key of every session on every request. Default `false` (express-session: `true`). */
  resave?: boolean | undefined;
  /** Send the cookie on every response, restarting its `maxAge`. Default `false`. */
  rolling?: boolean | undefined;
  /** Store sessions nobody wrote to. Default `false` (express-session: `true`). */
  saveUninitialized?: boolean | undefined;
  /** What `req.session = null` does at the end of the request: `'keep'` the stored session (default) or `'destroy'` it. */
  unset?: 'keep' | 'destroy' | undefined;
  /**
   * Milliseconds without a request after which a session ends, enforced by the server.
   * Default: the cookie's `maxAge`, or 24 hours for a browser-session cookie.
   */
  idleTimeout?: number | undefined;
  /**
   * Milliseconds after creation at which a session ends however busy it is; `false` for none.
   * Default 7 days. {@link Session.rotate} keeps the creation time.
   */
  absoluteTimeout?: number | false | undefined;
  /**
   * A read-only request writes nothing to the store unless the session was last written or
   * refreshed this many milliseconds ago. Default: a tenth of the idle timeout, at most 60 seconds.
   */
  touchAfter?: number | undefined;
  /** How long one store operation may take before the request fails with 503. Default 5000 ms. */
  storeTimeout?: number | undefined;
  /**
   * The circuit breaker in front of the store: after `failures` consecutive connection failures or
   * timeouts (default 5), every store call fails at once with 503 `ERR_STORE_UNAVAILABLE` instead of
   * waiting, and one call every `probeInterval` ms (default 250) tries the store again; the first
   * that succeeds closes the circuit. Calls also fail at once while the store's client reports its
   * connection down (`store.connected()`). `false` turns both off.
   */
  storeBreaker?: StoreBreakerOptions | false | undefined;
  /**
   * What a request does when the store fails or times out while loading or saving its session.
   * `'fail'` (default): the error reaches `next(err)` (503) — the request never runs without the
   * session it came with. `'continue'`: the request runs with a fresh session that is never stored
   * (a signed-in user looks signed out), nothing is written, no cookie is set, and a `storeError`
   * event reports it. Explicit calls (`save()`, `rotate()`, `destroy()`, …) still reject.
   */
  onStoreError?: 'fail' | 'continue' | undefined;
  /**
   * The session key that names the signed-in user (e.g. `'userId'`): sessions are indexed by it,
   * so the store can list a user's sessions and log them out everywhere.
   */
  userKey?: string | undefined;
  /**
   * Binds sessions to the browser's device key (Device Bound Session Credentials, Chromium): a
   * copied session cookie stops working elsewhere once its short-lived bound cookie expires. Needs
   * HTTPS. See docs/device-bound-sessions.md.
   */
  deviceBound?: DeviceBoundOptions | undefined;
  /**
   * Puts each request and response Express made (it swaps their prototypes) into V8's dictionary
   * mode before the session is added to them, so properties added later share one hidden class
   * instead of building one each: measured cheaper per request on Node 20 (`npm run bench -- shape`).
   * `false` leaves the objects as they are. Default `true`; has no effect on plain `node:http`.
   *
   * @example
   * ```ts
   * app.use(session({ secret, settleShapes: false }));
   * ```
   */
  settleShapes?: boolean | undefined;
  /**
   * Whose defaults fill in the options left out: coatcheck's safer ones (default), or
   * `'express-session'`'s exactly ({@link expressSessionDefaults}), for apps that depend on them.
   */
  defaults?: 'coatcheck' | 'express-session' | undefined;
}

/** Options after validation and defaults, shared by {@link session} and `cookieSession()`. */
export interface ResolvedOptions {
  keys: readonly KeyObject[];
  /** How the session travels: signed ID and store, or sealed record. */
  persistence: Persistence;
  name: string;
  cookie: CookieOptions | ((req: IncomingMessage) => CookieOptions);
  genid: ((req: IncomingMessage) => string) | undefined;
  proxy: boolean | undefined;
  resave: boolean;
  rolling: boolean;
  saveUninitialized: boolean;
  unset: 'keep' | 'destroy';
  idleTimeout: number | undefined;
  absoluteTimeout: number | false;
  touchAfter: number | undefined;
  storeTimeout: number;
  /** The store's circuit breaker (`session()` only, unless `storeBreaker: false`). */
  breaker?: StoreBreaker | undefined;
  onStoreError: 'fail' | 'continue';
  userKey: string | undefined;
  /** Serializes read-modify-write saves per session for stores without `patch`/`refresh`. */
  wholeRecordLock: KeyedLock;
  /** Events and session handles. */
  reporter: SessionReporter;
  /** `req.session = null` deletes the cookie even when the request carried none (cookie-session's rule). */
  clearOnNull?: boolean | undefined;
  /** Device binding's hook into the engine, when `deviceBound` is on (`session()` only). */
  deviceBound?: DeviceBoundHook | undefined;
  /** Whether the node:http adapter settles Express's objects' shapes (lib/shape.ts). */
  settleShapes: boolean;
}

/** {@link session}'s resolved options: the shared ones and its store. */
export interface ResolvedStoreOptions extends ResolvedOptions {
  store: SessionStore;
  /** The store as the application handed it over, for `req.sessionStore`. */
  originalStore: SessionStore | ConnectStore;
  deviceBound?: DeviceBound | undefined;
}

const DAY = 24 * 60 * 60 * 1000;
export const DEFAULT_IDLE_TIMEOUT = DAY;
export const DEFAULT_ABSOLUTE_TIMEOUT = 7 * DAY;
export const DEFAULT_STORE_TIMEOUT = 5000;

/** The options `session()` and `cookieSession()` share, by name. */
export const SHARED_OPTION_NAMES = [
  'secret',
  'name',
  'key',
  'cookie',
  'genid',
  'proxy',
  'resave',
  'rolling',
  'saveUninitialized',
  'unset',
  'idleTimeout',
  'absoluteTimeout',
  'touchAfter',
  'userKey',
  'settleShapes',
] as const satisfies ReadonlyArray<keyof SessionOptions>;

const SESSION_OPTIONS = [
  ...SHARED_OPTION_NAMES,
  'defaults',
  'store',
  'storeTimeout',
  'storeBreaker',
  'onStoreError',
  'deviceBound',
] as const satisfies ReadonlyArray<keyof SessionOptions>;

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = row[0] as number;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = row[j] as number;
      row[j] = Math.min(above + 1, (row[j - 1] as number) + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1));
      diagonal = above;
    }
  }
  return row[b.length] as number;
}

function suggestion(unknown: string, known: readonly string[]): string {
  const best = known
    .map((known) => [known, editDistance(unknown.toLowerCase(), known.toLowerCase())] as const)
    .sort((x, y) => x[1] - y[1])[0];
  return best && best[1] <= 3 ? ` (did you mean "${best[0]}"?)` : '';
}

function warn(message: string): void {
  processWarning(message, { code: 'COATCHECK_OPTIONS' });
}

type AnyOptions = Record<string, unknown>;

function boolean(label: string, options: AnyOptions, key: string, fallback: boolean): boolean {
  const value = options[key];
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') throw new TypeError(`${label} option ${key} must be a boolean`);
  return value;
}

/** A non-negative number option (milliseconds unless `unit` says otherwise), validated; `undefined` when absent. */
export function numberOption(
  label: string,
  options: AnyOptions,
  key: string,
  { allowZero = false, unit = 'milliseconds' } = {},
): number | undefined {
  const value = options[key];
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || (!allowZero && value === 0)) {
    throw new TypeError(
      `${label} option ${key} must be a ${allowZero ? 'non-negative' : 'positive'} number of ${unit}`,
    );
  }
  return value;
}

/** The options both middlewares take, as {@link resolveShared} reads them. */
type SharedOptions = Omit<SessionOptions, 'store' | 'storeTimeout' | 'storeBreaker'>;

/**
 * Validates the options `session()` and `cookieSession()` share and applies coatcheck's defaults.
 * `label` names the middleware in messages; `known` lists its options, for the unknown-option warning.
 */
export function resolveShared(
  label: string,
  options: SharedOptions,
  known: readonly string[],
  defaultName: string,
): Omit<ResolvedOptions, 'persistence'> {
  if (options === null || typeof options !== 'object') {
    throw new TypeError(`${label}() needs an options object with at least a secret`);
  }
  for (const key of Object.keys(options)) {
    if (!known.includes(key)) {
      warn(`coatcheck ${label}(): unknown option "${key}"${suggestion(key, known)} is ignored`);
    }
  }

  const name = options.name ?? options.key ?? defaultName;
  if (!isCookieName(name)) {
    throw new TypeError(`${label} option name must be a valid cookie name, got ${JSON.stringify(name)}`);
  }

  const legacy = (options as SessionOptions).defaults === 'express-session';
  const preset = legacy ? expressSessionDefaults : COATCHECK_DEFAULTS;
  const cookieDefaults = preset.cookie;
  const given = options.cookie ?? {};
  if (typeof given !== 'function' && (given === null || typeof given !== 'object')) {
    throw new TypeError(`${label} option cookie must be an object or a function returning one`);
  }
  const cookie =
    typeof given === 'function'
      ? (req: IncomingMessage) => validateCookie(label, name, { ...cookieDefaults, ...given(req) })
      : validateCookie(label, name, { ...cookieDefaults, ...given });

  if (options.genid !== undefined && typeof options.genid !== 'function') {
    throw new TypeError(`${label} option genid must be a function`);
  }
  if (options.proxy !== undefined && typeof options.proxy !== 'boolean') {
    throw new TypeError(`${label} option proxy must be a boolean`);
  }
  const unset = options.unset ?? 'keep';
  if (unset !== 'keep' && unset !== 'destroy') {
    throw new TypeError(`${label} option unset must be "keep" or "destroy"`);
  }
  const raw = options as AnyOptions;
  const absolute = options.absoluteTimeout;
  if (absolute !== undefined && absolute !== false) numberOption(label, raw, 'absoluteTimeout');
  if (options.userKey !== undefined && (typeof options.userKey !== 'string' || options.userKey === '')) {
    throw new TypeError(`${label} option userKey must be a non-empty string`);
  }
  // Checked after the other options, in express-session's order, so the first message is the same.
  if (options.secret === undefined || options.secret === null) {
    throw new TypeError(`${label} option secret is required`);
  }
  if (Array.isArray(options.secret) && options.secret.length === 0) {
    throw new TypeError(`${label}(): secret option array must contain one or more strings or Buffers`);
  }
  const keys = signingKeys(options.secret, 'secret');
  for (const where of shortSecrets(options.secret)) {
    warn(`coatcheck ${label}(): ${where} is shorter than ${MIN_SECRET_BYTES} bytes; use a long random one`);
  }

  return {
    keys,
    name,
    cookie,
    genid: options.genid,
    proxy: options.proxy,
    resave: boolean(label, raw, 'resave', preset.resave),
    rolling: boolean(label, raw, 'rolling', preset.rolling),
    saveUninitialized: boolean(label, raw, 'saveUninitialized', preset.saveUninitialized),
    unset,
    idleTimeout: numberOption(label, raw, 'idleTimeout'),
    absoluteTimeout: absolute === undefined ? preset.absoluteTimeout : absolute,
    touchAfter: numberOption(label, raw, 'touchAfter', { allowZero: true }) ?? preset.touchAfter,
    storeTimeout: DEFAULT_STORE_TIMEOUT,
    onStoreError: 'fail',
    userKey: options.userKey,
    settleShapes: boolean(label, raw, 'settleShapes', true),
    wholeRecordLock: new KeyedLock(),
    reporter: new SessionReporter(keys),
  };
}

/** Validates express-session-style options and applies coatcheck's defaults. */
export function resolveOptions(options: SessionOptions): ResolvedStoreOptions {
  const defaults = options?.defaults;
  if (defaults !== undefined && defaults !== 'coatcheck' && defaults !== 'express-session') {
    throw new TypeError('session option defaults must be "coatcheck" or "express-session"');
  }
  const shared = resolveShared('session', options, SESSION_OPTIONS, 'connect.sid');
  const originalStore = options.store ?? new MemoryStore();
  let store: SessionStore;
  if (isSessionStore(originalStore)) store = originalStore;
  else if (isConnectStore(originalStore)) store = fromConnectStore(originalStore);
  else throw new TypeError('session option store must be a coatcheck store or an express-session store');

  const deviceBound =
    options.deviceBound === undefined
      ? undefined
      : new DeviceBound(options.deviceBound, {
          keys: shared.keys,
          reporter: shared.reporter,
          userKey: shared.userKey,
          cookiePath: typeof shared.cookie === 'object' ? (shared.cookie.path ?? '/') : undefined,
        });
  return {
    ...shared,
    deviceBound,
    persistence: signedIdPersistence(shared.name, shared.keys, store, patchedView(originalStore, store)),
    store,
    originalStore,
    storeTimeout:
      numberOption('session', options as unknown as AnyOptions, 'storeTimeout') ?? DEFAULT_STORE_TIMEOUT,
    breaker: breakerFor(store, options.storeBreaker),
    onStoreError: storeErrorPolicy(options.onStoreError),
  };
}

function breakerFor(store: SessionStore, value: unknown): StoreBreaker | undefined {
  if (value === false) return undefined;
  if (value === undefined) return isInProcess(store) ? undefined : new StoreBreaker(store);
  if (value === null || typeof value !== 'object') {
    throw new TypeError('session option storeBreaker must be an object or false');
  }
  const raw = value as AnyOptions;
  for (const key of Object.keys(raw)) {
    if (key !== 'failures' && key !== 'probeInterval') {
      throw new TypeError(`session option storeBreaker has no option ${key}`);
    }
  }
  const failures = raw.failures;
  if (failures !== undefined && (!Number.isInteger(failures) || (failures as number) < 1)) {
    throw new TypeError('session option storeBreaker.failures must be a positive integer');
  }
  const probeInterval = raw.probeInterval;
  if (
    probeInterval !== undefined &&
    (typeof probeInterval !== 'number' || !Number.isFinite(probeInterval) || probeInterval <= 0)
  ) {
    throw new TypeError(
      'session option storeBreaker.probeInterval must be a positive number of milliseconds',
    );
  }
  // A store in this process does no I/O: nothing to break.
  if (isInProcess(store)) return undefined;
  return new StoreBreaker(store, {
    failures: failures as number | undefined,
    probeInterval: probeInterval as number | undefined,
  });
}

const CONNECT_METHODS = ['get', 'set', 'destroy', 'touch'] as const;

/**
 * For one of coatcheck's own stores (a `Store`), the same store driven through its express-session
 * methods, used while the application has replaced one of them on the instance: express-session
 * calls `store.set(…)`, so wrapping it there counts or delays every save, and coatcheck honours that.
 */
function patchedView(
  original: SessionStore | ConnectStore,
  store: SessionStore,
): { store: SessionStore; isPatched(): boolean } | undefined {
  if (!(original instanceof Store)) return undefined;
  let view: SessionStore | undefined;
  return {
    get store() {
      // A coatcheck store's own touch() is a refresh: express-session's resave: false refreshes through it.
      view ??= fromConnectStore(original as unknown as ConnectStore, store.name, { touchMovesExpiry: true });
      return view;
    },
    isPatched: () => CONNECT_METHODS.some((method) => Object.hasOwn(original, method)),
  };
}

function storeErrorPolicy(value: unknown): 'fail' | 'continue' {
  if (value === undefined) return 'fail';
  if (value !== 'fail' && value !== 'continue') {
    throw new TypeError('session option onStoreError must be "fail" or "continue"');
  }
  return value;
}

/** Where express-session's defaults are unsafe, these are not: HttpOnly, SameSite=Lax, Secure on HTTPS. */
export const COOKIE_DEFAULTS: Readonly<CookieOptions> = Object.freeze({
  path: '/',
  httpOnly: true,
  sameSite: 'lax',
  secure: 'auto',
});

/** The defaults `defaults` picks between. */
export interface SessionDefaults {
  readonly resave: boolean;
  readonly saveUninitialized: boolean;
  readonly rolling: boolean;
  readonly absoluteTimeout: number | false;
  /** `undefined`: a tenth of the idle timeout, at most 60 seconds. */
  readonly touchAfter: number | undefined;
  readonly cookie: Readonly<CookieOptions>;
}

const COATCHECK_DEFAULTS: SessionDefaults = Object.freeze({
  resave: false,
  saveUninitialized: false,
  rolling: false,
  absoluteTimeout: DEFAULT_ABSOLUTE_TIMEOUT,
  touchAfter: undefined,
  cookie: COOKIE_DEFAULTS,
});

/**
 * express-session's defaults, exactly, as `session({ defaults: 'express-session' })` applies them to
 * every option (and cookie attribute) the app leaves out: every session stored and re-saved on every
 * request, its expiry moved on every request, no absolute timeout, and a cookie with neither
 * `SameSite` nor `Secure`. For apps that depend on them while they migrate; the safer defaults are
 * coatcheck's own.
 *
 * @example
 * ```ts
 * import session, { expressSessionDefaults } from 'coatcheck';
 *
 * app.use(session({ secret: process.env.SESSION_SECRET!, defaults: 'express-session' }));
 * console.log(expressSessionDefaults.resave); // true
 * ```
 */
export const expressSessionDefaults: SessionDefaults = Object.freeze({
  resave: true,
  saveUninitialized: true,
  rolling: false,
  absoluteTimeout: false,
  touchAfter: 0,
  cookie: Object.freeze({ path: '/', httpOnly: true, secure: false }),
});

/**
 * Checks the session cookie's settings by the rules `serializeCookie` applies, so that a setting a
 * browser would drop or misread is a `TypeError` naming the option here, at construction (or, for
 * a cookie function, on each request), never a failure when a response is serialized. A prefixed
 * name (`__Secure-`, `__Host-`, `__Http-`, in any case, as browsers match them) turns
 * `secure: 'auto'` into `true`: such a cookie is never sent over plain HTTP.
 */
export function validateCookie(label: string, name: string, cookie: CookieOptions): CookieOptions {
  return checkCookieSettings(name, cookie, (key) => `${label} option cookie.${key}`);
}
