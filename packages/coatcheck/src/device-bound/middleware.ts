/**
 * Device-bound sessions (DBSC) in a request: the registration and refresh endpoints and the check
 * of the bound cookie on every other request. Past 300 lines because those three share the
 * challenge cache, the bound-cookie keys and the session hook; the parts that stand alone (proof
 * verification, challenges, the bound cookie, JWKs, structured headers) are modules of their own.
 *
 * @module
 */
import type { KeyObject } from 'node:crypto';
import { backend, nodeOnly } from '#crypto';
import { isCookieName } from '../cookies/attributes.js';
import { findCookie } from '../cookies/parse.js';
import { serializeCookie } from '../cookies/serialize.js';
import { DeviceProofError } from '../errors.js';
import { deriveKeys, previous } from '../keys.js';
import type { SessionReporter } from '../session/events.js';
import { type Session, STATE } from '../session/session.js';
import { type BoundKey, bindingOf, type DeviceBinding, spend, withChallenge } from './binding.js';
import { BoundCookies } from './bound-cookie.js';
import { type ChallengePurpose, Challenges } from './challenge.js';
import type { DeviceBoundHook, DeviceRequest, DeviceResponse } from './hook.js';
import { verifyDeviceProof } from './proof.js';
import {
  challengeHeader,
  type DeviceKeyAlgorithm,
  registrationHeader,
  sessionIdentifierOf,
  sfString,
} from './structured.js';

// Device-bound sessions need node:crypto (public-key proofs); under Web Crypto they are refused
// at construction, before any of these is called.
const { randomBytes } = nodeOnly;

/**
 * The `deviceBound` option of `session()`: Device Bound Session Credentials (the W3C DBSC draft).
 *
 * @example
 * ```ts
 * const sessions = session({
 *   secret,
 *   store,
 *   userKey: 'userId',
 *   deviceBound: { cookie: { maxAge: 10 * 60 * 1000 }, enforcement: 'enforce' },
 * });
 * ```
 */
export interface DeviceBoundOptions {
  /** Where browsers register their key. Default `'/.coatcheck/dbsc/registration'`; keep it out of the application's routes. */
  registrationPath?: string | undefined;
  /** Where browsers renew the bound cookie. Default `'/.coatcheck/dbsc/refresh'`. */
  refreshPath?: string | undefined;
  /** The bound cookie: default name `'__Host-coatcheck-bound'`, lifetime (`maxAge`, ms) 10 minutes, `sameSite` `'lax'`. */
  cookie?:
    | {
        name?: string | undefined;
        maxAge?: number | undefined;
        sameSite?: 'lax' | 'strict' | 'none' | undefined;
      }
    | undefined;
  /** How long a challenge may be answered, in milliseconds. Default 5 minutes. */
  challengeTimeout?: number | undefined;
  /**
   * What a bound session's cookie gets without a valid bound cookie: `'enforce'` (default) gives the
   * request a fresh session; `'report'` only emits `usedWithoutDeviceProof`, for a gradual rollout.
   */
  enforcement?: 'enforce' | 'report' | undefined;
  /**
   * When binding starts: `'sign-in'`, on the response where the session gains a user (`userKey`);
   * `'manual'`, only where the application calls `sessions.bindDevice(req)`. Default `'sign-in'`
   * with a `userKey`, else `'manual'`.
   */
  start?: 'sign-in' | 'manual' | undefined;
  /** Algorithms offered to browsers and accepted in proofs. Default `['ES256', 'RS256']`. */
  algorithms?: readonly DeviceKeyAlgorithm[] | undefined;
}

/** A request's device binding, for a "this device" page. */
export interface DeviceBindingInfo {
  /** When the browser registered its key. */
  since: Date;
  /** The last time it proved it holds the key (or registered). */
  refreshed: Date;
  /** When the bound cookie this request carried expires, or `null` without one. */
  boundCookieExpires: Date | null;
  /** The request carried a valid, unexpired bound cookie. */
  proven: boolean;
  /** RFC 7638 thumbprint of the device's public key. */
  thumbprint: string;
}

