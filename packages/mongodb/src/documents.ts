/**
 * How sessions map onto MongoDB documents, and every filter and update the store sends, as pure
 * functions: they are tested without a server, and the store sends exactly what they build.
 *
 * A session is one document:
 *
 * ```js
 * {
 *   _id: '<session id>',
 *   data: { cart: '["apple"]', 'a%2Eb': '"dotted key"', '%24set': '1' },  // key → JSON
 *   expires: ISODate(…),  // TTL index { expires: 1 }, expireAfterSeconds 0
 *   created: ISODate(…),
 *   touched: ISODate(…),
 *   user: 'user-42',      // absent when none; index { user: 1, expires: 1 }
 * }
 * ```
 *
 * Each top-level data key is one field of `data`, so a patch is `$set`/`$unset` of `data.<key>`
 * for just the keys a request changed, applied atomically by the server to the one document.
 * Two things keep that safe for any key an application uses:
 *
 * - Field names are encoded ({@link encodeKey}): `.` would turn `$set: { 'data.a.b': … }` into a
 *   nested path, a leading `$` reads as an operator, and `''` is no path at all.
 * - Values are stored as JSON strings, not as BSON sub-documents: nested objects may hold keys
 *   such as `$dollar` or `dotted.key`, which update operators refuse or misread, and JSON is the
 *   contract's value model anyway (a `Date` reads back as its ISO string, as from any JSON store).
 *
 * `expires` is the field connect-mongodb-session uses, with the same TTL index, so its documents
 * (`{ _id, session, expires }`) stay readable: {@link fromDocument} reads them, and the store
 * rewrites one in this layout before its first patch.
 *
 * @module
 */
import { type SessionRecord, SessionRecordError, SessionSerializeError } from 'coatcheck';
import {
  decodeData as checkData,
  decodeRecord,
  putStoredKey,
  type SessionPatch,
  type StoredData,
} from 'coatcheck/stores';

/** A session document, in this store's layout or connect-mongodb-session's. */
export interface SessionDocument {
  _id: string;
  /** Encoded top-level key → JSON of its value. Absent in connect-mongodb-session's documents. */
  data?: Record<string, string>;
  expires: Date;
  created?: Date;
  touched?: Date;
  user?: string;
  /**
   * The whole session, in documents of the stores this one replaces: a BSON document
   * (connect-mongodb-session) or a JSON string (connect-mongo, with its default `stringify`).
   */
  session?: Record<string, unknown> | string;
}

/** connect-mongodb-session's default lifetime, used to date its documents that carry no maxAge. */
const LEGACY_LIFETIME = 14 * 24 * 60 * 60 * 1000;

/**
 * The field name for top-level data key `key`: `%`, `.`, `$` and NUL become `%XX`, and the empty
 * key becomes `%` (which no other key encodes to, since every other `%` is followed by two hex
 * digits). Every other key is stored as written, so documents stay readable in the shell.
 *
 * @example
 * ```ts
 * encodeKey('cart');  // 'cart'
 * encodeKey('a.b');   // 'a%2Eb'
 * encodeKey('$set');  // '%24set'
 * ```
 */
