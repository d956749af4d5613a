// Over 300 lines because it is the one place that sequences a request's session: the five session
// methods, the two moments a response is decided (beforeHeaders, commit) and the cookie it sends.
// Every rule it applies lives in a module beside it; what remains here is order and bookkeeping.
import { SessionNotFoundError, SessionRecordError, type StoreError } from '../../errors.js';
import type { SessionRecord } from '../../stores/contract.js';
import type { CookieOptions } from '../cookie.js';
import type { ResolvedOptions } from '../options.js';
import type { CookieReading, RequestPersistence } from '../persistence.js';
import { Session, type SessionHost, STATE, takeOver } from '../session.js';
import { changesOf } from './changes.js';
import { type EngineContext, userOf } from './context.js';
import { browserWouldDrop, shouldSendCookie } from './cookie-decision.js';
import type { Exchange } from './exchange.js';
import { freshSession, hydrateSession, type Loaded, loadSession, newCookie, offlineSession } from './load.js';
import { moveStored, persist, prepareMove, writeDueEarly, writeEarly } from './save.js';
import { type StoreCalls, storeCallsFor } from './store-calls.js';
import { isLive, restartCookie } from './timeouts.js';

/**
 * The life of one request's session, over an {@link Exchange}: loading it, answering the session
 * methods, and, when the response goes out, writing what changed and deciding the cookie. This
 * class only orchestrates; each rule lives in one module beside it (load, changes, save,
 * cookie-decision, timeouts, store-calls). The adapter calls `load()` first, then
 * `beforeHeaders()` when the headers are about to go, `commit()` when the response is about to end
 * (waiting for it), and `finish()` just before it ends.
 */
export class RequestSession implements SessionHost, EngineContext {
  readonly options: ResolvedOptions;
  readonly exchange: Exchange;
  readonly persistence: RequestPersistence;
  readonly calls: StoreCalls;
  readonly cookieOptions: CookieOptions;
  /** Whether the request came over HTTPS; worked out only when a cookie needs it. */
  #secureCache: boolean | undefined;
  /** The ID the request's cookie carried, once verified. */
  #cookieId: string | undefined;
  /** The cookie was signed or sealed with an older secret: send it again under the newest. */
  #renew = false;
  /** The session the request started with or last switched to. */
  #current: Session | undefined;
  /** A session was destroyed during this request and its cookie should be cleared. */
  #cleared = false;
  #cookieHandled = false;

  constructor(options: ResolvedOptions, exchange: Exchange) {
    this.options = options;
    this.exchange = exchange;
    const cookie = options.cookie;
    this.cookieOptions =
      typeof cookie === 'function' ? cookie(exchange.request as Parameters<typeof cookie>[0]) : cookie;
    this.persistence = options.persistence.forRequest();
    this.calls = storeCallsFor(options, this.persistence.store, this.persistence.local);
  }

  get host(): SessionHost {
    return this;
  }