const MINUTE = 60_000;
const DEFAULT_OPTIONS = {
  registrationPath: '/.coatcheck/dbsc/registration',
  refreshPath: '/.coatcheck/dbsc/refresh',
  cookieName: '__Host-coatcheck-bound',
  maxAge: 10 * MINUTE,
  challengeTimeout: 5 * MINUTE,
};
const ALGORITHMS: readonly DeviceKeyAlgorithm[] = ['ES256', 'RS256'];
const OPTION_NAMES = [
  'registrationPath',
  'refreshPath',
  'cookie',
  'challengeTimeout',
  'enforcement',
  'start',
  'algorithms',
];
const PATH = /^\/[\x21-\x3a\x3c-\x7e]*$/;
const SPENT_CACHE_SIZE = 10_000;
const MAX_ALLOWANCE = 2000;

interface RequestBinding {
  /** The request carried a valid bound cookie for this session ID, expiring then. */
  admitted?: { id: string; expires: number } | undefined;
  /** `bindDevice()` asked for a registration on this response. */
  requested?: { authorization?: string | undefined } | undefined;
  responded?: boolean;
}

/** What the endpoints need from `session()`. */
export interface DeviceBoundContext {
  keys: readonly KeyObject[];
  reporter: SessionReporter;
  userKey: string | undefined;
  /** The session cookie's path, when fixed: the endpoints must be under it to see the session. */
  cookiePath: string | undefined;
}

/**
 * The keys for one device-bound MAC (keys.ts): the newest secret's makes, every listed secret's
 * checks, and the previous derivation of each is still accepted so an upgrade admits bound devices.
 */
function macKeys(secrets: readonly KeyObject[], use: 'challenge' | 'cookie'): KeyObject[] {
  return [
    ...deriveKeys(secrets, `device-bound ${use}`),
    ...secrets.map((secret) => previous.deviceBoundKey(secret, use)),
  ];
}

function pathOf(req: DeviceRequest): string {
  const url = req.originalUrl ?? req.url ?? '/';
  const query = url.indexOf('?');
  return query === -1 ? url : url.slice(0, query);
}

function positive(value: unknown, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new TypeError(`session option deviceBound.${name} must be a positive number of milliseconds`);
  }
  return value;
}

function appendHeader(res: DeviceResponse, name: string, value: string): void {
  const previous = res.getHeader(name);
  if (previous === undefined) res.setHeader(name, value);
  else res.setHeader(name, [...(Array.isArray(previous) ? previous : [String(previous)]), value]);
}

/**
 * Device binding for `session()`: the engine hook (admission and response headers), the
 * registration and refresh endpoints, and the request-side manager calls.
 */
export class DeviceBound implements DeviceBoundHook {
  readonly registrationPath: string;
  readonly refreshPath: string;
  readonly cookieName: string;
  readonly #maxAge: number;
  readonly #sameSite: 'lax' | 'strict' | 'none';
  readonly #challengeTimeout: number;
  readonly #enforce: boolean;
  readonly #startOnSignIn: boolean;
  readonly #algorithms: readonly DeviceKeyAlgorithm[];
  readonly #reporter: SessionReporter;
  readonly #challenges: Challenges;
  readonly #cookies: BoundCookies;
  readonly #requests = new WeakMap<DeviceRequest, RequestBinding>();
  /** Challenges spent in this process, so a replay racing the first use loses even before the store has it. */
  readonly #spent = new Map<string, number>();