export function encodeKey(key: string): string {
  if (key === '') return '%';
  return key.replace(/[%.$\0]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`);
}

/** The data key a field name stands for; inverse of {@link encodeKey}. */
export function decodeKey(field: string): string {
  if (field === '%') return '';
  return field.replace(/%([0-9A-F]{2})/g, (_, hex: string) => String.fromCharCode(Number.parseInt(hex, 16)));
}

/** JSON of `value`, or `undefined` for values JSON drops (`undefined`, functions, symbols). */
function json(key: string, value: unknown): string | undefined {
  try {
    return JSON.stringify(value);
  } catch (cause) {
    throw new SessionSerializeError(key, { cause });
  }
}

function encodeData(data: Readonly<Record<string, unknown>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const key of Object.keys(data)) {
    const value = json(key, data[key]);
    if (value === undefined) continue;
    if (key === '__proto__') {
      // Assignment would set the object's prototype and drop the key.
      Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true });
    } else {
      out[encodeKey(key)] = value;
    }
  }
  return out;
}

function decodeData(fields: unknown): StoredData {
  if (fields === null || typeof fields !== 'object' || Array.isArray(fields)) {
    throw new SessionRecordError('mongodb', 'data');
  }
  const data: StoredData = {};
  // Every field this store writes is JSON text (see the module notes).
  for (const field of Object.keys(fields)) {
    putStoredKey('mongodb', data, decodeKey(field), (fields as Record<string, unknown>)[field]);
  }
  return data;
}

/**
 * Whether top-level key `key` can be a field of the `session` mirror as it is: connect-mongodb-session
 * reads field names as keys, so a name that would need encoding has no place there.
 */
function mirrorableKey(key: string): boolean {
  return key !== '' && key !== '__proto__' && !key.startsWith('$') && !/[.\0]/.test(key);
}

/**
 * Whether `value` can be stored as BSON by an update on any server: MongoDB refuses a `$set` whose
 * value holds a field name starting with `$`, `.` or `__proto__` would not read back as written,
 * and FerretDB v1 refuses nested arrays.
 */
function plainValue(value: unknown, inArray = false): boolean {
  // FerretDB v1 refuses an array inside an array ("nested arrays are not supported").
  if (Array.isArray(value)) return !inArray && value.every((item) => plainValue(item, true));
  if (value === null || typeof value !== 'object') return true;
  for (const [name, nested] of Object.entries(value)) {
    if (name.startsWith('$') || name.includes('.') || name === '__proto__' || !plainValue(nested))
      return false;
  }
  return true;
}

/**
 * With `legacySession`, connect-mongodb-session's `session` field beside the store's own `data`:
 * every top-level key whose name and value BSON holds as written ({@link mirrorableKey},
 * {@link plainValue}), as JSON reads it back. The store itself never reads it.
 */
function mirror(data: Record<string, string>): Record<string, unknown> {
  const session: Record<string, unknown> = {};
  for (const field of Object.keys(data)) {
    const key = decodeKey(field);
    if (!mirrorableKey(key)) continue;
    const value = JSON.parse(data[field] as string);
    if (plainValue(value)) session[key] = value;
  }
  return session;
}

/** How the store lays out its documents. */
export interface LayoutOptions {
  /** Keep connect-mongodb-session's `session` field current too (see {@link mirror}). */
  legacySession?: boolean;
}

/** The document that stores `record` under `id`. */
export function toDocument(id: string, record: SessionRecord, layout: LayoutOptions = {}): SessionDocument {
  const data = encodeData(record.data);
  const doc: SessionDocument = {
    _id: id,
    data,
    expires: new Date(record.expires),
    created: new Date(record.created),
    touched: new Date(record.touched),
  };
  if (record.user !== undefined && record.user !== null) doc.user = record.user;
  if (layout.legacySession) doc.session = mirror(data);
  return doc;
}

/** Whether `doc` was written by connect-mongodb-session (or connect-mongo) rather than by this store. */
export function isLegacyDocument(doc: SessionDocument): boolean {
  if (doc.data !== undefined) return false;
  return typeof doc.session === 'string' || (doc.session !== null && typeof doc.session === 'object');
}

/**
 * The record a document holds, from this store's layout or connect-mongodb-session's. A legacy
 * document knows neither its creation nor its last save: both are taken as the time its cookie's
 * `maxAge` counts from (`expires − maxAge`). A document that cannot be read back (data that is not
 * this layout's, an `expires` or `created` that is not a date) is a `SessionRecordError`.
 */
export function fromDocument(doc: SessionDocument): SessionRecord {
  if (!isLegacyDocument(doc)) {
    return decodeRecord('mongodb', {
      data: decodeData(doc.data),
      expires: doc.expires,
      created: doc.created,
      touched: doc.touched,
      user: doc.user,
    });
  }
  // Through JSON, as a JSON store would give it back: the cookie's Date becomes its ISO string.
  const data = checkData(
    'mongodb',
    typeof doc.session === 'string' ? doc.session : JSON.stringify(doc.session),
  );
  const maxAge = data.cookie?.originalMaxAge;
  const lifetime = typeof maxAge === 'number' && Number.isFinite(maxAge) ? maxAge : LEGACY_LIFETIME;
  const expires = doc.expires instanceof Date ? doc.expires.getTime() : Number.NaN;
  return decodeRecord('mongodb', { data, expires, created: expires - lifetime, user: doc.user });
}

/** The filter of one session, live or not. */
export function idFilter(id: string) {
  return { _id: id };
}

/** Whether `doc` is a session still live at `now`, for lookups by `_id` alone. */
export function isLive(doc: SessionDocument, now: number): boolean {
  return doc.expires instanceof Date && doc.expires.getTime() > now;
}

/** The filter of every session still live at `now`. */
export function liveFilter(now: number) {
  return { expires: { $gt: new Date(now) } };
}

/** The filter of session `id` if it is live at `now`. */
export function readFilter(id: string, now: number) {
  return { _id: id, ...liveFilter(now) };
}

/**
 * The filter a patch applies under: the session is live and in this store's layout (a
 * connect-mongodb-session document is rewritten first, or `data.<key>` would land beside its data).
 */
export function patchFilter(id: string, now: number) {
  return { ...readFilter(id, now), data: { $exists: true } };
}

/** The update that applies `patch`: `$set`/`$unset` of the changed keys' fields and the metadata. */
export function patchUpdate(patch: SessionPatch, layout: LayoutOptions = {}) {
  const $set: Record<string, unknown> = {
    expires: new Date(patch.expires),
    touched: new Date(patch.touched),
  };
  const $unset: Record<string, ''> = {};
  const legacy = layout.legacySession === true;
  for (const key of patch.unset) {
    $unset[`data.${encodeKey(key)}`] = '';
    if (legacy && mirrorableKey(key)) $unset[`session.${key}`] = '';
  }
  for (const key of Object.keys(patch.set)) {
    const path = `data.${encodeKey(key)}`;
    const value = json(key, patch.set[key]);
    // A key both unset and set ends up set, as applyPatch does; a value JSON drops is a delete.
    if (value === undefined) {
      $unset[path] = '';
    } else {
      delete $unset[path];
      $set[path] = value;
    }
    if (!legacy || !mirrorableKey(key)) continue;
    const mirrored = value === undefined ? undefined : JSON.parse(value);
    // A value the mirror cannot hold leaves it, rather than staying there stale.
    if (value === undefined || !plainValue(mirrored)) {
      $unset[`session.${key}`] = '';
    } else {
      delete $unset[`session.${key}`];
      $set[`session.${key}`] = mirrored;
    }
  }
  if (typeof patch.user === 'string') $set.user = patch.user;
  else if (patch.user === null) $unset.user = '';
  return Object.keys($unset).length > 0 ? { $set, $unset } : { $set };
}

/** The update of a refresh: new expiry and touch time, data untouched. */
export function refreshUpdate(expires: number, touched: number) {
  return { $set: { expires: new Date(expires), touched: new Date(touched) } };
}

/** The update of a refresh that also stores the session cookie, its expiry moved with the record's. */
export function refreshCookieUpdate(
  expires: number,
  touched: number,
  cookie: unknown,
  layout: LayoutOptions = {},
) {
  const $set: Record<string, unknown> = {
    expires: new Date(expires),
    touched: new Date(touched),
    [`data.${encodeKey('cookie')}`]: json('cookie', cookie),
  };
  if (layout.legacySession) $set['session.cookie'] = JSON.parse(json('cookie', cookie) ?? 'null');
  return { $set };
}

/** The filter of `user`'s sessions live at `now`, leaving out `exceptId` when given. */
export function userFilter(user: string, now: number, exceptId?: string) {
  const filter = { user, ...liveFilter(now) };
  return exceptId === undefined ? filter : { ...filter, _id: { $ne: exceptId } };
}

/**
 * The filter and replacement that move a connect-mongodb-session document into this layout. The
 * filter only matches while the document is still in the old layout, so two requests migrating
 * the same session at once rewrite it once.
 */
export function migration(doc: SessionDocument, layout: LayoutOptions = {}) {
  return {
    filter: { _id: doc._id, data: { $exists: false } },
    replacement: toDocument(doc._id, fromDocument(doc), layout),
  };
}

/**
 * The indexes the store creates: the TTL index connect-mongodb-session also creates, and users'.
 * `fallback` is what the store creates instead on a server that answers `NotImplemented` to the
 * index's options: FerretDB v1 refuses both `expireAfterSeconds` and `partialFilterExpression`.
 * Without the TTL index the server never deletes a session, so the store prunes expired ones
 * itself; reads never depend on either, since every filter checks `expires`.
 */
export const INDEXES = [
  {
    key: { expires: 1 },
    options: { name: 'expires_1', expireAfterSeconds: 0 },
    fallback: { name: 'expires_1' },
    ttl: true,
  },
  {
    key: { user: 1, expires: 1 },
    options: { name: 'user_1_expires_1', partialFilterExpression: { user: { $exists: true } } },
    fallback: { name: 'user_1_expires_1' },
    ttl: false,
  },
] as const;

/**
 * The filter of every session expired at `now`, or whose `expires` is no date, for the store's own
 * pruning: the TTL index never deletes a document whose `expires` is not a date, and reads never
 * serve one, so without this it would stay forever.
 */
export function expiredFilter(now: number) {
  return { $or: [{ expires: { $lte: new Date(now) } }, { expires: { $not: { $type: 'date' as const } } }] };
}
