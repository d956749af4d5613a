import type { SessionRecord } from '../../stores/contract.js';
import type { Cookie } from '../cookie.js';
import { DEFAULT_IDLE_TIMEOUT } from '../options.js';

/** The options the timeout policy reads. */
export interface TimeoutPolicy {
  idleTimeout: number | undefined;
  absoluteTimeout: number | false;
  touchAfter: number | undefined;
}

/** The longest a store keeps an idled-out session for reporting: 24 hours. */
export const MAX_IDLE_GRACE = DEFAULT_IDLE_TIMEOUT;

const MAX_TOUCH_AFTER = 60_000;

/** The idle timeout that applies to one session: the option, else its cookie's lifetime, else 24 hours. */
export function idleTimeoutOf(policy: TimeoutPolicy, session: { cookie: Cookie }): number {
  return policy.idleTimeout ?? session.cookie.originalMaxAge ?? DEFAULT_IDLE_TIMEOUT;
}

/**
 * How long the store keeps a session after its idle deadline: one more idle timeout, at most
 * {@link MAX_IDLE_GRACE}. The engine ends the session at the deadline itself (from the stored
 * `touched`); the record stays only so that a browser coming back in that time is told its session
 * expired (`expired`, reason `'idle'`) rather than that it is unknown.
 */
export function idleGraceOf(idleTimeout: number): number {
  return Math.min(idleTimeout, MAX_IDLE_GRACE);
}

/** A stored record's idle timeout, as {@link idleTimeoutOf} gives it for the session it holds. */
function recordIdleTimeout(policy: TimeoutPolicy, record: SessionRecord): number {
  if (policy.idleTimeout !== undefined) return policy.idleTimeout;
  const lifetime = record.data?.cookie?.originalMaxAge;
  return typeof lifetime === 'number' && Number.isFinite(lifetime) ? lifetime : DEFAULT_IDLE_TIMEOUT;
}

/**
 * When a stored session ends unless used again: its last write or refresh plus its idle timeout.
 * The record's own `expires` lies later, by the grace of {@link idleGraceOf}.
 */
export function idleDeadlineOf(policy: TimeoutPolicy, record: SessionRecord): number {
  const touched = Number.isFinite(record.touched) ? record.touched : record.expires;
  return Math.min(touched + recordIdleTimeout(policy, record), record.expires);
}

/** Why a stored session is over at `now` (`'idle'` or `'absolute'`, whichever came first), or `undefined`. */
export function endOf(
  policy: TimeoutPolicy,
  record: SessionRecord,
  now: number,
): 'idle' | 'absolute' | undefined {
  const idle = idleDeadlineOf(policy, record);
  const absolute =
    policy.absoluteTimeout === false ? Number.POSITIVE_INFINITY : record.created + policy.absoluteTimeout;
  if (idle > now && absolute > now) return undefined;
  return idle <= absolute ? 'idle' : 'absolute';
}

/** Whether a stored record may still be served at `now`: the one check of both timeouts on load. */
export function isLive(policy: TimeoutPolicy, record: SessionRecord, now: number): boolean {
  return record.expires > now && endOf(policy, record, now) === undefined;
}

/**
 * The `expires` to store for a session written or refreshed at `now`: the earlier of its idle and
 * absolute deadlines, plus the idle grace, so that a late browser is told why its session ended.
 */
export function expiryOf(
  policy: TimeoutPolicy,
  session: { cookie: Cookie },
  created: number,
  now: number,
): number {
  const idle = idleTimeoutOf(policy, session);
  const absolute = policy.absoluteTimeout;
  const deadline = absolute === false ? now + idle : Math.min(now + idle, created + absolute);
  return deadline + idleGraceOf(idle);
}

/**
 * Touch throttling: whether a request that changed nothing should refresh the stored expiry, i.e.
 * `touchAfter` (default a tenth of the idle timeout, at most a minute) has passed since `touched`.
 */
export function touchDue(
  policy: TimeoutPolicy,
  session: { cookie: Cookie },
  touched: number,
  now: number,
): boolean {
  const touchAfter =
    policy.touchAfter ?? Math.min(MAX_TOUCH_AFTER, Math.floor(idleTimeoutOf(policy, session) / 10));
  return now - touched >= touchAfter;
}

/** Restarts the cookie's lifetime as express-session does, never past the absolute timeout. */
export function restartCookie(policy: TimeoutPolicy, cookie: Cookie, created: number, now: number): void {
  if (cookie.originalMaxAge === null) return;
  const absolute = policy.absoluteTimeout;
  const end = absolute === false ? Number.POSITIVE_INFINITY : created + absolute;
  const original = cookie.originalMaxAge;
  cookie.expires = new Date(Math.min(now + original, end));
  cookie.originalMaxAge = original;
}