  constructor(options: DeviceBoundOptions, context: DeviceBoundContext) {
    if (options === null || typeof options !== 'object') {
      throw new TypeError('session option deviceBound must be an object');
    }
    if (backend !== 'node:crypto') {
      // The proofs are public-key signatures, checked synchronously with node:crypto.
      throw new TypeError(
        'session option deviceBound needs node:crypto (Node.js, Bun or Deno); this runtime has Web Crypto only',
      );
    }
    for (const key of Object.keys(options)) {
      if (!OPTION_NAMES.includes(key))
        throw new TypeError(`session option deviceBound.${key} is not an option`);
    }
    this.registrationPath = options.registrationPath ?? DEFAULT_OPTIONS.registrationPath;
    this.refreshPath = options.refreshPath ?? DEFAULT_OPTIONS.refreshPath;
    for (const [name, path] of [
      ['registrationPath', this.registrationPath],
      ['refreshPath', this.refreshPath],
    ] as const) {
      if (typeof path !== 'string' || !PATH.test(path)) {
        throw new TypeError(`session option deviceBound.${name} must be a path starting with "/"`);
      }
      if (context.cookiePath !== undefined && !path.startsWith(context.cookiePath)) {
        throw new TypeError(`session option deviceBound.${name} must be under the session cookie's path`);
      }
    }
    if (this.registrationPath === this.refreshPath) {
      throw new TypeError('session option deviceBound: registrationPath and refreshPath must differ');
    }
    const cookie = options.cookie ?? {};
    this.cookieName = cookie.name ?? DEFAULT_OPTIONS.cookieName;
    if (!isCookieName(this.cookieName)) {
      throw new TypeError('session option deviceBound.cookie.name must be a valid cookie name');
    }
    this.#maxAge = positive(cookie.maxAge, 'cookie.maxAge', DEFAULT_OPTIONS.maxAge);
    if (this.#maxAge < 1000)
      throw new TypeError('session option deviceBound.cookie.maxAge must be at least 1000 ms');
    const sameSite = cookie.sameSite ?? 'lax';
    if (sameSite !== 'lax' && sameSite !== 'strict' && sameSite !== 'none') {
      throw new TypeError('session option deviceBound.cookie.sameSite must be "lax", "strict" or "none"');
    }
    this.#sameSite = sameSite;
    this.#challengeTimeout = positive(
      options.challengeTimeout,
      'challengeTimeout',
      DEFAULT_OPTIONS.challengeTimeout,
    );
    const enforcement = options.enforcement ?? 'enforce';
    if (enforcement !== 'enforce' && enforcement !== 'report') {
      throw new TypeError('session option deviceBound.enforcement must be "enforce" or "report"');
    }
    this.#enforce = enforcement === 'enforce';
    const start = options.start ?? (context.userKey === undefined ? 'manual' : 'sign-in');
    if (start !== 'sign-in' && start !== 'manual') {
      throw new TypeError('session option deviceBound.start must be "sign-in" or "manual"');
    }
    if (start === 'sign-in' && context.userKey === undefined) {
      throw new TypeError('session option deviceBound.start "sign-in" needs the userKey option');
    }
    this.#startOnSignIn = start === 'sign-in';
    const algorithms = options.algorithms ?? ALGORITHMS;
    if (
      !Array.isArray(algorithms) ||
      algorithms.length === 0 ||
      algorithms.some((alg) => !ALGORITHMS.includes(alg))
    ) {
      throw new TypeError('session option deviceBound.algorithms must list "ES256" and/or "RS256"');
    }
    this.#algorithms = [...new Set(algorithms)];
    this.#reporter = context.reporter;
    // Keys of their own, derived from the session secrets, so no MAC here can be mistaken for another.
    this.#challenges = new Challenges(macKeys(context.keys, 'challenge'));
    // A request Chromium sent with a live cookie may reach the check a moment after it died; a tenth
    // of the lifetime (at most 2 s) absorbs that without giving a copy any real time.
    this.#cookies = new BoundCookies(
      macKeys(context.keys, 'cookie'),
      Math.min(MAX_ALLOWANCE, this.#maxAge / 10),
    );
  }

