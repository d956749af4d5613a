/**
 * The one decoder of stored sessions: every store (ours, and the connect-store adapter) hands what
 * its database gave back to {@link decodeRecord}, which either returns a {@link SessionRecord} the
 * middleware can use as it is, or throws a {@link SessionRecordError}. A record written by hand,
 * by another tool or by a damaged disk therefore never reaches the middleware half-read (a `null`
 * data, a cookie that is a string, an expiry that is not a time), where it would fail as a
 * `TypeError` on every request; and an unreadable expiry is never read as "never expires".
 *
 * @module
 */
import { SessionRecordError, type SessionRecordField } from '../errors.js';
import type { CookieJSON, SessionRecord, StoredData } from './contract.js';

/** A session as a store read it, before it is checked: each field as the database gave it back. */
export interface StoredFields {
  /** The data: an object (a JSON column the driver parsed) or its JSON text. */
  data: unknown;
  /** Epoch milliseconds, as a number or a `Date`. */
  expires: unknown;
  /** Epoch milliseconds, as a number or a `Date`. */
  created: unknown;
  /** Epoch milliseconds, as a number or a `Date`; absent means `created`. */
  touched?: unknown;
  /** The owner: a string, or `null`/`undefined` for none. */
  user?: unknown;
}

/**
 * Epoch milliseconds from a stored time (a finite number or a valid `Date`), or `NaN` when it is
 * not one: NaN compares false with everything, so a caller checking `expires > now` treats it as
 * expired.
 */
export function storedTime(value: unknown): number {
  if (typeof value === 'number') return Number.isFinite(value) ? value : Number.NaN;
  if (value instanceof Date) return value.getTime();
  return Number.NaN;
}

/**
 * The value of stored JSON text, or a {@link SessionRecordError} naming `field` when it is not JSON.
 * The parser's own error is not kept: its message quotes the text, which is session data.
 */
export function parseStoredJSON(store: string, field: SessionRecordField, text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new SessionRecordError(store, field);
  }
}

/**
 * Stores that keep each top-level key of the data apart (Redis hash fields, MongoDB document fields)
 * put them back one by one with this: `text` must be the JSON text the store wrote for `key`, or it
 * is a {@link SessionRecordError} (field `cookie` for the cookie, `data` for any other key). A
 * `__proto__` key becomes an own key, as `JSON.parse` makes it, never the object's prototype.
 *
 * @example
 * ```ts
 * const data: StoredData = {};
 * for (const [key, text] of fields) putStoredKey('redis', data, key, text);
 * ```
 */
