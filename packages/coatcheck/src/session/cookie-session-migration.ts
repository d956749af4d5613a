/**
 * Taking over the sessions cookie-session signed: during a migration window `cookieSession()` reads
 * a `name` + `name.sig` pair as cookie-session wrote it (base64 JSON, keygrip signature over
 * `name=value` with the old `keys`), and the request goes on with that data in a new sealed session;
 * its response carries the sealed cookie and deletes `name.sig`.
 *
 * @module
 */
import { isCookieName } from '../cookies/attributes.js';
import { type KeygripAlgorithm, type KeygripKey, keygripIndex } from '../cookies/keygrip.js';
import { findCookie } from '../cookies/parse.js';
import type { SessionRecord } from '../stores/contract.js';
import type { TamperReason } from './persistence.js';
import { isReservedKey } from './session.js';

/** A keygrip instance, as cookie-session's `keys` option also takes one. */
export interface KeygripLike {
  index(data: string, digest: string): number;
}

/** `migrate.cookieSession` of `cookieSession()`: how to read the cookies cookie-session signed. */
export interface CookieSessionMigrationOptions {
  /** cookie-session's `keys`, as they were given to it: an array (newest first) or a keygrip instance. */
  keys: readonly KeygripKey[] | KeygripLike;
  /** The cookie-session cookie's name. Default: this middleware's `name` (cookie-session's default is `'session'` too). */
  name?: string | undefined;
  /** The digest of an array of `keys`, as given to keygrip. Default `'sha1'`, keygrip's. */
  algorithm?: KeygripAlgorithm | undefined;
  /**
   * The end of the window: from then on a cookie-session cookie is no session (a fresh one
   * starts). A cookie-session cookie never expires by itself, so set one.
   */
  until?: Date | undefined;
}

/** What a request's cookie-session cookie says. */
export type LegacyReading =
  | { kind: 'none' }
  | { kind: 'session'; data: SessionRecord['data'] }
  | { kind: 'tampered'; reason: TamperReason };

/** Reads cookie-session's cookies; built once, from checked options. */
export interface LegacyCookieSession {
  /** The cookie-session cookie and its signature cookie. */
  readonly name: string;
  readonly sigName: string;
  /** Whether the header carries the signature cookie (only then is anything read or deleted). */
  holds(header: string | undefined): boolean;
  read(header: string | undefined, maxSize: number): LegacyReading;
}

const KNOWN = new Set(['keys', 'name', 'algorithm', 'until']);
const ALGORITHMS = new Set(['sha1', 'sha256', 'sha512']);
const NONE: LegacyReading = Object.freeze({ kind: 'none' });

/**
 * Checks the `migrate` option of `cookieSession()` (a `TypeError` naming what is wrong) and returns
 * the reader, or `undefined` without one.
 */
export function legacyCookieSession(
  label: string,
  migrate: unknown,
  defaultName: string,
): LegacyCookieSession | undefined {
  if (migrate === undefined) return undefined;
  const option = `${label} option migrate`;
  // cookie-session's cookies are base64 JSON under SHA-1 keygrip signatures: Node's Buffer and crypto.
  if (typeof (globalThis as { Buffer?: unknown }).Buffer !== 'function') {
    throw new TypeError(
      `${option} needs node:crypto and Buffer (Node.js, Bun, Deno), which this runtime lacks`,
    );
  }
  if (migrate === null || typeof migrate !== 'object' || Array.isArray(migrate)) {
    throw new TypeError(`${option} must be an object such as { cookieSession: { keys } }`);
  }
  for (const key of Object.keys(migrate)) {
    if (key !== 'cookieSession')
      throw new TypeError(`${option}.${key} is unknown (migrate takes cookieSession)`);
  }
  const given = (migrate as { cookieSession?: unknown }).cookieSession;
  if (given === undefined) return undefined;
  if (given === null || typeof given !== 'object' || Array.isArray(given)) {
    throw new TypeError(`${option}.cookieSession must be an object with the keys cookie-session used`);
  }
  const options = given as Partial<CookieSessionMigrationOptions> & Record<string, unknown>;
  for (const key of Object.keys(options)) {
    if (!KNOWN.has(key)) throw new TypeError(`${option}.cookieSession.${key} is unknown`);
  }
  const name = options.name ?? defaultName;
  if (!isCookieName(name)) {
    throw new TypeError(
      `${option}.cookieSession.name must be a valid cookie name, got ${JSON.stringify(name)}`,
    );
  }
  const algorithm = options.algorithm ?? 'sha1';
  if (!ALGORITHMS.has(algorithm)) {
    throw new TypeError(`${option}.cookieSession.algorithm must be "sha1", "sha256" or "sha512"`);
  }
  const until = options.until;
  if (until !== undefined && !(until instanceof Date && Number.isFinite(until.getTime()))) {
    throw new TypeError(`${option}.cookieSession.until must be a valid Date`);
  }
  const indexOf = keyIndex(`${option}.cookieSession.keys`, options.keys, algorithm);
  const sigName = `${name}.sig`;

  return {
    name,
    sigName,
    holds: (header) => findCookie(header, sigName, { decode: false }) !== undefined,
    read(header, maxSize) {
      if (until !== undefined && Date.now() >= until.getTime()) return NONE;
      const signature = findCookie(header, sigName, { decode: false });
      const value = findCookie(header, name, { decode: false });
      if (signature === undefined || value === undefined) return NONE;
      // cookie-session's own cookies fit in one cookie; don't spend an HMAC on a bigger one.
      if (name.length + value.length > maxSize) return { kind: 'tampered', reason: 'oversized' };
      if (indexOf(`${name}=${value}`, signature) < 0) return { kind: 'tampered', reason: 'signature' };
      const data = decode(value);
      return data === undefined ? { kind: 'tampered', reason: 'malformed' } : { kind: 'session', data };
    },
  };
}

function keyIndex(
  option: string,
  keys: unknown,
  algorithm: KeygripAlgorithm,
): (data: string, signature: string) => number {
  if (keys !== null && typeof keys === 'object' && typeof (keys as KeygripLike).index === 'function') {
    const grip = keys as KeygripLike;
    return (data, signature) => {
      try {
        return grip.index(data, signature);
      } catch {
        return -1;
      }
    };
  }
  if (!Array.isArray(keys) || keys.length === 0) {
    throw new TypeError(
      `${option} must be a non-empty array of the keys cookie-session signed with (or a keygrip)`,
    );
  }
  for (const key of keys) {
    if (!((typeof key === 'string' || Buffer.isBuffer(key)) && key.length > 0)) {
      throw new TypeError(`${option} must hold non-empty strings or Buffers`);
    }
  }
  const copy: readonly KeygripKey[] = [...keys];
  return (data, signature) => keygripIndex(data, signature, copy, algorithm);
}

/** cookie-session's body: base64 of the JSON of the session's data. `undefined` unless an object. */
function decode(value: string): SessionRecord['data'] | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(value, 'base64').toString('utf8'));
  } catch {
    return undefined;
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return undefined;
  const data: Record<string, unknown> = {};
  for (const [key, entry] of Object.entries(parsed)) {
    if (!isReservedKey(key) && key !== 'isNew' && key !== 'isPopulated') data[key] = entry;
  }
  return data as SessionRecord['data'];
}
