import { type SessionRecord, type SessionStore, StoreError } from 'coatcheck';
import {
  type CookieJSON,
  checkBoolean,
  checkPruneInterval,
  decodeRows,
  ROTATION_FORWARD_TTL,
  removeWithForwards,
  type SessionPatch,
  StoreBase,
} from 'coatcheck/stores';
import { type Collection, MongoClient, type MongoClientOptions, MongoServerError } from 'mongodb';
import {
  expiredFilter,
  fromDocument,
  INDEXES,
  idFilter,
  isLegacyDocument,
  isLive,
  type LayoutOptions,
  liveFilter,
  migration,
  patchFilter,
  patchUpdate,
  readFilter,
  refreshCookieUpdate,
  refreshUpdate,
  type SessionDocument,
  toDocument,
  userFilter,
} from './documents.js';

/**
 * Options of {@link MongoDBStore}: `uri` (the store opens its own client and closes it in
 * `close()`) or `client` (the application's, never closed by the store), not both.
 */
export interface MongoDBStoreOptions {
  /** `mongodb://…` or `mongodb+srv://…`: the name every first-party store gives its URL. */
  url?: string | undefined;
  /**
   * `url` under connect-mongodb-session's name, kept so its options work as they are. Typed as optional so that
   * `{ uri: process.env.MONGODB_URI }` compiles; a missing one is a `TypeError` at construction.
   */
  uri?: string | undefined;
  /** Options of the client the store opens from `uri` (pool size, timeouts, TLS, …). */
  clientOptions?: MongoClientOptions;
  /** A `MongoClient` the application owns. It connects on first use if it has not yet. */
  client?: MongoClient | undefined;
  /** The collection of sessions. Default `sessions`, as connect-mongodb-session's. */
  collection?: string;
  /** The database; default the one named in `uri` (or the client's), as connect-mongodb-session. */
  databaseName?: string;
  /** Create the TTL and user indexes on first use. Default `true`; turn off where the role cannot. */
  createIndexes?: boolean;
  /**
   * How often, in milliseconds, the store deletes expired sessions itself ({@link MongoDBStore.prune}).
   * Default: every 15 minutes on a server that refused the TTL index (FerretDB v1 answers
   * `NotImplemented`), never where the TTL index deletes them. A number given here applies on any
   * server; `0` turns it off. Expired sessions are never served either way.
   */
  pruneInterval?: number | undefined;
  /**
   * Also keep connect-mongodb-session's `session` field current, so that an app rolled back to
   * connect-mongodb-session still finds its users signed in. Default `false`. The store never
   * reads the field; it holds every top-level key whose name and value MongoDB stores as written
   * (no field name starting with `$` or holding `.`), which covers what express-session apps keep
   * (`cookie`, `passport`, carts, flash messages). Turn it on before the sessions it must cover are
   * written: a session written without it gains a `session` field only from its next full save.
   */
  legacySession?: boolean;
}

/** Passes of {@link MongoDBStore.removeByUser} before it stops chasing new logins. */
const MAX_REMOVE_PASSES = 5;
/** MongoDB's duplicate key error. */
const DUPLICATE_KEY = 11000;

/** Where a rotated session went: one document per old ID. */
export interface ForwardDocument {
  _id: string;
  to: string[];
  expires: Date;
}
/** The store's own pruning period on a server without TTL indexes, as the SQL stores'. */
const DEFAULT_PRUNE_INTERVAL = 15 * 60_000;

