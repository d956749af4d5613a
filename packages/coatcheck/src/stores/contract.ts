/**
 * The store contract: what coatcheck asks of a session store.
 *
 * Tiers, like express-session's, and the express-session method each one corresponds to:
 *
 * | tier        | coatcheck                        | express-session | why it matters                                  |
 * | ----------- | -------------------------------- | --------------- | ----------------------------------------------- |
 * | required    | `read`, `write`, `remove`        | get, set, destroy | sessions work at all                          |
 * | recommended | `patch`                          | (none)          | concurrent requests keep every write; a removed session stays removed |
 * | recommended | `refresh`                        | touch           | idle timeouts without rewriting data            |
 * | recommended | `rotate`                         | (none)          | a logout never undone by a concurrent `rotate()`/`regenerate()` |
 * | optional    | `ids`, `entries`, `count`, `purge` | all, length, clear | administration                             |
 * | optional    | `listByUser`, `removeByUser`     | (none)          | list a user's devices, log out everywhere       |
 * | optional    | `close`                          | (none)          | clean shutdown                                  |
 *
 * The names differ from express-session's on purpose: express-session passes its own session objects
 * and callbacks, coatcheck passes {@link SessionRecord}s and expects promises. A coatcheck store that
 * extends {@link Store} gets express-session's callback methods (`get`, `set`, `destroy`, `touch`,
 * `all`, `length`, `clear`) for free, so express-session can use it as is.
 *
 * Rules every store follows (the conformance suite in `coatcheck/testing` checks each one):
 *
 * 1. `read` never returns a record whose `expires` is in the past, and never returns the same object
 *    twice: callers may mutate what they get.
 * 2. `write` creates or replaces the whole record.
 * 3. `patch` and `refresh` only change a record that exists: on a missing (removed, expired) record
 *    they change nothing and resolve `false`. This is what makes a logout win over a slower request.
 *    `patch` is atomic: two patches on different keys, in any interleaving, both land.
 * 4. `remove` of a missing record is not an error.
 * 5. Errors are {@link StoreError}s naming the store and the operation; they never carry session
 *    data or raw session IDs.
 * 6. `rotate` is one decision: either the old record was live and is gone, and the new one exists,
 *    or (old record missing, removed, revoked or expired) nothing changed and it resolves `false`.
 *    A `removeByUser` that lands while a rotate is in flight therefore either beats it (the rotate
 *    fails) or finds the new record and removes that.
 * 7. `refresh` given a cookie stores it as `data.cookie`, so the stored cookie's expiry moves with
 *    the record's (express-session stores derive their TTL from it).
 * 8. A rotate leaves a forward from the old ID to the new one for {@link ROTATION_FORWARD_TTL}, and
 *    `remove(oldId)` follows it: it removes the new record too, and what that was rotated to in
 *    turn. So a logout that loaded the session just before a slower request (in any process)
 *    rotated it, and removes the old ID just after, still ends the session. The forward is written
 *    before the rotate's decision, so a remove in flight with the rotate either makes it fail or
 *    finds the forward. The middleware also keeps a trail of the rotations its own process made,
 *    for stores that keep no forwards (express-session stores among them).
 *
 * @module
 */

/**
 * How long a store keeps the forward a rotate leaves from the old ID to the new one (rule 8 of the
 * store contract): 10 minutes. A logout that loaded a session and removes it later than this after
 * a rotate is not followed to the new ID; requests are bounded by `storeTimeout` far below it.
 */
export const ROTATION_FORWARD_TTL = 10 * 60_000;

/** The JSON form of a session cookie, as express-session stores it under `data.cookie`. */
export interface CookieJSON {
  originalMaxAge: number | null;
  expires?: string | null;
  secure?: boolean | 'auto';
  httpOnly?: boolean;
  domain?: string;
  path?: string;
  sameSite?: boolean | 'lax' | 'strict' | 'none' | 'auto';
  partitioned?: boolean;
  priority?: 'low' | 'medium' | 'high';
}

/**
 * Session data as stored: the application's top-level keys plus `cookie`, exactly the shape
 * express-session gives its stores, so records move between the two.
 */
export interface StoredData {
  cookie?: CookieJSON;
  [key: string]: unknown;
}

/** One session as a store keeps it. */
export interface SessionRecord {
  /** The session's data: JSON-compatible values only. */
  data: StoredData;
  /** Epoch milliseconds after which the store must no longer return the record. */
  expires: number;
  /** Epoch milliseconds when the session was created; the absolute timeout counts from here. */
  created: number;
  /** Epoch milliseconds of the last write, patch or refresh; `touchAfter` counts from here. */
  touched: number;
  /** The user the session belongs to, for {@link SessionStore.listByUser}; absent when none. */
  user?: string | undefined;
}

/** A change to one session: the top-level keys one request set or deleted. */
export interface SessionPatch {
  /** Keys to create or replace, with their new values. */
  set: Readonly<Record<string, unknown>>;
  /** Keys to delete. */
  unset: readonly string[];
  /** The record's new expiry, epoch milliseconds. */
  expires: number;
  /** The time of this change, epoch milliseconds. */
  touched: number;
  /** A new owner (`string`), no owner (`null`), or unchanged (`undefined`). */
  user?: string | null | undefined;
}

