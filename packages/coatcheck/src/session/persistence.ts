import type { KeyObject } from 'node:crypto';
import { findCookie } from '../cookies/parse.js';
import { type CookieAttributes, serializeCookie } from '../cookies/serialize.js';
import { sign, unsign } from '../cookies/sign.js';
import type { SessionRecord, SessionStore } from '../stores/contract.js';

/** Why a session cookie was refused, as the `tampered` event reports it. */
export type TamperReason = 'signature' | 'malformed' | 'oversized';

/** What the request's session cookie said. */
export type CookieReading =
  | { kind: 'none' }
  | { kind: 'session'; id: string; renew: boolean }
  | { kind: 'tampered'; reason: TamperReason }
  /** Authentic, but issued before the user's "not before" time: logged out everywhere. */
  | { kind: 'revoked'; id: string; user: string };

/** No session cookie in the request. */
export const NO_COOKIE: CookieReading = Object.freeze({ kind: 'none' });

/**
 * How sessions travel between requests; one per middleware. `session()` sends a signed ID and keeps
 * the record in a store; `cookieSession()` seals the record itself into the cookie. Everything else
 * about `req.session` is shared.
 */
export interface Persistence {
  forRequest(): RequestPersistence;
}

/** One request's side of a {@link Persistence}. */
export interface RequestPersistence {
  /** Where this request reads and writes session records. */
  readonly store: SessionStore;
  /** The store is memory of this request (no I/O): calls skip the store timeout and keep their errors. */
  readonly local: boolean;
  /** The record changed in this request, so the cookie must carry it even under the same ID. */
  readonly changed: boolean;
  /** Reads the session cookie(s) from a Cookie header. Never throws on request data. */
  readCookie(header: string | undefined): CookieReading | Promise<CookieReading>;
  /**
   * `Set-Cookie` values carrying the session `id`, with these attributes (resolved for this response).
   * A promise only where sealing is asynchronous (a sealed cookie under Web Crypto).
   */
  issue(id: string, attributes: CookieAttributes): string[] | Promise<string[]>;
  /** `Set-Cookie` values deleting the session cookie(s) the request carried; `attributes` already expired. */
  clear(attributes: CookieAttributes): string[];
  /**
   * Replaces the record at once, for a response whose headers go out before it ends; only local
   * stores have it, since a remote one would make the headers wait.
   */
  writeNow?(id: string, record: SessionRecord): void;
  /**
   * Where the Cookie header named no usable session: the session cookie as a cookie parser that ran
   * first left it on the request (`req.signedCookies`, `req.cookies`), as express-session reads it.
   */
  readParsed?(req: ParsedCookies): CookieReading | undefined;
}

/** What cookie-parser (or coatcheck's `cookies()`) leaves on a request. */
export interface ParsedCookies {
  cookies?: Record<string, unknown> | undefined;
  signedCookies?: Record<string, unknown> | undefined;
}

// A signed value longer than this is not a session cookie we issued; don't spend an HMAC on it.
const MAX_SIGNED_VALUE = 1024;
const VERIFIED_CACHE_SIZE = 10_000;

/**
 * The session ID in a signed cookie value (`s:` + ID + HMAC, express-session's format), or why it
 * is refused. The one check of that format, for the Cookie header and for what a cookie parser left.
 */
function openSigned(raw: string, keys: readonly KeyObject[]): { id: string; renew: boolean } | TamperReason {
  if (raw.length > MAX_SIGNED_VALUE) return 'oversized';
  if (!raw.startsWith('s:')) return 'malformed';
  const result = unsign(raw.slice(2), keys);
  if (!result.valid || result.value.length === 0) return 'signature';
  return { id: result.value, renew: result.renew };
}

/** `session()`: the cookie carries `s:` + the ID + its HMAC (express-session's format); the record lives in `store`. */
export function signedIdPersistence(
  name: string,
  keys: readonly KeyObject[],
  store: SessionStore,
  /**
   * The same store driven through its express-session methods, for requests during which the
   * application has replaced one of them on the instance (to instrument it, or in a test): what it
   * put there is what runs, as under express-session.
   */
  patched?: { store: SessionStore; isPatched(): boolean },
): Persistence {
  // Cookies this middleware already verified: a returning browser sends the same value on every
  // request, and an HMAC costs more than the rest of reading it. Only authentic values get in, and
  // the keys never change for the life of the middleware.
  const verified = new Map<string, CookieReading>();
  const request: RequestPersistence = {
    store,
    local: false,
    changed: false,
    readCookie(header) {
      const raw = findCookie(header, name);
      if (raw === undefined) return NO_COOKIE;
      const known = verified.get(raw);
      if (known) return known;
      const opened = openSigned(raw, keys);
      if (typeof opened === 'string') return { kind: 'tampered', reason: opened };
      const reading: CookieReading = Object.freeze({ kind: 'session', ...opened });
      if (verified.size >= VERIFIED_CACHE_SIZE) verified.delete(verified.keys().next().value as string);
      verified.set(raw, reading);
      return reading;
    },
    issue: (id, attributes) => [serializeCookie(name, `s:${sign(id, keys)}`, attributes)],
    clear: (attributes) => [serializeCookie(name, '', attributes)],
    readParsed(req) {
      // cookie-parser verified this one already, with its own secret: express-session trusts it too.
      const verifiedValue = req.signedCookies?.[name];
      if (typeof verifiedValue === 'string' && verifiedValue.length > 0) {
        return { kind: 'session', id: verifiedValue, renew: false };
      }
      const raw = req.cookies?.[name];
      if (typeof raw !== 'string') return undefined;
      const opened = openSigned(raw, keys);
      return typeof opened === 'string' ? undefined : { kind: 'session', id: opened.id, renew: false };
    },
  };
  if (!patched) return { forRequest: () => request };
  const throughPatched: RequestPersistence = { ...request, store: patched.store };
  // Nothing in either belongs to one request, so every request shares them.
  return { forRequest: () => (patched.isPatched() ? throughPatched : request) };
}
