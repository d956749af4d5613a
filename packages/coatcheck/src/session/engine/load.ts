import { randomBase64url } from '#crypto';
import { BINDING_KEY } from '../../device-bound/binding.js';
import { SessionRecordError } from '../../errors.js';
import { andThen } from '../../lib/settle.js';
import type { SessionRecord } from '../../stores/contract.js';
import { Cookie } from '../cookie.js';
import type { CookieReading } from '../persistence.js';
import { Session, type SessionState, STATE } from '../session.js';
import { cookieSettingsKey, takeSnapshot } from './changes.js';
import type { EngineContext } from './context.js';
import type { Maybe } from './store-calls.js';
import { endOf, isLive } from './timeouts.js';

/** 192 bits from the CSPRNG, base64url: 32 characters, as long as express-session's IDs. */
export function generateSessionId(): string {
  return randomBase64url(24);
}

/** What loading made of the request's cookie. */
export interface Loaded {
  session: Session;
  /** The ID the request's cookie carried, once verified. */
  cookieId?: string | undefined;
  /** The cookie was signed or sealed with an older secret. */
  renew?: boolean | undefined;
  /** The browser holds a cookie that must be cleared (a revoked session). */
  clear?: boolean | undefined;
}

// `'auto'` settings stay `'auto'` in the session: they are resolved for each response (when the
// cookie is serialized), never stored resolved, so a session begun over HTTP gets `Secure` once it
// is used over HTTPS, and rotate() copies the setting rather than one request's answer.
export function newCookie(context: EngineContext): Cookie {
  return new Cookie(context.cookieOptions);
}

function newId(context: EngineContext): string {
  const genid = context.options.genid;
  const id = genid ? genid(context.exchange.request as Parameters<typeof genid>[0]) : generateSessionId();
  if (typeof id !== 'string' || id.length === 0)
    throw new TypeError('session option genid must return a non-empty string');
  return id;
}

function stateOf(
  context: EngineContext,
  id: string,
  isNew: boolean,
  times: { created: number; touched: number; expires: number },
  user: string | undefined,
): SessionState {
  return {
    id,
    host: context.host,
    isNew,
    snapshot: new Map(),
    cookieSnapshot: '',
    created: times.created,
    touched: times.touched,
    expires: times.expires,
    user,
    destroyed: false,
    gone: false,
  };
}

/**
 * A session that is not stored yet, under a new ID. `from` is the session a rotation moves: its
 * creation time (the absolute timeout keeps counting), its user and its device binding go on.
 */
export function freshSession(
  context: EngineContext,
  now: number,
  data?: Record<string, unknown>,
  from?: SessionState,
): Session {
  const created = from?.created ?? now;
  const state = stateOf(context, newId(context), true, { created, touched: now, expires: now }, from?.user);
  if (from?.binding !== undefined) state.binding = from.binding;
  const cookie = newCookie(context);
  state.cookieSnapshot = cookieSettingsKey(cookie);
  return new Session(cookie, state, data);
}

/** A fresh session that is never written, for a request that carries on while the store is out. */
export function offlineSession(context: EngineContext, now: number): Session {
  const session = freshSession(context, now);
  session[STATE].offline = true;
  return session;
}

/** The session a stored record holds, with the snapshot change detection compares against. */
export function hydrateSession(context: EngineContext, id: string, record: SessionRecord): Session {
  const stored = record.data.cookie;
  const cookie = stored ? new Cookie(stored) : newCookie(context);
  // Under an `'auto'` option, a stored boolean is one earlier request's answer (older versions, or
  // express-session, stored it resolved): the setting is the option's.
  if (context.cookieOptions.secure === 'auto') cookie.secure = 'auto';
  if (context.cookieOptions.sameSite === 'auto') cookie.sameSite = 'auto';
  const state = stateOf(context, id, false, record, record.user);
  const binding = record.data[BINDING_KEY];
  if (binding !== undefined) state.binding = binding;
  const session = new Session(cookie, state, record.data);
  takeSnapshot(session, state);
  return session;
}

/**
 * From the request's cookie reading to the session the request gets: the stored one when it is
 * live (and admitted by device binding), else a fresh one, reporting why in events and `ended()`.
 * Answers at once when no store call waits (no cookie, or an immediate store).
 */
export function loadSession(context: EngineContext, reading: CookieReading, now: number): Maybe<Loaded> {
  const { reporter } = context.options;
  const request = context.exchange.request;
  if (reading.kind === 'tampered') {
    reporter.ended.set(request, 'tampered');
    reporter.emit('tampered', { reason: reading.reason });
  } else if (reading.kind === 'revoked') {
    reporter.ended.set(request, 'revoked');
    reporter.emit('revoked', { handles: [reporter.handleOf(reading.id)], user: reading.user });
    return { session: freshSession(context, now), clear: true };
  } else if (reading.kind === 'session') {
    const { id, renew } = reading;
    let record: Maybe<SessionRecord | undefined>;
    try {
      record = context.calls.read(id);
    } catch (err) {
      return offline(context, err, now, id, renew);
    }
    if (!(record instanceof Promise)) return fromRecord(context, id, renew, record, now);
    return record.then(
      (found) => fromRecord(context, id, renew, found, now),
      (err: unknown) => offline(context, err, now, id, renew),
    );
  }
  return { session: freshSession(context, now) };
}

/**
 * A read that failed. A record the store cannot read back (SessionRecordError) gives a fresh
 * session, the request reported as `tampered` (reason `'record'`), and the record removed, so the
 * next request with this cookie is an `unknown` one rather than the same failure again. A store
 * failure gives a never-stored session under `onStoreError: 'continue'`, and is thrown otherwise.
 */
function offline(
  context: EngineContext,
  err: unknown,
  now: number,
  cookieId: string,
  renew: boolean,
): Maybe<Loaded> {
  if (err instanceof SessionRecordError) {
    const { reporter } = context.options;
    reporter.ended.set(context.exchange.request, 'tampered');
    reporter.emit('tampered', { reason: 'record', handle: reporter.handleOf(cookieId) });
    return andThen(context.calls.remove(cookieId), () => ({
      session: freshSession(context, now),
      cookieId,
      renew,
    }));
  }
  if (!context.calls.carriesOn(err)) throw err;
  return { session: offlineSession(context, now), cookieId, renew };
}

function fromRecord(
  context: EngineContext,
  id: string,
  renew: boolean,
  record: SessionRecord | undefined,
  now: number,
): Maybe<Loaded> {
  const { options, exchange } = context;
  const { reporter } = options;
  if (record && isLive(options, record, now)) {
    const session = hydrateSession(context, id, record);
    if (exchange.device?.admits(session, now) === false) {
      // Bound to a device this request did not prove it came from: the stored session stays for
      // that device, and this request starts afresh.
      reporter.ended.set(exchange.request, 'unbound');
      return { session: freshSession(context, now), cookieId: id, renew };
    }
    return { session, cookieId: id, renew };
  }
  reporter.ended.set(exchange.request, record ? 'expired' : 'unknown');
  if (record) {
    return andThen(context.calls.remove(id), () => {
      const reason = endOf(options, record, now) ?? 'idle';
      reporter.emit('expired', { handle: reporter.handleOf(id), reason, user: record.user });
      return { session: freshSession(context, now), cookieId: id, renew };
    });
  }
  if (reporter.wants('unknown')) reporter.emit('unknown', { handle: reporter.handleOf(id) });
  return { session: freshSession(context, now), cookieId: id, renew };
}