  #request(req: DeviceRequest): RequestBinding {
    let state = this.#requests.get(req);
    if (!state) {
      state = {};
      this.#requests.set(req, state);
    }
    return state;
  }

  /** The endpoint a request is for, if any. */
  endpointOf(req: DeviceRequest): 'registration' | 'refresh' | undefined {
    if (req.method !== 'POST') return undefined;
    const path = pathOf(req);
    if (path === this.registrationPath) return 'registration';
    if (path === this.refreshPath) return 'refresh';
    return undefined;
  }

  /** The session's binding, read once per request from what the store gave. */
  #bindingOf(session: Session): DeviceBinding | undefined {
    const state = session[STATE];
    if (state.binding === undefined) return undefined;
    const binding = bindingOf(state.binding);
    state.binding = binding;
    return binding;
  }

  #setBinding(session: Session, binding: DeviceBinding): void {
    const state = session[STATE];
    state.binding = binding;
    state.bindingChanged = true;
  }

  admits(req: DeviceRequest, session: Session, now: number): boolean {
    const key = this.#bindingOf(session)?.key;
    if (!key) return true;
    const value = findCookie(req.headers.cookie, this.cookieName);
    const check = this.#cookies.check(value, session.id, key.thumbprint, now);
    if (check === 'valid') {
      this.#request(req).admitted = { id: session.id, expires: this.#cookies.expiresOf(value) as number };
      return true;
    }
    // The endpoints check the device's proof themselves: that is how an expired bound cookie is renewed.
    if (this.endpointOf(req) !== undefined) return true;
    const user = session[STATE].user;
    this.#reporter.emit('usedWithoutDeviceProof', {
      handle: this.#reporter.handleOf(session.id),
      user,
      reason: check,
      enforced: this.#enforce,
    });
    return !this.#enforce;
  }

  respond(
    req: DeviceRequest,
    res: DeviceResponse,
    session: Session,
    user: string | undefined,
    secure: boolean,
    arrivedWith: string | undefined,
  ): void {
    const request = this.#requests.get(req);
    if (request?.responded) return;
    const state = session[STATE];
    const binding = this.#bindingOf(session);
    if (binding?.key) {
      // rotate() moved a proven session to a new ID: the bound cookie follows it, keeping its expiry.
      const admitted = request?.admitted;
      if (admitted && admitted.id !== session.id && secure) {
        this.#setBoundCookie(res, session.id, binding.key, admitted.expires, Date.now());
        admitted.id = session.id;
      }
      return;
    }
    if (!secure) return;
    // A sign-in: the session gains a user, or a session with a user got a new ID (rotate() or
    // regenerate() on login; regenerate() keeps the old owner until the response ends).
    const signedIn = user !== undefined && (user !== state.user || session.id !== arrivedWith);
    const wanted = request?.requested ?? (this.#startOnSignIn && signedIn ? {} : undefined);
    if (!wanted || this.endpointOf(req) !== undefined) return;
    this.#request(req).responded = true;
    const now = Date.now();
    const expires = now + this.#challengeTimeout;
    const value = this.#challenges.issue('registration', session.id, expires);
    const authorization = wanted.authorization;
    this.#setBinding(
      session,
      withChallenge(
        binding ?? { challenges: [] },
        authorization === undefined
          ? { value, purpose: 'registration', expires }
          : { value, purpose: 'registration', expires, authorization },
        now,
      ),
    );
    appendHeader(
      res,
      'Secure-Session-Registration',
      registrationHeader({
        algorithms: this.#algorithms,
        path: this.registrationPath,
        challenge: value,
        authorization,
      }),
    );
  }

  /** Asks for a registration on this request's response (`start: 'manual'`, or again after a failure). */
  bindDevice(req: DeviceRequest, options: { authorization?: string | undefined } = {}): void {
    if (options.authorization !== undefined) sfString(options.authorization);
    this.#request(req).requested = { authorization: options.authorization };
  }

  /** The binding of the request's session, or `undefined` when it is not bound. */
  info(
    req: DeviceRequest & { session?: unknown },
    current: unknown = req.session,
  ): DeviceBindingInfo | undefined {
    const session = current as Session | undefined;
    if (!session || typeof session !== 'object' || !(STATE in session)) return undefined;
    const key = this.#bindingOf(session)?.key;
    if (!key) return undefined;
    const admitted = this.#requests.get(req)?.admitted;
    const carried =
      admitted?.expires ?? this.#cookies.expiresOf(findCookie(req.headers.cookie, this.cookieName));
    return {
      since: new Date(key.since),
      refreshed: new Date(key.refreshed),
      boundCookieExpires: carried === undefined ? null : new Date(carried),
      proven: admitted !== undefined,
      thumbprint: key.thumbprint,
    };
  }

  /** Whether a stored binding holds a registered key, for `listByUser`. */
  static isBound(stored: unknown): boolean {
    return bindingOf(stored)?.key !== undefined;
  }

  /** The bound cookie's value for a session and key, good until `expires`. */
  boundCookieValue(sessionId: string, thumbprint: string, expires: number): string {
    return this.#cookies.value(sessionId, thumbprint, expires);
  }

  #setBoundCookie(res: DeviceResponse, sessionId: string, key: BoundKey, expires: number, now: number): void {
    const value = this.boundCookieValue(sessionId, key.thumbprint, expires);
    appendHeader(
      res,
      'Set-Cookie',
      serializeCookie(this.cookieName, value, {
        // Rounded down: the browser drops the cookie no later than the server stops accepting it.
        maxAge: Math.max(0, Math.floor((expires - now) / 1000)),
        path: '/',
        httpOnly: true,
        secure: true,
        sameSite: this.#sameSite,
      }),
    );
    if (!res.hasHeader('Cache-Control')) res.setHeader('Cache-Control', 'no-store');
  }

  /** The session configuration the browser keeps: which cookie to keep fresh, and where. */
  #configuration(key: BoundKey): string {
    const sameSite = this.#sameSite[0]?.toUpperCase() + this.#sameSite.slice(1);
    return JSON.stringify({
      session_identifier: key.id,
      refresh_url: this.refreshPath,
      scope: { include_site: false, scope_specification: [] },
      credentials: [
        {
          type: 'cookie',
          name: this.cookieName,
          attributes: `Path=/; Secure; HttpOnly; SameSite=${sameSite}`,
        },
      ],
    });
  }

  #refuse(
    res: DeviceResponse,
    status: number,
    step: 'registration' | 'refresh',
    reason: string,
    session: Session | undefined,
  ): void {
    this.#reporter.emit('deviceRefreshFailed', {
      step,
      reason,
      handle: session ? this.#reporter.handleOf(session.id) : undefined,
      user: session?.[STATE].user,
    });
    res.statusCode = status;
    res.setHeader('Cache-Control', 'no-store');
    res.setHeader('Content-Type', 'text/plain; charset=utf-8');
    res.end(status === 401 ? 'Unauthorized' : 'Forbidden');
  }

  #remember(value: string, expires: number, now: number): void {
    if (this.#spent.size >= SPENT_CACHE_SIZE) {
      for (const [spent, until] of this.#spent) if (until <= now) this.#spent.delete(spent);
      if (this.#spent.size >= SPENT_CACHE_SIZE) this.#spent.delete(this.#spent.keys().next().value as string);
    }
    this.#spent.set(value, expires);
  }

  /** Spends the proof's challenge; the reason it cannot be spent, or the spent challenge. */
  #spendChallenge(
    session: Session,
    binding: DeviceBinding,
    jti: string,
    purpose: ChallengePurpose,
    now: number,
    authorization?: string | undefined,
  ): { reason: string } | { binding: DeviceBinding } {
    const check = this.#challenges.check(jti, purpose, session.id, now);
    if (check === 'forged') return { reason: 'challenge-unknown' };
    if (check === 'expired') return { reason: 'challenge-expired' };
    const spent = spend(binding, jti);
    if (!spent || this.#spent.has(jti)) return { reason: 'challenge-replayed' };
    // Checked before the challenge is spent: a proof without the right value does not use it up.
    if (spent.challenge.authorization !== undefined && authorization !== spent.challenge.authorization) {
      return { reason: 'authorization' };
    }
    this.#remember(jti, spent.challenge.expires, now);
    return { binding: spent.binding };
  }

  /** Serves a registration or refresh request; the session has been loaded by then. */
  serve(
    endpoint: 'registration' | 'refresh',
    req: DeviceRequest & { session?: unknown },
    res: DeviceResponse,
    current: unknown = req.session,
  ): void {
    const session = current as Session | undefined;
    const live =
      session && typeof session === 'object' && STATE in session && !session[STATE].isNew
        ? session
        : undefined;
    if (endpoint === 'registration') this.#register(req, res, live);
    else this.#refresh(req, res, live);
  }

  #register(req: DeviceRequest, res: DeviceResponse, session: Session | undefined): void {
    if (!session) {
      this.#refuse(res, 401, 'registration', 'no-session', undefined);
      return;
    }
    const binding = this.#bindingOf(session);
    if (!binding) {
      this.#refuse(res, 401, 'registration', 'not-started', session);
      return;
    }
    if (binding.key) {
      this.#refuse(res, 401, 'registration', 'already-bound', session);
      return;
    }
    let proof: ReturnType<typeof verifyDeviceProof>;
    try {
      proof = verifyDeviceProof(req.headers['secure-session-response'], { algorithms: this.#algorithms });
    } catch (err) {
      if (!(err instanceof DeviceProofError)) throw err;
      this.#refuse(res, 401, 'registration', err.reason, session);
      return;
    }
    const now = Date.now();
    const spent = this.#spendChallenge(session, binding, proof.jti, 'registration', now, proof.authorization);
    if ('reason' in spent) {
      this.#refuse(res, 401, 'registration', spent.reason, session);
      return;
    }
    const key: BoundKey = {
      id: randomBytes(16).toString('base64url'),
      alg: proof.alg,
      jwk: proof.jwk,
      thumbprint: proof.thumbprint,
      since: now,
      refreshed: now,
    };
    // Bound now: the registration challenges left are worthless, so none are kept.
    this.#setBinding(session, { challenges: [], key });
    this.#setBoundCookie(res, session.id, key, now + this.#maxAge, now);
    this.#reporter.emit('deviceBound', {
      handle: this.#reporter.handleOf(session.id),
      user: session[STATE].user,
    });
    this.#answer(res, key);
  }

  #answer(res: DeviceResponse, key: BoundKey): void {
    res.statusCode = 200;
    res.setHeader('Content-Type', 'application/json');
    res.setHeader('Cache-Control', 'no-store');
    res.end(this.#configuration(key));
  }

  /** Issues a refresh challenge, kept in the session; resolves the header value that carries it. */
  #challenge(session: Session, binding: DeviceBinding, key: BoundKey, lifetime: number): string {
    const now = Date.now();
    const expires = now + lifetime;
    const value = this.#challenges.issue('refresh', session.id, expires);
    this.#setBinding(session, withChallenge(binding, { value, purpose: 'refresh', expires }, now));
    return challengeHeader(value, key.id);
  }

  #refresh(req: DeviceRequest, res: DeviceResponse, session: Session | undefined): void {
    if (!session) {
      this.#refuse(res, 401, 'refresh', 'no-session', undefined);
      return;
    }
    const binding = this.#bindingOf(session);
    const key = binding?.key;
    if (!binding || !key) {
      this.#refuse(res, 401, 'refresh', 'not-bound', session);
      return;
    }
    if (sessionIdentifierOf(req.headers['sec-secure-session-id']) !== key.id) {
      this.#refuse(res, 401, 'refresh', 'identifier', session);
      return;
    }
    const token = req.headers['secure-session-response'];
    if (token === undefined) {
      res.setHeader(
        'Secure-Session-Challenge',
        this.#challenge(session, binding, key, this.#challengeTimeout),
      );
      res.statusCode = 403;
      res.setHeader('Cache-Control', 'no-store');
      res.end();
      return;
    }
    let proof: ReturnType<typeof verifyDeviceProof>;
    try {
      proof = verifyDeviceProof(token, { algorithms: this.#algorithms, registered: key });
    } catch (err) {
      if (!(err instanceof DeviceProofError)) throw err;
      this.#refuse(res, 401, 'refresh', err.reason, session);
      return;
    }
    const now = Date.now();
    const spent = this.#spendChallenge(session, binding, proof.jti, 'refresh', now);
    if ('reason' in spent) {
      // Signed by the registered key, over a challenge that is stale or spent: a new one lets the
      // device try again; a thief without the key can do nothing with it.
      res.setHeader(
        'Secure-Session-Challenge',
        this.#challenge(session, binding, key, this.#challengeTimeout),
      );
      this.#refuse(res, 403, 'refresh', spent.reason, session);
      return;
    }
    const refreshed: BoundKey = { ...key, refreshed: now };
    // The next challenge rides on this answer (the browser caches it), so it must outlive the cookie.
    res.setHeader(
      'Secure-Session-Challenge',
      this.#challenge(
        session,
        { ...spent.binding, key: refreshed },
        refreshed,
        this.#maxAge + this.#challengeTimeout,
      ),
    );
    this.#setBoundCookie(res, session.id, refreshed, now + this.#maxAge, now);
    this.#reporter.emit('deviceRefreshed', {
      handle: this.#reporter.handleOf(session.id),
      user: session[STATE].user,
    });
    this.#answer(res, refreshed);
  }
}