export function putStoredKey(store: string, data: StoredData, key: string, text: unknown): void {
  const field = key === 'cookie' ? 'cookie' : 'data';
  if (typeof text !== 'string') throw new SessionRecordError(store, field);
  const value = parseStoredJSON(store, field, text);
  if (key === '__proto__') {
    Object.defineProperty(data, key, { value, enumerable: true, writable: true, configurable: true });
  } else {
    data[key] = value;
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

const SAME_SITE = new Set(['lax', 'strict', 'none', 'auto']);
const PRIORITY = new Set(['low', 'medium', 'high']);

// `null` is an absent attribute too: BSON stores an `undefined` field as `null` (connect-mongodb-session
// writes express-session's cookie with `domain: null`, `sameSite: null`, …), and a session written
// that way must keep working, not read as damaged.
function optional(value: unknown, check: (value: unknown) => boolean): boolean {
  return value === undefined || value === null || check(value);
}

const isBoolean = (value: unknown) => typeof value === 'boolean';
const isString = (value: unknown) => typeof value === 'string';
const isMaxAge = (value: unknown) => value === null || (typeof value === 'number' && Number.isFinite(value));

/**
 * Whether `value` is a cookie the session's `Cookie` can be built from: express-session's JSON
 * shape, each attribute of its type, and an `expires` that is `null` or a date `Date.parse` reads.
 */
export function isCookieJSON(value: unknown): value is CookieJSON {
  if (!isObject(value)) return false;
  const { originalMaxAge, maxAge, expires, secure, httpOnly, domain, path, sameSite, partitioned, priority } =
    value;
  return (
    optional(originalMaxAge, isMaxAge) &&
    optional(maxAge, isMaxAge) &&
    optional(expires, (v) => v === null || (typeof v === 'string' && Number.isFinite(Date.parse(v)))) &&
    optional(secure, (v) => typeof v === 'boolean' || v === 'auto') &&
    optional(httpOnly, isBoolean) &&
    optional(domain, isString) &&
    optional(path, isString) &&
    optional(
      sameSite,
      (v) => typeof v === 'boolean' || (typeof v === 'string' && SAME_SITE.has(v.toLowerCase())),
    ) &&
    optional(partitioned, isBoolean) &&
    optional(priority, (v) => typeof v === 'string' && PRIORITY.has(v.toLowerCase()))
  );
}

/**
 * Checks session data as stored: an object (not `null`, not an array) whose `cookie`, when there
 * is one, {@link isCookieJSON}. Returns the same object.
 */
export function decodeData(store: string, data: unknown): StoredData {
  const value = typeof data === 'string' ? parseStoredJSON(store, 'data', data) : data;
  if (!isObject(value)) throw new SessionRecordError(store, 'data');
  if (value.cookie !== undefined && !isCookieJSON(value.cookie))
    throw new SessionRecordError(store, 'cookie');
  return value as StoredData;
}

/**
 * The record a store read, checked: throws {@link SessionRecordError} naming the first field that
 * cannot be used. An unreadable `expires` or `created` is an error, never a default: `expires` taken
 * as "never" would keep a session forever, and `created` taken from anything later would move its
 * absolute timeout. It does not check whether the record has expired: the store does, with the
 * `expires` this returns.
 *
 * @example
 * ```ts
 * // In a store's read():
 * const row = db.prepare('SELECT data, expires, created, touched, user_id FROM sessions WHERE id = ?').get(id);
 * if (row === undefined) return undefined;
 * const record = decodeRecord('mystore', { ...row, user: row.user_id });
 * return record.expires > Date.now() ? record : undefined;
 * ```
 */
export function decodeRecord(store: string, fields: StoredFields): SessionRecord {
  const data = decodeData(store, fields.data);
  const expires = storedTime(fields.expires);
  if (Number.isNaN(expires)) throw new SessionRecordError(store, 'expires');
  const created = storedTime(fields.created);
  if (Number.isNaN(created)) throw new SessionRecordError(store, 'created');
  const touched =
    fields.touched === undefined || fields.touched === null ? created : storedTime(fields.touched);
  if (Number.isNaN(touched)) throw new SessionRecordError(store, 'touched');
  const user = fields.user;
  if (user !== undefined && user !== null && typeof user !== 'string')
    throw new SessionRecordError(store, 'user');
  const record: SessionRecord = { data, expires, created, touched };
  if (typeof user === 'string') record.user = user;
  return record;
}

/**
 * What `decode` returns, or `undefined` when it finds the record damaged: for listings (`entries`,
 * `listByUser`), which show what can be read rather than fail for one bad row.
 */
export function skipDamaged<T>(decode: () => T): T | undefined {
  try {
    return decode();
  } catch (err) {
    if (err instanceof SessionRecordError) return undefined;
    throw err;
  }
}

/** `[id, record]` for every row that decodes ({@link skipDamaged}). */
export function decodeRows<Row>(
  rows: Iterable<Row>,
  decode: (row: Row) => [string, SessionRecord],
): Array<[string, SessionRecord]> {
  const out: Array<[string, SessionRecord]> = [];
  for (const row of rows) {
    const entry = skipDamaged(() => decode(row));
    if (entry !== undefined) out.push(entry);
  }
  return out;
}
