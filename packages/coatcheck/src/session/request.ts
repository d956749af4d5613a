import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { TLSSocket } from 'node:tls';
import { BINDING_KEY } from '../device-bound/binding.js';
import {
  SessionNotFoundError,
  SessionRecordError,
  SessionSerializeError,
  StoreError,
  type StoreOperation,
} from '../errors.js';
import { andThen } from '../lib/settle.js';
import { asStoreError, inProcessCall, storeCall } from '../lib/timeout.js';
import {
  applyPatch,
  type CookieJSON,
  type SessionPatch,
  type SessionRecord,
  type StoredData,
} from '../stores/contract.js';
import { immediateCallsOf } from '../stores/immediate.js';
import { Cookie, type CookieOptions } from './cookie.js';
import { DEFAULT_IDLE_TIMEOUT, type ResolvedOptions } from './options.js';
import type { CookieReading, ParsedCookies, RequestPersistence } from './persistence.js';
import { isReservedKey, Session, type SessionHost, type SessionState, STATE } from './session.js';

/** A request as the middleware extends it. */
export interface SessionRequest extends IncomingMessage {
  session?: Session | null | undefined;
  sessionID?: string;
  sessionStore?: unknown;
  secure?: boolean;
  originalUrl?: string;
}

const MAX_TOUCH_AFTER = 60_000;

/** 192 bits from the CSPRNG, base64url: 32 characters, as long as express-session's IDs. */
export function generateSessionId(): string {
  return randomBytes(24).toString('base64url');
}

/** The idle timeout that applies to one session: the option, else its cookie's lifetime, else 24 hours. */
export function idleTimeoutOf(options: ResolvedOptions, session: Session): number {
  return options.idleTimeout ?? session.cookie.originalMaxAge ?? DEFAULT_IDLE_TIMEOUT;
}

/**
 * How long the store keeps a session after its idle deadline: one more idle timeout, at most
 * {@link MAX_IDLE_GRACE}. The middleware ends the session at the deadline itself (from the stored
 * `touched`); the record stays only so that a browser coming back in that time is told its session
 * expired (`expired`, reason `'idle'`) rather than that it is unknown.
 */
export function idleGraceOf(idleTimeout: number): number {
  return Math.min(idleTimeout, MAX_IDLE_GRACE);
}

/** The longest a store keeps an idled-out session for reporting: 24 hours. */
export const MAX_IDLE_GRACE = DEFAULT_IDLE_TIMEOUT;

/** A stored record's idle timeout, as {@link idleTimeoutOf} gives it for the session it holds. */
function recordIdleTimeout(options: ResolvedOptions, record: SessionRecord): number {
  if (options.idleTimeout !== undefined) return options.idleTimeout;
  const lifetime = record.data?.cookie?.originalMaxAge;
  return typeof lifetime === 'number' && Number.isFinite(lifetime) ? lifetime : DEFAULT_IDLE_TIMEOUT;
}

/**
 * When a stored session ends unless used again: its last write or refresh plus its idle timeout.
 * The record's own `expires` lies later, by the grace of {@link idleGraceOf}.
 */
export function idleDeadlineOf(options: ResolvedOptions, record: SessionRecord): number {
  const touched = Number.isFinite(record.touched) ? record.touched : record.expires;
  return Math.min(touched + recordIdleTimeout(options, record), record.expires);
}

/** Why a stored session is over at `now` (`'idle'` or `'absolute'`, whichever came first), or `undefined`. */
export function endOf(
  options: ResolvedOptions,
  record: SessionRecord,
  now: number,
): 'idle' | 'absolute' | undefined {
  const idle = idleDeadlineOf(options, record);
  const absolute =
    options.absoluteTimeout === false ? Number.POSITIVE_INFINITY : record.created + options.absoluteTimeout;
  if (idle > now && absolute > now) return undefined;
  return idle <= absolute ? 'idle' : 'absolute';
}

function isSecure(req: SessionRequest, proxy: boolean | undefined): boolean {
  if ((req.socket as TLSSocket | undefined)?.encrypted) return true;
  if (proxy === false) return false;
  if (proxy !== true) return req.secure === true;
  const header = req.headers['x-forwarded-proto'];
  const first = (Array.isArray(header) ? header[0] : header)?.split(',')[0]?.trim().toLowerCase();
  return first === 'https';
}

function jsonOf(key: string, value: unknown): string | undefined {
  try {
    return JSON.stringify(value);
  } catch (err) {
    throw new SessionSerializeError(key, { cause: err });
  }
}