/**
 * A session store. Implement the required methods at least; implement `patch` to give your users
 * lossless concurrent updates, and `listByUser`/`removeByUser` to give them "log out everywhere".
 *
 * @example
 * ```ts
 * import { Store, type SessionRecord } from 'coatcheck';
 *
 * class MapStore extends Store {
 *   readonly name = 'map';
 *   #records = new Map<string, string>();
 *   async read(id: string) {
 *     const json = this.#records.get(id);
 *     const record = json === undefined ? undefined : (JSON.parse(json) as SessionRecord);
 *     return record && record.expires > Date.now() ? record : undefined;
 *   }
 *   async write(id: string, record: SessionRecord) {
 *     this.#records.set(id, JSON.stringify(record));
 *   }
 *   async remove(id: string) {
 *     this.#records.delete(id);
 *   }
 * }
 * ```
 */
export interface SessionStore {
  /** A short name used in errors and events: `memory`, `redis`, `postgres`, … */
  readonly name: string;

  /** The record for `id`, or `undefined` when there is none or it has expired. */
  read(id: string): Promise<SessionRecord | undefined>;
  /** Creates or replaces the record for `id`. */
  write(id: string, record: SessionRecord): Promise<void>;
  /**
   * Deletes the record for `id`, and the records `id` was rotated to within the last
   * {@link ROTATION_FORWARD_TTL} (rule 8); deleting a missing record succeeds.
   */
  remove(id: string): Promise<void>;

  /**
   * Applies `patch` atomically to an existing, unexpired record. Resolves `false`, changing
   * nothing, when there is no such record.
   */
  patch?(id: string, patch: SessionPatch): Promise<boolean>;
  /**
   * Moves an existing record's expiry to `expires` and its `touched` time to `touched`, without
   * touching its data but `data.cookie`, which becomes `cookie` when one is given (its `expires`
   * moved with the record's). Resolves `false` when there is no such record.
   */
  refresh?(id: string, expires: number, touched: number, cookie?: CookieJSON): Promise<boolean>;
  /**
   * Moves a session to a new ID in one decision: when `oldId` holds an unexpired record, deletes it
   * and creates `newId` with `record`, resolving `true`; otherwise changes nothing (creates no
   * `newId`) and resolves `false`. `newId` is fresh from the CSPRNG: no record has it yet. Before
   * the decision it leaves a forward from `oldId` to `newId`, which {@link SessionStore.remove}
   * follows for {@link ROTATION_FORWARD_TTL} (rule 8).
   *
   * @example
   * ```ts
   * // The SQL stores: one UPDATE that renames the row only while it is live, and the forward.
   * // UPDATE sessions SET id = $2, data = $3, … WHERE id = $1 AND expires > $now  → 1 row: moved
   * // INSERT INTO sessions_forwards (old_id, new_id, expires) VALUES ($1, $2, $now + 10 min)
   * ```
   */
  rotate?(oldId: string, newId: string, record: SessionRecord): Promise<boolean>;

  /** IDs of all unexpired sessions. */
  ids?(): Promise<string[]>;
  /** All unexpired sessions, as `[id, record]` pairs. */
  entries?(): Promise<Array<[string, SessionRecord]>>;
  /** How many unexpired sessions there are. */
  count?(): Promise<number>;
  /** Deletes every session. */
  purge?(): Promise<void>;

  /** The unexpired sessions that belong to `user`. */
  listByUser?(user: string): Promise<Array<[string, SessionRecord]>>;
  /**
   * Deletes every session of `user`, except the one with ID `exceptId` when given. Resolves the
   * number of sessions deleted.
   */
  removeByUser?(user: string, exceptId?: string): Promise<number>;

  /** Releases connections and timers the store opened itself (never a client it was given). */
  close?(): Promise<void>;

  /**
   * Optional: `false` while the store's client knows it cannot reach its server (the connection was
   * refused or lost and the client is reconnecting), `true` otherwise, including when it cannot
   * tell. While it says `false`, the session middleware fails each call at once with 503
   * (`ERR_STORE_UNAVAILABLE`) instead of waiting out `storeTimeout`, except for one probe call
   * every `storeBreaker.probeInterval`. Must be cheap and never throw.
   */
  connected?(): boolean;
}

/** The optional methods a store may have, by name. */
export type StoreCapability =
  | 'patch'
  | 'refresh'
  | 'rotate'
  | 'ids'
  | 'entries'
  | 'count'
  | 'purge'
  | 'listByUser'
  | 'removeByUser'
  | 'close'
  | 'connected';

/** Whether `store` implements the optional method `capability`. */
export function supports<C extends StoreCapability>(
  store: SessionStore,
  capability: C,
): store is SessionStore & Required<Pick<SessionStore, C>> {
  return typeof store[capability] === 'function';
}

/** True when `value` looks like a coatcheck store rather than an express-session (connect) store. */
export function isSessionStore(value: unknown): value is SessionStore {
  if (value === null || typeof value !== 'object') return false;
  const candidate = value as Partial<SessionStore>;
  return (
    typeof candidate.read === 'function' &&
    typeof candidate.write === 'function' &&
    typeof candidate.remove === 'function'
  );
}

/**
 * Applies a patch to stored data, for stores that patch in memory or inside a transaction.
 * Keys that could alter an object's prototype are never written.
 */
export function applyPatch(data: StoredData, patch: Pick<SessionPatch, 'set' | 'unset'>): StoredData {
  for (const key of patch.unset) delete data[key];
  for (const key of Object.keys(patch.set)) {
    if (key === '__proto__') continue;
    data[key] = patch.set[key];
  }
  return data;
}
