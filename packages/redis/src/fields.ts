/**
 * How a session maps onto one Redis hash, as pure functions: what is sent to Redis and what is read
 * back never depends on a connection, so this file is tested on its own.
 *
 * A session is one hash. Every top-level data key is its own field, `d:<key>`, holding that value
 * as JSON, so a patch is `HSET`/`HDEL` of the fields it changes and never a read-modify-write of the
 * whole session. Metadata sits in `m:` fields, which no data field can collide with:
 *
 * | field       | value                                                                    |
 * | ----------- | ------------------------------------------------------------------------ |
 * | `m:expires` | epoch ms; the key also has `PEXPIREAT` at this time                      |
 * | `m:created` | epoch ms                                                                 |
 * | `m:touched` | epoch ms                                                                 |
 * | `m:user`    | the owner, absent when none                                              |
 * | `m:indexed` | epoch ms until which the owner's index key is known to live (see store)  |
 * | `d:<key>`   | `JSON.stringify(data[key])`                                              |
 *
 * @module
 */
import { type SessionRecord, SessionSerializeError } from 'coatcheck';
import { decodeData, decodeRecord, putStoredKey, type SessionPatch, type StoredData } from 'coatcheck/stores';

export const EXPIRES = 'm:expires';
export const CREATED = 'm:created';
export const TOUCHED = 'm:touched';
export const USER = 'm:user';
export const INDEXED = 'm:indexed';
const DATA = 'd:';

/** The hash field holding top-level data key `key`. */
export function dataField(key: string): string {
  return DATA + key;
}

function serialize(key: string, value: unknown): string | undefined {
  try {
    return JSON.stringify(value);
  } catch (cause) {
    throw new SessionSerializeError(key, { cause });
  }
}

/**
 * `[field, json, field, json, …]` for every key of `data` whose value JSON can hold. Keys whose
 * value JSON drops (`undefined`, functions, symbols) are left out, as `JSON.stringify` leaves them
 * out of an object, so records read back as they would from any JSON store.
 */
export function dataFields(data: Readonly<Record<string, unknown>>): string[] {
  const out: string[] = [];
  for (const key of Object.keys(data)) {
    const json = serialize(key, data[key]);
    if (json !== undefined) out.push(dataField(key), json);
  }
  return out;
}

/** What a patch does to the hash's data fields: fields to delete first, then pairs to set. */
export interface FieldChanges {
  remove: string[];
  set: string[];
}

/**
 * The field changes of `patch`. A key set to a value JSON drops is deleted, as a full rewrite
 * would drop it; a key both unset and set ends up set, as {@link applyPatch} does.
 */
export function patchFields(patch: Pick<SessionPatch, 'set' | 'unset'>): FieldChanges {
  const remove = new Set(patch.unset.map(dataField));
  const set: string[] = [];
  for (const key of Object.keys(patch.set)) {
    const json = serialize(key, patch.set[key]);
    if (json === undefined) {
      remove.add(dataField(key));
    } else {
      remove.delete(dataField(key));
      set.push(dataField(key), json);
    }
  }
  return { remove: [...remove], set };
}

/** A stored hash as `[field, value]` pairs, whatever shape the client handed it back in. */
export function hashPairs(reply: unknown): Array<[string, string]> {
  if (Array.isArray(reply)) {
    const pairs: Array<[string, string]> = [];
    for (let i = 0; i + 1 < reply.length; i += 2) pairs.push([String(reply[i]), String(reply[i + 1])]);
    return pairs;
  }
  if (reply instanceof Map) return [...reply].map(([field, value]) => [String(field), String(value)]);
  if (reply !== null && typeof reply === 'object') {
    return Object.entries(reply).map(([field, value]) => [field, String(value)]);
  }
  return [];
}

/** A time field as written (`String(ms)`), or `NaN` for a missing or empty one. */
function time(value: string | undefined): number {
  return value === undefined || value.trim() === '' ? Number.NaN : Number(value);
}

/**
 * The record a hash holds, or `undefined` when there is no hash (no fields) or it has expired by
 * `now`. A hash that cannot be read back (a field that is not JSON, a time that is missing or not a
 * number) is a `SessionRecordError`: a missing creation time is never replaced by another
 * time, which would move the absolute timeout.
 */
export function recordFromHash(pairs: Iterable<[string, string]>, now: number): SessionRecord | undefined {
  const data: StoredData = {};
  let fields = 0;
  let expires: string | undefined;
  let created: string | undefined;
  let touched: string | undefined;
  let user: string | undefined;
  for (const [field, value] of pairs) {
    fields++;
    if (field.startsWith(DATA)) {
      putStoredKey('redis', data, field.slice(DATA.length), value);
    } else if (field === EXPIRES) expires = value;
    else if (field === CREATED) created = value;
    else if (field === TOUCHED) touched = value;
    else if (field === USER) user = value;
  }
  if (fields === 0) return undefined;
  const record = decodeRecord('redis', {
    data,
    expires: time(expires),
    created: time(created),
    touched: touched === undefined ? undefined : time(touched),
    user,
  });
  return record.expires > now ? record : undefined;
}

/** connect-redis's lifetime for a session whose cookie has no expiry, in milliseconds. */
const CONNECT_REDIS_TTL = 86_400_000;

/**
 * The record of a session connect-redis wrote (express-session's session as JSON) under a key
 * expiring at `keyExpires` (epoch ms, negative for none). It knows neither its creation nor its
 * last save: both are taken as the time its cookie's `maxAge` counts from.
 */
export function recordFromConnectRedis(
  json: string,
  keyExpires: number,
  now: number,
): SessionRecord | undefined {
  const data = decodeData('redis', json);
  const cookieExpires =
    typeof data.cookie?.expires === 'string' ? Date.parse(data.cookie.expires) : Number.NaN;
  const expires =
    keyExpires > 0 ? keyExpires : Number.isFinite(cookieExpires) ? cookieExpires : now + CONNECT_REDIS_TTL;
  if (!(expires > now)) return undefined;
  const maxAge = data.cookie?.originalMaxAge;
  const saved =
    expires - (typeof maxAge === 'number' && Number.isFinite(maxAge) ? maxAge : CONNECT_REDIS_TTL);
  return { data, expires, created: saved, touched: saved, user: undefined };
}