// https://www.mongodb.com/docs/manual/reference/limits/#naming-restrictions
const DATABASE_NAME = /^[^/\\. "$*<>:|?\0]{1,63}$/;
const COLLECTION_NAME = /^(?!system\.)[^$\0]{1,120}$/;

/** Whether `err` is a server refusing an index option it does not implement (FerretDB v1). */
function isNotImplemented(err: unknown): boolean {
  return err instanceof MongoServerError && (err.code === 238 || err.codeName === 'NotImplemented');
}

/**
 * The driver's error as `cause`, minus what could carry session IDs or data: a server error's
 * message can quote the document or key (`E11000 … dup key: { _id: "…" }`), so only its code is
 * kept; client-side errors (network, timeouts) keep their message.
 */
function scrub(err: unknown): unknown {
  if (err instanceof MongoServerError) {
    const clean = new Error(`MongoDB server error ${err.code ?? ''} ${err.codeName ?? ''}`.trim());
    clean.name = err.name;
    Object.assign(clean, { code: err.code, codeName: err.codeName, errorLabels: [...err.errorLabels] });
    return clean;
  }
  return err;
}

/**
 * A session store on MongoDB implementing the whole coatcheck contract, and a drop-in for
 * connect-mongodb-session: same options, same collection, and the sessions that store wrote stay
 * valid, so users stay logged in through the migration.
 *
 * One document per session; a patch `$set`s/`$unset`s only the keys a request changed, so
 * concurrent requests that change different keys all keep their change. A TTL index on `expires`
 * lets the server delete expired sessions; reads never return one in between. On a server without
 * TTL indexes (FerretDB v1) the store deletes them itself, every `pruneInterval`.
 *
 * @example
 * ```ts
 * import { MongoDBStore } from '@coatcheck/mongodb';
 *
 * const store = new MongoDBStore({ uri: process.env.MONGODB_URI, collection: 'sessions' });
 * app.use(session({ secret, store }));
 * ```
 */
export class MongoDBStore extends StoreBase implements SessionStore {
  readonly name = 'mongodb';
  /** The collection of sessions. */
  readonly collection: Collection<SessionDocument>;
  /**
   * Where rotations leave their forwards (store contract, rule 8): the collection's name plus
   * `_forwards`, one document per old ID, `{ _id, to: [new IDs], expires }`.
   */
  readonly forwards: Collection<ForwardDocument>;
  readonly #pruneInterval: number | undefined;
  readonly #layout: LayoutOptions;
  #serialUpdates: boolean | undefined;
  readonly #queues = new Map<string, Promise<unknown>>();
  /**
   * Whether the server deletes expired sessions (the TTL index exists): `undefined` until the
   * store has created its indexes, and always with `createIndexes: false`.
   */
  #serverExpires: boolean | undefined;

  constructor(options: MongoDBStoreOptions) {
    super();
    if (options === null || typeof options !== 'object') {
      throw new TypeError('MongoDBStore: options must be an object with uri or client');
    }
    const url = options.url ?? options.uri;
    const {
      client,
      clientOptions,
      collection = 'sessions',
      databaseName,
      createIndexes = true,
      pruneInterval,
      legacySession = false,
    } = options;
    if (options.url !== undefined && options.uri !== undefined) {
      throw new TypeError('MongoDBStore: give url or its connect-mongodb-session spelling uri, not both');
    }
    if (url !== undefined && client !== undefined) {
      throw new TypeError('MongoDBStore: pass either url (uri) or client, not both');
    }
    if (client !== undefined) {
      // Duck-typed: the application's mongodb may be another copy than the one this package sees.
      if (client === null || typeof (client as Partial<MongoClient>).db !== 'function') {
        throw new TypeError('MongoDBStore: client must be a MongoClient');
      }
      if (clientOptions !== undefined) throw new TypeError('MongoDBStore: clientOptions only apply with url');
    } else if (typeof url !== 'string' || !/^mongodb(\+srv)?:\/\//.test(url)) {
      throw new TypeError('MongoDBStore: uri must be a mongodb:// or mongodb+srv:// connection string');
    }
    if (typeof collection !== 'string' || !COLLECTION_NAME.test(collection)) {
      throw new TypeError(
        'MongoDBStore: collection must be 1–120 characters without "$" or NUL, not starting with "system."',
      );
    }
    if (
      databaseName !== undefined &&
      (typeof databaseName !== 'string' || !DATABASE_NAME.test(databaseName))
    ) {
      throw new TypeError('MongoDBStore: databaseName must be 1–63 characters without /\\. "$*<>:|? or NUL');
    }
    checkBoolean('MongoDBStore', 'createIndexes', createIndexes);
    checkBoolean('MongoDBStore', 'legacySession', legacySession);
    if (pruneInterval !== undefined) checkPruneInterval('MongoDBStore', pruneInterval);
    // The driver connects on first use; constructing a client opens nothing yet.
    const mongo = client ?? new MongoClient(url as string, clientOptions);
    if (client === undefined) this.release(() => mongo.close());
    this.#pruneInterval = pruneInterval;
    this.#layout = { legacySession };
    this.collection = mongo.db(databaseName).collection<SessionDocument>(collection);
    this.forwards = mongo.db(databaseName).collection<ForwardDocument>(`${collection}_forwards`);
    // Learnt once, before the first operation (not now: constructing the store connects nothing).
    this.setUp(async () => {
      try {
        this.#serialUpdates = await this.#isFerretDB();
        if (createIndexes) await this.#ensureIndexes();
      } catch (err) {
        throw new StoreError(this.name, 'connect', { cause: scrub(err) });
      }
    }, true);
    // An explicit period applies on any server; the default waits to learn whether TTL exists.
    if (pruneInterval !== undefined) this.startPruning(pruneInterval, () => this.prune());
  }

  protected override scrub(err: unknown): unknown {
    return scrub(err);
  }

  /**
   * Whether the server deletes expired sessions itself: `true` once the TTL index on `expires`
   * exists, `false` on a server that refused it (FerretDB v1), `undefined` before the first
   * operation or with `createIndexes: false`.
   */
  get serverExpires(): boolean | undefined {
    return this.#serverExpires;
  }

  /** Whether the server is FerretDB, which names its own version in `buildInfo`. */
  async #isFerretDB(): Promise<boolean> {
    try {
      const info = await this.collection.db.admin().command({ buildInfo: 1 });
      return typeof info.ferretdbVersion === 'string';
    } catch (err) {
      // A role without buildInfo, or a server without it: not FerretDB, which always has it.
      if (err instanceof MongoServerError) return false;
      throw err;
    }
  }

  async #ensureIndexes(): Promise<void> {
    let serverExpires = true;
    for (const { key, options, fallback, ttl } of INDEXES) {
      try {
        await this.collection.createIndex({ ...key }, { ...options });
      } catch (err) {
        // An `expires` TTL index with another expireAfterSeconds (connect-mongodb-session's
        // option) still expires sessions; reads filter on `expires` either way.
        if (err instanceof MongoServerError && err.codeName === 'IndexOptionsConflict') continue;
        if (!isNotImplemented(err)) throw err;
        await this.collection.createIndex({ ...key }, { ...fallback });
        if (ttl) serverExpires = false;
      }
    }
    try {
      await this.forwards.createIndex({ expires: 1 }, { name: 'expires_1', expireAfterSeconds: 0 });
    } catch (err) {
      // Without TTL indexes (FerretDB v1) prune() deletes expired forwards with the sessions.
      if (!isNotImplemented(err)) throw err;
    }
    this.#serverExpires = serverExpires;
    if (!serverExpires && this.#pruneInterval === undefined) {
      this.startPruning(DEFAULT_PRUNE_INTERVAL, () => this.prune());
    }
  }

  /**
   * Runs `update` of session `id` after every earlier one of this store on the same session has
   * finished, where the server needs that ({@link MongoDBStore.serialUpdates}); at once elsewhere.
   */
  #update<T>(id: string, update: () => Promise<T>): Promise<T> {
    if (!this.#serialUpdates) return update();
    const previous = this.#queues.get(id) ?? Promise.resolve();
    const result = previous.then(update, update);
    const settled = result.then(
      () => undefined,
      () => undefined,
    );
    this.#queues.set(id, settled);
    void settled.then(() => {
      if (this.#queues.get(id) === settled) this.#queues.delete(id);
    });
    return result;
  }

  /**
   * Whether this store runs its updates of one session one after another: `true` on FerretDB v1,
   * which applies an update by reading the document and writing it back whole, so two concurrent
   * updates of one session would lose one's change. Within one process the store then never sends
   * two at once; across processes FerretDB v1 can still lose a concurrent change (MongoDB does not).
   * `undefined` before the first operation.
   */
  get serialUpdates(): boolean | undefined {
    return this.#serialUpdates;
  }

  async read(id: string): Promise<SessionRecord | undefined> {
    return this.run('read', async () => {
      // By `_id` alone, the expiry checked here: FerretDB's SQLite backend answers only a filter
      // that is exactly `{ _id }` from its primary key, and scans the collection for any other.
      const now = Date.now();
      const doc = await this.collection.findOne(idFilter(id));
      if (!doc) return undefined;
      // Decoded before the expiry check: an `expires` that is no date is damage to report (and
      // remove), not a session that merely looks expired and would stay forever.
      const record = fromDocument(doc);
      return record.expires > now ? record : undefined;
    });
  }

  async write(id: string, record: SessionRecord): Promise<void> {
    await this.run('write', async () => {
      await this.#update(id, () =>
        this.collection.replaceOne(idFilter(id), toDocument(id, record, this.#layout), { upsert: true }),
      );
    });
  }

  async patch(id: string, patch: SessionPatch): Promise<boolean> {
    const update = patchUpdate(patch, this.#layout);
    return this.run('patch', () => this.#update(id, () => this.#patch(id, update)));
  }

  async #patch(id: string, update: ReturnType<typeof patchUpdate>): Promise<boolean> {
    const now = Date.now();
    if (this.#serialUpdates) {
      // FerretDB: lookups by `_id` alone (see read), checked here, and this store's updates of the
      // session queued behind each other, so nothing it does comes between the check and the update.
      const doc = await this.collection.findOne(idFilter(id));
      if (!doc || !isLive(doc, now)) return false;
      if (isLegacyDocument(doc))
        await this.collection.replaceOne(idFilter(id), migration(doc, this.#layout).replacement);
      // A session removed since the check matches nothing: FerretDB never upserts here either.
      return (await this.collection.updateOne(idFilter(id), update)).matchedCount === 1;
    }
    const result = await this.collection.updateOne(patchFilter(id, now), update);
    if (result.matchedCount === 1) return true;
    // Either no live session, or one connect-mongodb-session wrote: move that one, then patch.
    const doc = await this.collection.findOne(readFilter(id, now));
    if (!doc || !isLegacyDocument(doc)) return false;
    const { filter, replacement } = migration(doc, this.#layout);
    await this.collection.replaceOne(filter, replacement);
    const retry = await this.collection.updateOne(patchFilter(id, now), update);
    return retry.matchedCount === 1;
  }

  async refresh(id: string, expires: number, touched: number, cookie?: CookieJSON): Promise<boolean> {
    return this.run('refresh', async () => {
      return this.#update(id, async () => {
        const now = Date.now();
        if (this.#serialUpdates) {
          // FerretDB: by `_id` alone, checked here (see read and #patch).
          const doc = await this.collection.findOne(idFilter(id), { projection: { expires: 1, data: 1 } });
          if (!doc || !isLive(doc, now)) return false;
          // In this store's layout only: a connect-mongodb-session document keeps its own cookie.
          const update =
            cookie !== undefined && doc.data !== undefined
              ? refreshCookieUpdate(expires, touched, cookie, this.#layout)
              : refreshUpdate(expires, touched);
          return (await this.collection.updateOne(idFilter(id), update)).matchedCount === 1;
        }
        if (cookie !== undefined) {
          const moved = await this.collection.updateOne(
            patchFilter(id, now),
            refreshCookieUpdate(expires, touched, cookie, this.#layout),
          );
          if (moved.matchedCount === 1) return true;
        }
        const result = await this.collection.updateOne(readFilter(id, now), refreshUpdate(expires, touched));
        return result.matchedCount === 1;
      });
    });
  }

  /**
   * Inserts the new session, then deletes the old one only if it is still live; if it was not,
   * deletes the new one again and resolves `false`. No transaction (FerretDB v1 and standalone
   * servers have none): the conditional delete of the old session is the decision. A logout that
   * deleted it first makes the rotate fail; a `removeByUser` whose scan misses the old session because
   * the rotate took it runs after the insert finished, and its second pass finds the new one (see
   * {@link MongoDBStore.removeByUser}). Until the decision the new ID exists, but only this call knows
   * it; a crash in between leaves an orphan nobody has a cookie for, which the TTL index deletes.
   */
  async rotate(oldId: string, newId: string, record: SessionRecord): Promise<boolean> {
    const doc = toDocument(newId, record, this.#layout);
    // After any update of the old session this process has in flight (FerretDB v1: see #update).
    return this.run('rotate', () =>
      this.#update(oldId, async () => {
        // The forward before the decision: a remove of the old ID that the decision beats finds it.
        await Promise.all([this.collection.insertOne(doc), this.#forward(oldId, newId)]);
        const now = Date.now();
        let taken: { deletedCount: number };
        if (this.#serialUpdates) {
          // FerretDB: by `_id` alone (see read); an expired old session is deleted and not taken.
          const old = await this.collection.findOne(idFilter(oldId), { projection: { expires: 1 } });
          const deleted = await this.collection.deleteOne(idFilter(oldId));
          taken = { deletedCount: old && isLive(old, now) ? deleted.deletedCount : 0 };
        } else {
          taken = await this.collection.deleteOne(readFilter(oldId, now));
        }
        if (taken.deletedCount === 1) return true;
        await this.collection.deleteOne(idFilter(newId));
        return false;
      }),
    );
  }

  /** Notes that `oldId` is being rotated to `newId`, for {@link ROTATION_FORWARD_TTL}. */
  async #forward(oldId: string, newId: string): Promise<void> {
    const update = {
      $addToSet: { to: newId },
      $set: { expires: new Date(Date.now() + ROTATION_FORWARD_TTL) },
    };
    try {
      await this.forwards.updateOne({ _id: oldId }, update, { upsert: true });
    } catch (err) {
      // Two rotations of one session at once: both upserts may try to insert; the loser updates.
      if (!(err instanceof MongoServerError && err.code === DUPLICATE_KEY)) throw err;
      await this.forwards.updateOne({ _id: oldId }, update);
    }
  }

  /** The session, then where it was rotated to since, and so on (see {@link removeWithForwards}). */
  async remove(id: string): Promise<void> {
    await this.run('remove', () =>
      removeWithForwards(id, async (one) => {
        await this.collection.deleteOne(idFilter(one));
        // By `_id` alone (FerretDB scans for any other filter); the expiry is checked here.
        const forward = await this.forwards.findOne({ _id: one });
        if (forward === null || !(forward.expires instanceof Date)) return [];
        if (forward.expires.getTime() <= Date.now() || !Array.isArray(forward.to)) return [];
        return forward.to.filter((to): to is string => typeof to === 'string');
      }),
    );
  }

  async ids(): Promise<string[]> {
    return this.run('ids', async () => {
      const docs = await this.collection.find(liveFilter(Date.now()), { projection: { _id: 1 } }).toArray();
      return docs.map((doc) => doc._id);
    });
  }

  async entries(): Promise<Array<[string, SessionRecord]>> {
    return this.run('entries', async () => {
      const docs = await this.collection.find(liveFilter(Date.now())).toArray();
      return decodeRows(docs, (doc) => [doc._id, fromDocument(doc)]);
    });
  }

  async count(): Promise<number> {
    return this.run('count', () => this.collection.countDocuments(liveFilter(Date.now())));
  }

  async purge(): Promise<void> {
    await this.run('purge', async () => {
      await this.collection.deleteMany({});
      await this.forwards.deleteMany({});
    });
  }

  async listByUser(user: string): Promise<Array<[string, SessionRecord]>> {
    return this.run('listByUser', async () => {
      const docs = await this.collection.find(userFilter(user, Date.now())).toArray();
      return decodeRows(docs, (doc) => [doc._id, fromDocument(doc)]);
    });
  }

  /**
   * At least two `deleteMany` passes, and more while a pass still finds sessions: a pass can miss a
   * session a rotate moved meanwhile (the old document deleted ahead of its cursor, the new one
   * inserted behind it), but then the insert finished before that pass did, so the next pass sees it.
   */
  async removeByUser(user: string, exceptId?: string): Promise<number> {
    return this.run('removeByUser', async () => {
      let removed = 0;
      for (let pass = 0; pass < MAX_REMOVE_PASSES; pass++) {
        const result = await this.collection.deleteMany(userFilter(user, Date.now(), exceptId));
        removed += result.deletedCount;
        if (pass >= 1 && result.deletedCount === 0) break;
      }
      return removed;
    });
  }

  /**
   * Deletes every expired session now and resolves to how many. The store calls it every
   * `pruneInterval` on a server without TTL indexes; expired sessions are never served in between.
   *
   * @example
   * ```ts
   * const removed = await store.prune();
   * ```
   */
  async prune(): Promise<number> {
    return this.run('prune', async () => {
      const now = Date.now();
      await this.forwards.deleteMany({ expires: { $lte: new Date(now) } });
      const result = await this.collection.deleteMany(expiredFilter(now));
      return result.deletedCount;
    });
  }
}