/** The cookie's settings but its expiry, as one string: a change of any of them means a save. */
function cookieSettingsKey(cookie: Cookie): string {
  return `${cookie.originalMaxAge}|${cookie.path}|${cookie.httpOnly}|${cookie.domain}|${cookie.secure}|${cookie.sameSite}|${cookie.partitioned}|${cookie.priority}`;
}

interface Changes {
  set: Record<string, unknown>;
  unset: string[];
  json: Map<string, string>;
  modified: boolean;
  cookieChanged: boolean;
}

/**
 * The life of one request's session: loading it, answering the session methods, and, when the
 * response ends, writing what changed and setting the cookie.
 */
export class RequestSession implements SessionHost {
  readonly #options: ResolvedOptions;
  readonly #req: SessionRequest;
  readonly #res: ServerResponse;
  readonly #cookieOptions: CookieOptions;
  /** Whether the request came over HTTPS; worked out only when a cookie needs it. */
  #secureCache: boolean | undefined;
  readonly #persistence: RequestPersistence;
  /** The ID the request's cookie carried, once verified. */
  #cookieId: string | undefined;
  /** The cookie was signed or sealed with an older secret: send it again under the newest. */
  #renew = false;
  /** The session the request started with or last switched to. */
  #current: Session | undefined;
  /** A session was destroyed during this request and its cookie should be cleared. */
  #cleared = false;
  #cookieHandled = false;

  constructor(options: ResolvedOptions, req: SessionRequest, res: ServerResponse) {
    this.#options = options;
    this.#req = req;
    this.#res = res;
    this.#cookieOptions = typeof options.cookie === 'function' ? options.cookie(req) : options.cookie;
    this.#persistence = options.persistence.forRequest();
  }