  get #secure(): boolean {
    this.#secureCache ??= this.exchange.isSecure(this.options.proxy);
    return this.#secureCache;
  }

  get #reporter() {
    return this.options.reporter;
  }

  /**
   * Puts a never-stored session in place without asking the store, for a request that carries on
   * (`onStoreError: 'continue'`) while the store is known to be out.
   */
  loadOffline(error: StoreError): void {
    this.#reporter.emit('storeError', { error });
    this.#install(offlineSession(this, Date.now()));
  }

  /**
   * Reads the cookie and the stored session, and puts the session in place. Returns `undefined`
   * when that is done already (no cookie, or a store with immediate calls), else a promise.
   */
  load(): Promise<void> | undefined {
    const read = this.persistence.readCookie(this.exchange.cookieHeader());
    if (read instanceof Promise) return read.then((reading) => this.#loadFrom(this.#orParsed(reading)));
    return this.#loadFrom(this.#orParsed(read));
  }

  /** express-session's fallback: a header without a usable session cookie, but a cookie parser ran first. */
  #orParsed(reading: CookieReading): CookieReading {
    if (reading.kind !== 'none' && reading.kind !== 'tampered') return reading;
    const parsed = this.exchange.parsedCookies?.();
    if (parsed === undefined || (parsed.signedCookies === undefined && parsed.cookies === undefined))
      return reading;
    return this.persistence.readParsed?.(parsed) ?? reading;
  }

  #loadFrom(reading: CookieReading): Promise<void> | undefined {
    const loaded = loadSession(this, reading, Date.now());
    if (loaded instanceof Promise) return loaded.then((result) => this.#loaded(result));
    this.#loaded(loaded);
    return undefined;
  }

  #loaded(loaded: Loaded): void {
    this.#cookieId = loaded.cookieId;
    this.#renew = loaded.renew === true;
    if (loaded.clear) this.#cleared = true;
    this.#install(loaded.session);
  }

  #install(session: Session): void {
    this.#current = session;
    this.exchange.session = session;
    this.exchange.sessionId = session.id;
  }

  /** The one place the `destroyed` event is made. */
  #reportDestroyed(id: string, reason: 'destroy' | 'regenerate' | 'unset', user: string | undefined): void {
    const reporter = this.#reporter;
    reporter.emit('destroyed', { handle: reporter.handleOf(id), reason, user });
  }

  /** Ends a session for good: removes it from the store (if stored) and reports it. Destroy wins. */
  async #end(session: Session, reason: 'destroy' | 'unset'): Promise<void> {
    const state = session[STATE];
    state.destroyed = true;
    if (!state.isNew) {
      await this.calls.remove(session.id);
      this.#reportDestroyed(session.id, reason, state.user);
    }
    this.#cleared = this.#cookieId !== undefined;
  }

  // SessionHost: the methods of req.session.

  async save(session: Session): Promise<void> {
    await persist(this, session, true);
    if (session[STATE].gone) throw new SessionNotFoundError();
    session[STATE].saved = true;
  }

  async destroy(session: Session): Promise<void> {
    await this.#end(session, 'destroy');
    if (this.exchange.session === session) this.exchange.dropSession();
  }

  async reload(session: Session): Promise<void> {
    const state = session[STATE];
    let record: SessionRecord | undefined;
    try {
      record = state.isNew ? undefined : await this.calls.read(session.id);
    } catch (err) {
      // A record the store cannot read back is as good as gone.
      if (!(err instanceof SessionRecordError)) throw err;
    }
    if (!record || !isLive(this.options, record, Date.now())) throw new SessionNotFoundError('reload');
    const fresh = hydrateSession(this, session.id, record);
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
    const next = freshSession(this, now, data, keepData ? state : undefined);
    prepareMove(session, next, keepData);
    if (state.isNew || this.persistence.local) {
      // Nothing stored under the old ID (or a sealed cookie, which no other request shares): no
      // logout can race this, and the new ID is written as any new session is.
      if (keepData) await persist(this, next, true);
      state.destroyed = true;
      if (!state.isNew && session.id === this.#cookieId) this.#cleared = true;
      if (!state.isNew) await this.calls.remove(session.id);
    } else {
      const moved = await moveStored(this, session, next, keepData, now);
      if (session.id === this.#cookieId) this.#cleared = true;
      if (!moved) {
        state.gone = true;
        throw new SessionNotFoundError();
      }
      state.destroyed = true;
    }
    const reporter = this.#reporter;
    if (keepData) {
      reporter.emit('rotated', {
        handle: reporter.handleOf(next.id),
        previous: reporter.handleOf(session.id),
        user: next[STATE].user,
      });
    } else if (!state.isNew) {
      this.#reportDestroyed(session.id, 'regenerate', state.user);
    }
    // The application's object becomes the new session, so no reference to it goes stale.
    takeOver(session, next, keepData);
    this.#install(session);
  }

  /**
   * Called once, before the response's headers go out or its body ends. Returns `undefined` when
   * the session is already saved (nothing to write, or a store with immediate calls), else a promise.
   * May throw, as the promise may reject.
   */
  commit(): Promise<void> | undefined {
    // express-session ignores a session whose req.sessionID the app replaced by something not a string.
    if (this.#bogusId()) return undefined;
    const session = this.exchange.session;
    if (!(session instanceof Session)) {
      const current = this.#current;
      if (session === null && this.options.clearOnNull) this.#cleared = true;
      if (current && !current[STATE].destroyed && !current[STATE].isNew && this.options.unset === 'destroy') {
        return this.#end(current, 'unset');
      }
      return undefined;
    }
    let modified: boolean | Promise<boolean>;
    try {
      this.#respondForDevice(session);
      modified = persist(this, session, false);
    } catch (err) {
      this.#carryOnOrThrow(err);
      return undefined;
    }
    if (!(modified instanceof Promise)) return this.#decideCookie(session, modified);
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
    if (!this.calls.carriesOn(err)) throw err;
  }

  #bogusId(): boolean {
    const id = this.exchange.sessionId;
    return id !== undefined && typeof id !== 'string';
  }

  /** The ID the cookie names: `req.sessionID`, which the app may have reassigned, as express-session sends it. */
  #cookieTarget(session: Session): string {
    if (this.persistence.local) return session.id; // a sealed cookie carries its own record
    const id = this.exchange.sessionId;
    return typeof id === 'string' && id.length > 0 && this.exchange.session === session ? id : session.id;
  }

  #sends(session: Session, fresh: boolean, modified: boolean): boolean {
    return shouldSendCookie({
      fresh,
      idChanged: this.#cookieTarget(session) !== this.#cookieId,
      rolling: this.options.rolling,
      renew: this.#renew,
      recordChanged: this.persistence.changed,
      expiring: session.cookie.expires !== null,
      modified,
    });
  }

  /**
   * The cookie decision at the end of the response, once the session is saved. A promise only
   * while a sealed cookie is being sealed asynchronously (Web Crypto).
   */
  #decideCookie(session: Session, modified: boolean): Promise<void> | undefined {
    if (this.#cookieHandled) return undefined;
    const state = session[STATE];
    if (state.gone) {
      this.#cleared = this.#cookieId !== undefined;
      return undefined;
    }
    // A session still new was never stored, so there is nothing for a cookie to point at.
    if (!state.isNew && this.#sends(session, false, modified)) return this.#setCookie(session);
    return undefined;
  }

  /** The last moment to add headers: before they are written (the body may still be streaming). */
  beforeHeaders(): void {
    if (this.#cookieHandled) return;
    if (this.#bogusId()) {
      this.#cookieHandled = true;
      return;
    }
    const session = this.exchange.session;
    if (session instanceof Session && !session[STATE].destroyed) {
      this.#respondForDevice(session);
      // Streaming: the body is still to come, so decide on what is known now.
      const state = session[STATE];
      const changes = changesOf(session, state);
      const willStore =
        (!state.isNew && !state.provisional) || changes.modified || this.options.saveUninitialized;
      if (willStore && !state.gone && !state.offline) {
        const now = Date.now();
        restartCookie(this.options, session.cookie, state.created, now);
        // A local store holds the record the cookie carries: it must be complete before the headers go.
        if (this.persistence.writeNow && writeDueEarly(this, session, changes, now)) {
          writeEarly(this, session, changes, now);
        }
        if (this.#sends(session, state.isNew, changes.modified) && this.#setCookie(session) !== undefined) {
          // Only the node:http adapter sends headers early, and it runs on node:crypto, which seals at once.
          throw new TypeError(
            'coatcheck: a sealed cookie cannot be sealed asynchronously once headers are going',
          );
        }
      }
    }
    this.#flushCleared();
    this.#cookieHandled = true;
  }

  /** Lets device binding add its headers (and challenges) while they can still go out. */
  #respondForDevice(session: Session): void {
    const device = this.exchange.device;
    if (!device || this.exchange.headersSent() || session[STATE].offline) return;
    device.respond(session, userOf(this.options, session), this.#secure, this.#cookieId);
  }

  /** After commit(): clears the cookie of a destroyed session. */
  finish(): void {
    this.#flushCleared();
    this.#cookieHandled = true;
  }

  #flushCleared(): void {
    if (!this.#cleared || this.#cookieHandled) return;
    this.#cleared = false;
    const cookie = newCookie(this);
    cookie.expires = new Date(0);
    this.#appendSetCookie(this.persistence.clear(cookie.attributes(this.#secure)));
  }

  /** Sets the session's cookie; a promise only where issuing it is asynchronous (see {@link RequestPersistence.issue}). */
  #setCookie(session: Session): Promise<void> | undefined {
    const attributes = session.cookie.attributes(this.#secure);
    if (browserWouldDrop(attributes.secure, this.#secure)) return undefined;
    this.#cleared = false;
    const values = this.persistence.issue(this.#cookieTarget(session), attributes);
    if (values instanceof Promise) return values.then((lines) => this.#appendSetCookie(lines));
    this.#appendSetCookie(values);
    return undefined;
  }

  #appendSetCookie(values: string[]): void {
    const exchange = this.exchange;
    if (exchange.headersSent() || values.length === 0) return;
    exchange.appendSetCookie(values);
    // Responses that carry a session cookie must not be stored by shared caches.
    exchange.setHeaderUnlessPresent('Cache-Control', 'no-store');
  }
}