  get #secure(): boolean {
    this.#secureCache ??= isSecure(this.#req, this.#options.proxy);
    return this.#secureCache;
  }

  get #store() {
    return this.#persistence.store;
  }

  #call<T>(operation: StoreOperation, run: () => Promise<T>): Promise<T> {
    // A local store is this request's memory: no deadline to keep, and its errors are already the
    // ones to report (a session too large for its cookie is not a store outage).
    if (this.#persistence.local) return run();
    const store = this.#store;
    const breaker = this.#options.breaker;
    const timeout = this.#options.storeTimeout;
    const call = store.inProcess
      ? inProcessCall(store.name, operation, run)
      : breaker === undefined
        ? storeCall(store.name, operation, timeout, run)
        : breaker.run(operation, timeout, (deadline) => storeCall(store.name, operation, deadline, run));
    if (!this.#reporter.wants('storeError')) return call;
    return call.catch((error: StoreError | SessionRecordError) => {
      if (error instanceof StoreError) this.#reporter.emit('storeError', { error });
      throw error;
    });
  }

  /** {@link #call} for a store's immediate call: the same errors and events, with no promise. */
  #callNow<T>(operation: StoreOperation, run: () => T): T {
    try {
      return run();
    } catch (err) {
      const error = asStoreError(this.#store.name, operation, err);
      if (error instanceof StoreError && this.#reporter.wants('storeError')) {
        this.#reporter.emit('storeError', { error });
      }
      throw error;
    }
  }

  get #reporter() {
    return this.#options.reporter;
  }

  /** Under `onStoreError: 'continue'`, whether this store failure is one to carry on past. */
  #carriesOn(err: unknown): boolean {
    return this.#options.onStoreError === 'continue' && err instanceof StoreError && !this.#persistence.local;
  }

  /** A fresh session that is never written, for a request that carries on while the store is out. */
  #offlineSession(now: number): Session {
    const session = this.#fresh(now);
    session[STATE].offline = true;
    return session;
  }

  /**
   * Puts a never-stored session in place without asking the store, for a request that carries on
   * (`onStoreError: 'continue'`) while the store is known to be out.
   */
  loadOffline(error: StoreError): void {
    this.#reporter.emit('storeError', { error });
    this.#install(this.#offlineSession(Date.now()));
  }

  /**
   * Reads the cookie and the stored session, and puts `req.session` in place. Returns `undefined`
   * when that is done already (a store with immediate calls), else a promise.
   */
  load(): Promise<void> | undefined {
    const read = this.#persistence.readCookie(this.#req.headers.cookie);
    return read instanceof Promise
      ? read.then((reading) => this.#loadFrom(this.#orParsed(reading)))
      : this.#loadFrom(this.#orParsed(read));
  }

  /** express-session's fallback: a header without a usable session cookie, but a cookie parser ran first. */
  #orParsed(reading: CookieReading): CookieReading {
    if (reading.kind !== 'none' && reading.kind !== 'tampered') return reading;
    const req = this.#req as SessionRequest & ParsedCookies;
    if (req.signedCookies === undefined && req.cookies === undefined) return reading;
    return this.#persistence.readParsed?.(req) ?? reading;
  }

  #loadFrom(reading: CookieReading): Promise<void> | undefined {
    const now = Date.now();
    if (reading.kind === 'tampered') {
      this.#reporter.ended.set(this.#req, 'tampered');
      this.#reporter.emit('tampered', { reason: reading.reason });
    } else if (reading.kind === 'revoked') {
      this.#cleared = true;
      this.#reporter.ended.set(this.#req, 'revoked');
      this.#reporter.emit('revoked', { handles: [this.#reporter.handleOf(reading.id)], user: reading.user });
    } else if (reading.kind === 'session') {
      const id = reading.id;
      this.#cookieId = id;
      this.#renew = reading.renew;
      const immediate = immediateCallsOf(this.#store);
      if (immediate) {
        let record: SessionRecord | undefined;
        try {
          record = this.#callNow('read', () => immediate.read(id));
        } catch (err) {
          if (err instanceof SessionRecordError) return this.#damaged(id, now);
          if (!this.#carriesOn(err)) throw err;
          this.#install(this.#offlineSession(now));
          return undefined;
        }
        return this.#loaded(id, record, now);
      }
      return this.#call('read', () => this.#store.read(id)).then(
        (record) => this.#loaded(id, record, now),
        (err: unknown) => {
          if (err instanceof SessionRecordError) return this.#damaged(id, now);
          if (!this.#carriesOn(err)) throw err;
          this.#install(this.#offlineSession(now));
        },
      );
    }
    this.#install(this.#fresh(now));
    return undefined;
  }

  /**
   * The store holds a record under the cookie's ID that it cannot read back: a fresh session, the
   * request reported as `tampered` (reason `'record'`), and the record removed, so the next request
   * with this cookie is an `unknown` one rather than the same failure again.
   */
  #damaged(id: string, now: number): Promise<void> {
    this.#reporter.ended.set(this.#req, 'tampered');
    this.#reporter.emit('tampered', { reason: 'record', handle: this.#reporter.handleOf(id) });
    return this.#call('remove', () => this.#remove(id)).then(() => this.#install(this.#fresh(now)));
  }

  /** Puts the session read from the store in place, or a fresh one when it is missing or over. */
  #loaded(id: string, record: SessionRecord | undefined, now: number): Promise<void> | undefined {
    if (record && this.#alive(record, now)) {
      const session = this.#hydrate(id, record);
      if (this.#options.deviceBound?.admits(this.#req, session, now) === false) {
        // Bound to a device this request did not prove it came from: the stored session stays for
        // that device, and this request starts afresh.
        this.#reporter.ended.set(this.#req, 'unbound');
        this.#install(this.#fresh(now));
        return undefined;
      }
      this.#install(session);
      return undefined;
    }
    this.#reporter.ended.set(this.#req, record ? 'expired' : 'unknown');
    if (record) {
      return this.#call('remove', () => this.#remove(id)).then(() => {
        const reason = endOf(this.#options, record, now) ?? 'idle';
        this.#reporter.emit('expired', { handle: this.#reporter.handleOf(id), reason, user: record.user });
        this.#install(this.#fresh(now));
      });
    }
    if (this.#reporter.wants('unknown'))
      this.#reporter.emit('unknown', { handle: this.#reporter.handleOf(id) });
    this.#install(this.#fresh(now));
    return undefined;
  }

  #alive(record: SessionRecord, now: number): boolean {
    return record.expires > now && endOf(this.#options, record, now) === undefined;
  }

  #install(session: Session): void {
    this.#current = session;
    this.#req.session = session;
    this.#req.sessionID = session.id;
  }

  // `'auto'` settings stay `'auto'` in the session: they are resolved for each response (in
  // #setCookie), never stored resolved, so a session begun over HTTP gets `Secure` once it is used
  // over HTTPS, and rotate() copies the setting rather than one request's answer.
  #newCookie(): Cookie {
    return new Cookie(this.#cookieOptions);
  }

  #state(
    id: string,
    isNew: boolean,
    created: number,
    touched: number,
    expires: number,
    user: string | undefined,
  ): SessionState {
    return {
      id,
      host: this,
      isNew,
      snapshot: new Map(),
      cookieSnapshot: '',
      created,
      touched,
      expires,
      user,
      destroyed: false,
      gone: false,
    };
  }

  #newId(): string {
    const id = this.#options.genid ? this.#options.genid(this.#req) : generateSessionId();
    if (typeof id !== 'string' || id.length === 0)
      throw new TypeError('session option genid must return a non-empty string');
    return id;
  }

  #fresh(now: number, data?: Record<string, unknown>, from?: SessionState): Session {
    const state = this.#state(this.#newId(), true, from?.created ?? now, now, now, from?.user);
    // rotate() keeps the device binding: the same device goes on holding the same session.
    if (from?.binding !== undefined) state.binding = from.binding;
    const cookie = this.#newCookie();
    state.cookieSnapshot = cookieSettingsKey(cookie);
    return new Session(cookie, state, data);
  }

  #hydrate(id: string, record: SessionRecord): Session {
    const stored = record.data.cookie;
    const cookie = stored ? new Cookie(stored) : this.#newCookie();
    // Under an `'auto'` option, a stored boolean is one earlier request's answer (older versions, or
    // express-session, stored it resolved): the setting is the option's.
    if (this.#cookieOptions.secure === 'auto') cookie.secure = 'auto';
    if (this.#cookieOptions.sameSite === 'auto') cookie.sameSite = 'auto';
    const state = this.#state(id, false, record.created, record.touched, record.expires, record.user);
    const binding = record.data[BINDING_KEY];
    if (binding !== undefined) state.binding = binding;
    const session = new Session(cookie, state, record.data);
    const encoded = record.json;
    for (const key of Object.keys(session)) {
      if (key === 'cookie') continue;
      const json = encoded?.get(key) ?? JSON.stringify((session as unknown as Record<string, unknown>)[key]);
      state.snapshot.set(key, json);
    }
    state.cookieSnapshot = cookieSettingsKey(cookie);
    return session;
  }

  #changes(session: Session, state: SessionState): Changes {
    const set: Record<string, unknown> = {};
    const json = new Map<string, string>();
    let modified = false;
    const values = session as unknown as Record<string, unknown>;
    for (const key of Object.keys(session)) {
      if (key === 'cookie' || isReservedKey(key)) continue;
      const value = values[key];
      const encoded = jsonOf(key, value);
      if (encoded === undefined) continue;
      json.set(key, encoded);
      if (state.snapshot.get(key) !== encoded) {
        set[key] = JSON.parse(encoded);
        modified = true;
      }
    }
    const unset: string[] = [];
    for (const key of state.snapshot.keys()) {
      if (!json.has(key)) {
        unset.push(key);
        modified = true;
      }
    }
    const cookieChanged = state.cookieSnapshot !== cookieSettingsKey(session.cookie);
    return { set, unset, json, modified: modified || cookieChanged, cookieChanged };
  }

  #userOf(session: Session): string | undefined {
    const key = this.#options.userKey;
    if (key === undefined) return undefined;
    const value = (session as unknown as Record<string, unknown>)[key];
    return typeof value === 'string' || typeof value === 'number' ? String(value) : undefined;
  }

  #idle(session: Session): number {
    return idleTimeoutOf(this.#options, session);
  }

  // The middleware ends a session at its idle or absolute deadline, checked on every load from the
  // stored `touched` and `created`. The store keeps it a grace longer than the earlier of the two,
  // so that a browser coming back then is told its session expired (and why) rather than unknown.
  #expiry(session: Session, state: SessionState, now: number): number {
    const idle = this.#idle(session);
    const absolute = this.#options.absoluteTimeout;
    const deadline = absolute === false ? now + idle : Math.min(now + idle, state.created + absolute);
    return deadline + idleGraceOf(idle);
  }

  #touchDue(session: Session, state: SessionState, now: number): boolean {
    const touchAfter =
      this.#options.touchAfter ?? Math.min(MAX_TOUCH_AFTER, Math.floor(this.#idle(session) / 10));
    return now - state.touched >= touchAfter;
  }

  /** Restarts the cookie's lifetime as express-session does, never past the absolute timeout. */
  #restartCookie(session: Session, state: SessionState, now: number): void {
    const cookie = session.cookie;
    if (cookie.originalMaxAge === null) return;
    const absolute = this.#options.absoluteTimeout;
    const end = absolute === false ? Number.POSITIVE_INFINITY : state.created + absolute;
    const original = cookie.originalMaxAge;
    cookie.expires = new Date(Math.min(now + original, end));
    cookie.originalMaxAge = original;
  }

  /**
   * Writes the session if it needs writing: all of it when new, only the keys that changed
   * otherwise, or just a refresh of its expiry when nothing changed and `touchAfter` has passed.
   * Returns whether the session was modified (for the cookie decision): at once when nothing had to
   * wait for the store, else as a promise.
   */
  #persist(session: Session, explicit: boolean): boolean | Promise<boolean> {
    const state = session[STATE];
    if (state.destroyed || state.gone || state.offline) return false;
    const now = Date.now();
    this.#restartCookie(session, state, now);
    const changes = this.#changes(session, state);
    const user = this.#userOf(session);
    const expires = this.#expiry(session, state, now);

    const bindingChanged = state.bindingChanged === true;
    if (
      state.provisional &&
      !explicit &&
      !changes.modified &&
      !bindingChanged &&
      !this.#options.saveUninitialized
    ) {
      // regenerate() stored an empty session to make the move one decision; nothing was put in it,
      // so it goes again and the browser keeps no session, as with express-session.
      return this.#call('remove', () => this.#remove(session.id)).then(() => {
        state.provisional = false;
        state.isNew = true;
        return false;
      });
    }

    if (state.isNew) {
      if (!explicit && !changes.modified && !bindingChanged && !this.#options.saveUninitialized) return false;
      const data: StoredData = { cookie: session.cookie.toJSON() };
      for (const [key, encoded] of changes.json) data[key] = JSON.parse(encoded);
      if (state.binding !== undefined) data[BINDING_KEY] = state.binding;
      const record = { data, expires, created: state.created, touched: now, user, json: changes.json };
      return this.#call('write', () => this.#store.write(session.id, record)).then(() => {
        state.isNew = false;
        state.bindingChanged = false;
        this.#settle(state, changes, session, now, user, expires);
        if (!state.rotatedFrom)
          this.#reporter.emit('created', { handle: this.#reporter.handleOf(session.id) });
        return true;
      });
    }

    const userChanged = user !== state.user;
    // As express-session: `resave` rewrites a session the request did not save itself, not one it did.
    const resave = this.#options.resave && !state.saved;
    if (changes.modified || userChanged || explicit || resave || bindingChanged) {
      const set = resave
        ? Object.fromEntries([...changes.json].map(([k, v]) => [k, JSON.parse(v)]))
        : changes.set;
      set.cookie = session.cookie.toJSON();
      const unset = changes.unset;
      if (bindingChanged) {
        if (state.binding === undefined) unset.push(BINDING_KEY);
        else set[BINDING_KEY] = state.binding;
        state.bindingChanged = false;
      }
      const patch: SessionPatch = { set, unset, expires, touched: now, json: changes.json };
      if (userChanged) patch.user = user ?? null;
      return andThen(this.#patch(session.id, patch), (kept) => {
        if (!kept) {
          state.gone = true;
          return false;
        }
        this.#settle(state, changes, session, now, user, expires);
        if (state.provisional) {
          state.provisional = false;
          this.#reporter.emit('created', { handle: this.#reporter.handleOf(session.id) });
        }
        return changes.modified;
      });
    }

    if (state.saved || !this.#touchDue(session, state, now)) return false;
    // A cookie with an expiry just moved it (restartCookie): the stored cookie moves with the record,
    // as express-session's touch() would move it, so stores that read it (connect stores) agree.
    const cookie = session.cookie.originalMaxAge === null ? undefined : session.cookie.toJSON();
    return andThen(this.#refresh(session.id, expires, now, cookie), (kept) => {
      if (!kept) state.gone = true;
      else {
        state.touched = now;
        state.expires = expires;
      }
      return false;
    });
  }

  #settle(
    state: SessionState,
    changes: Changes,
    session: Session,
    now: number,
    user: string | undefined,
    expires: number,
  ): void {
    state.expires = expires;
    state.snapshot = changes.json;
    state.cookieSnapshot = cookieSettingsKey(session.cookie);
    state.touched = now;
    state.user = user;
  }

  #patch(id: string, patch: SessionPatch): boolean | Promise<boolean> {
    const store = this.#store;
    const immediate = immediateCallsOf(store);
    if (immediate) return this.#callNow('patch', () => immediate.patch(id, patch));
    if (store.patch)
      return this.#call('patch', () => (store.patch as NonNullable<typeof store.patch>)(id, patch));
    // A store without patch: re-read now and write back with this request's changes, one save of a
    // session at a time in this process. Other processes' saves can still interleave (documented).
    return this.#options.wholeRecordLock.run(id, async () => {
      const record = await this.#call('read', () => store.read(id));
      if (!record) return false;
      applyPatch(record.data, patch);
      record.expires = patch.expires;
      record.touched = patch.touched;
      if (patch.user !== undefined) record.user = patch.user ?? undefined;
      await this.#call('write', () => store.write(id, record));
      return true;
    });
  }

  #refresh(
    id: string,
    expires: number,
    touched: number,
    cookie: CookieJSON | undefined,
  ): boolean | Promise<boolean> {
    const store = this.#store;
    const immediate = immediateCallsOf(store);
    if (immediate) return this.#callNow('refresh', () => immediate.refresh(id, expires, touched, cookie));
    if (store.refresh) {
      return this.#call('refresh', () =>
        (store.refresh as NonNullable<typeof store.refresh>)(id, expires, touched, cookie),
      );
    }
    return this.#options.wholeRecordLock.run(id, async () => {
      const record = await this.#call('read', () => store.read(id));
      if (!record) return false;
      record.expires = expires;
      record.touched = touched;
      if (cookie !== undefined) record.data.cookie = cookie;
      await this.#call('write', () => store.write(id, record));
      return true;
    });
  }

  /** Whether this store's saves go through {@link ResolvedOptions.wholeRecordLock}. */
  #locksWholeRecords(): boolean {
    const store = this.#store;
    return store.patch === undefined || store.rotate === undefined;
  }

  /**
   * Deletes a session. Where saves are read-then-write under the per-session lock (a store without
   * `patch` or `rotate`), the delete takes the same lock, so a slower save cannot bring it back.
   */
  #remove(id: string): Promise<void> {
    const store = this.#store;
    if (this.#persistence.local || immediateCallsOf(store) || !this.#locksWholeRecords()) {
      return store.remove(id);
    }
    return this.#options.wholeRecordLock.run(id, () => store.remove(id));
  }

  /**
   * Moves the stored session `oldId` to `newId` with `record`, or resolves `false` (creating
   * nothing) when `oldId` is no longer live: the store's own `rotate` when it has one, otherwise a
   * read, write and delete under the per-session lock (atomic within this process only).
   */
  #rotateStored(oldId: string, newId: string, record: SessionRecord): Promise<boolean> {
    const store = this.#store;
    if (store.rotate) {
      return this.#call('rotate', () =>
        (store.rotate as NonNullable<typeof store.rotate>)(oldId, newId, record),
      );
    }
    return this.#options.wholeRecordLock.run(oldId, async () => {
      if (!(await this.#call('read', () => store.read(oldId)))) return false;
      await this.#call('write', () => store.write(newId, record));
      await this.#call('remove', () => store.remove(oldId));
      return true;
    });
  }

  // SessionHost: the methods of req.session.

  async save(session: Session): Promise<void> {
    await this.#persist(session, true);
    if (session[STATE].gone) throw new SessionNotFoundError();
    session[STATE].saved = true;
  }

  async destroy(session: Session): Promise<void> {
    const state = session[STATE];
    state.destroyed = true;
    if (!state.isNew) {
      await this.#call('remove', () => this.#remove(session.id));
      this.#reporter.emit('destroyed', {
        handle: this.#reporter.handleOf(session.id),
        reason: 'destroy',
        user: state.user,
      });
    }
    if (this.#req.session === session) {
      this.#req.session = undefined;
      delete this.#req.session;
    }
    this.#cleared = this.#cookieId !== undefined;
  }

  async reload(session: Session): Promise<void> {
    const state = session[STATE];
    const record = state.isNew
      ? undefined
      : await this.#call('read', () => this.#store.read(session.id)).catch((err: unknown) => {
          if (err instanceof SessionRecordError) return undefined;
          throw err;
        });
    if (!record || !this.#alive(record, Date.now())) throw new SessionNotFoundError('reload');
    const fresh = this.#hydrate(session.id, record);
    const target = session as unknown as Record<string, unknown>;
    for (const key of Object.keys(session)) if (key !== 'cookie') delete target[key];
    for (const key of Object.keys(fresh)) target[key] = (fresh as unknown as Record<string, unknown>)[key];
    Object.assign(state, { ...fresh[STATE], host: this });
  }

  async regenerate(session: Session, keepData: boolean): Promise<void> {
    const state = session[STATE];
    const now = Date.now();
    const data: Record<string, unknown> = {};
    if (keepData) {
      for (const key of Object.keys(session)) {
        if (key !== 'cookie') data[key] = (session as unknown as Record<string, unknown>)[key];
      }
    }
    const next = this.#fresh(now, data, keepData ? state : undefined);
    const nextState = next[STATE];
    if (keepData) {
      nextState.rotatedFrom = session.id;
      next.cookie = new Cookie({ ...session.cookie.data, maxAge: session.cookie.originalMaxAge });
    }
    if (state.isNew || this.#persistence.local) {
      // Nothing stored under the old ID (or a sealed cookie, which no other request shares): no
      // logout can race this, and the new ID is written as any new session is.
      if (keepData) await this.#persist(next, true);
      state.destroyed = true;
      if (!state.isNew && session.id === this.#cookieId) this.#cleared = true;
      if (!state.isNew) await this.#call('remove', () => this.#store.remove(session.id));
    } else {
      await this.#moveStored(session, next, keepData, now);
    }
    const reporter = this.#reporter;
    if (keepData) {
      reporter.emit('rotated', {
        handle: reporter.handleOf(next.id),
        previous: reporter.handleOf(session.id),
        user: nextState.user,
      });
    } else if (!state.isNew) {
      reporter.emit('destroyed', {
        handle: reporter.handleOf(session.id),
        reason: 'regenerate',
        user: state.user,
      });
    }
    this.#install(next);
  }

  /**
   * The stored half of rotate()/regenerate(): the old session's removal and the new one's creation
   * as one store decision. When the old session is gone (destroyed, revoked or expired meanwhile)
   * nothing is created and the call fails with {@link SessionNotFoundError}: a logout is never undone.
   * regenerate()'s new session starts empty but stored, still indexed under the old owner, so a
   * "log out everywhere" that lands before this request ends finds it; it is deleted again at the
   * end if nothing was put in it.
   */
  async #moveStored(session: Session, next: Session, keepData: boolean, now: number): Promise<void> {
    const state = session[STATE];
    const nextState = next[STATE];
    let changes: Changes | undefined;
    let record: SessionRecord;
    let user: string | undefined;
    const expires = this.#expiry(next, nextState, now);
    if (keepData) {
      this.#restartCookie(next, nextState, now);
      changes = this.#changes(next, nextState);
      user = this.#userOf(next);
      const data: StoredData = { cookie: next.cookie.toJSON() };
      for (const [key, encoded] of changes.json) data[key] = JSON.parse(encoded);
      if (nextState.binding !== undefined) data[BINDING_KEY] = nextState.binding;
      record = { data, expires, created: nextState.created, touched: now, user, json: changes.json };
    } else {
      user = state.user;
      record = { data: { cookie: next.cookie.toJSON() }, expires, created: now, touched: now, user };
    }
    const moved = await this.#rotateStored(session.id, next.id, record);
    if (session.id === this.#cookieId) this.#cleared = true;
    if (!moved) {
      state.gone = true;
      throw new SessionNotFoundError();
    }
    state.destroyed = true;
    nextState.isNew = false;
    if (keepData) nextState.bindingChanged = false;
    nextState.touched = now;
    nextState.expires = expires;
    nextState.user = user;
    if (changes) {
      nextState.snapshot = changes.json;
      nextState.cookieSnapshot = cookieSettingsKey(next.cookie);
    } else {
      nextState.provisional = true;
    }
  }

  /**
   * Called once, before the response's headers go out or its body ends. Returns `undefined` when
   * the session is already saved (nothing to write, or a store with immediate calls), else a promise.
   * May throw, as the promise may reject.
   */
  commit(): Promise<void> | undefined {
    // express-session ignores a session whose req.sessionID the app replaced by something not a string.
    if (this.#bogusId()) return undefined;
    const session = this.#req.session;
    if (!(session instanceof Session)) {
      const current = this.#current;
      if (session === null && this.#options.clearOnNull) this.#cleared = true;
      if (
        current &&
        !current[STATE].destroyed &&
        !current[STATE].isNew &&
        this.#options.unset === 'destroy'
      ) {
        return this.#call('remove', () => this.#remove(current.id)).then(() => {
          current[STATE].destroyed = true;
          this.#reporter.emit('destroyed', {
            handle: this.#reporter.handleOf(current.id),
            reason: 'unset',
            user: current[STATE].user,
          });
          this.#cleared = this.#cookieId !== undefined;
        });
      }
      return undefined;
    }
    let modified: boolean | Promise<boolean>;
    try {
      this.#respondForDevice(session);
      modified = this.#persist(session, false);
    } catch (err) {
      this.#carryOnOrThrow(err);
      return undefined;
    }
    if (!(modified instanceof Promise)) {
      this.#decideCookie(session, modified);
      return undefined;
    }
    return modified.then(
      (m) => this.#decideCookie(session, m),
      (err: unknown) => this.#carryOnOrThrow(err),
    );
  }

  /**
   * A store failure carried past (`onStoreError: 'continue'`): the session is not kept, so no cookie
   * points at it, and the storeError event has reported it. Anything else is thrown again.
   */
  #carryOnOrThrow(err: unknown): void {
    if (!this.#carriesOn(err)) throw err;
  }

  #bogusId(): boolean {
    return this.#req.sessionID !== undefined && typeof this.#req.sessionID !== 'string';
  }

  /** The ID the cookie names: `req.sessionID`, which the app may have reassigned, as express-session sends it. */
  #cookieTarget(session: Session): string {
    const id = this.#req.sessionID;
    if (this.#persistence.local) return session.id; // a sealed cookie carries its own record
    return typeof id === 'string' && id.length > 0 && this.#req.session === session ? id : session.id;
  }

  #decideCookie(session: Session, modified: boolean): void {
    if (this.#cookieHandled) return;
    const state = session[STATE];
    let send: boolean;
    if (state.gone) {
      this.#cleared = this.#cookieId !== undefined;
      send = false;
    } else if (state.isNew) {
      send = false; // never stored, so there is nothing for a cookie to point at
    } else if (this.#cookieTarget(session) !== this.#cookieId) {
      send = true;
    } else {
      send =
        this.#options.rolling ||
        this.#renew ||
        this.#persistence.changed ||
        (session.cookie.expires !== null && modified);
    }
    if (send) this.#setCookie(session);
  }

  /** The last moment to add headers: before writeHead. */
  beforeHeaders(): void {
    if (this.#cookieHandled) return;
    if (this.#bogusId()) {
      this.#cookieHandled = true;
      return;
    }
    const session = this.#req.session;
    if (session instanceof Session && !session[STATE].destroyed) {
      this.#respondForDevice(session);
      // Streaming: the body is still to come, so decide on what is known now.
      const state = session[STATE];
      const changes = this.#changes(session, state);
      const willStore =
        (!state.isNew && !state.provisional) || changes.modified || this.#options.saveUninitialized;
      if (willStore && !state.gone && !state.offline) {
        const now = Date.now();
        this.#restartCookie(session, state, now);
        // A local store holds the record the cookie carries: it must be complete before the headers go.
        if (
          this.#persistence.writeNow &&
          (state.isNew ||
            changes.modified ||
            this.#options.resave ||
            this.#userOf(session) !== state.user ||
            this.#touchDue(session, state, now))
        ) {
          this.#writeNow(session, state, changes, now);
        }
        if (state.isNew || this.#cookieTarget(session) !== this.#cookieId) this.#setCookie(session);
        else if (
          this.#options.rolling ||
          this.#renew ||
          this.#persistence.changed ||
          (session.cookie.expires !== null && changes.modified)
        ) {
          this.#setCookie(session);
        }
      }
    }
    this.#flushCleared();
    this.#cookieHandled = true;
  }

  /** Lets device binding add its headers (and challenges) while they can still go out. */
  #respondForDevice(session: Session): void {
    const hook = this.#options.deviceBound;
    if (!hook || this.#res.headersSent || session[STATE].offline) return;
    hook.respond(this.#req, this.#res, session, this.#userOf(session), this.#secure, this.#cookieId);
  }

  /** After commit(): clears the cookie of a destroyed session. */
  finish(): void {
    this.#flushCleared();
    this.#cookieHandled = true;
  }

  #flushCleared(): void {
    if (!this.#cleared || this.#cookieHandled) return;
    this.#cleared = false;
    const cookie = this.#newCookie();
    cookie.expires = new Date(0);
    this.#appendSetCookie(this.#persistence.clear(cookie.attributes(this.#secure)));
  }

  #setCookie(session: Session): void {
    const attributes = session.cookie.attributes(this.#secure);
    if (attributes.secure && !this.#secure) return; // the browser would drop it anyway
    this.#cleared = false;
    this.#appendSetCookie(this.#persistence.issue(this.#cookieTarget(session), attributes));
  }

  /** The whole record, now: for a local store when the headers go out before the response ends. */
  #writeNow(session: Session, state: SessionState, changes: Changes, now: number): void {
    const data: StoredData = { cookie: session.cookie.toJSON() };
    for (const [key, encoded] of changes.json) data[key] = JSON.parse(encoded);
    this.#persistence.writeNow?.(session.id, {
      data,
      expires: this.#expiry(session, state, now),
      created: state.created,
      touched: now,
      user: this.#userOf(session),
    });
  }

  #appendSetCookie(values: string[]): void {
    const res = this.#res;
    if (res.headersSent || values.length === 0) return;
    const previous = res.getHeader('Set-Cookie');
    const list = previous === undefined ? [] : Array.isArray(previous) ? previous : [String(previous)];
    res.setHeader('Set-Cookie', [...list, ...values]);
    // Responses that carry a session cookie must not be stored by shared caches.
    if (!res.hasHeader('Cache-Control')) res.setHeader('Cache-Control', 'no-store');
  }
}
