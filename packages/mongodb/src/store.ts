import {
  type CookieJSON,
  type SessionPatch,
  type SessionRecord,
  SessionSerializeError,
  type SessionStore,
  Store,
  StoreClosedError,
  StoreError,
  type StoreOperation,
} from 'coatcheck';
import { type Collection, MongoClient, type MongoClientOptions, MongoServerError } from 'mongodb';
import {
  fromDocument,
  INDEXES,
  idFilter,
  isLegacyDocument,
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
  /**
   * `mongodb://…` or `mongodb+srv://…`. Typed as optional so that
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
}

/** Passes of {@link MongoDBStore.removeByUser} before it stops chasing new logins. */
const MAX_REMOVE_PASSES = 5;

// https://www.mongodb.com/docs/manual/reference/limits/#naming-restrictions
const DATABASE_NAME = /^[^/\\. "$*<>:|?\0]{1,63}$/;
const COLLECTION_NAME = /^(?!system\.)[^$\0]{1,120}$/;

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
 * lets the server delete expired sessions; reads never return one in between.
 *
 * @example
 * ```ts
 * import { MongoDBStore } from '@coatcheck/mongodb';
 *
 * const store = new MongoDBStore({ uri: process.env.MONGODB_URI, collection: 'sessions' });
 * app.use(session({ secret, store }));
 * ```
 */
export class MongoDBStore extends Store implements SessionStore {
  readonly name = 'mongodb';
  /** The collection of sessions. */
  readonly collection: Collection<SessionDocument>;
  readonly #client: MongoClient;
  readonly #ownsClient: boolean;
  readonly #createIndexes: boolean;
  #indexes: Promise<void> | undefined;
  #closed = false;

  constructor(options: MongoDBStoreOptions) {
    super();
    if (options === null || typeof options !== 'object') {
      throw new TypeError('MongoDBStore: options must be an object with uri or client');
    }
    const {
      uri,
      client,
      clientOptions,
      collection = 'sessions',
      databaseName,
      createIndexes = true,
    } = options;
    if (uri !== undefined && client !== undefined) {
      throw new TypeError('MongoDBStore: pass either uri or client, not both');
    }
    if (client !== undefined) {
      // Duck-typed: the application's mongodb may be another copy than the one this package sees.
      if (client === null || typeof (client as Partial<MongoClient>).db !== 'function') {
        throw new TypeError('MongoDBStore: client must be a MongoClient');
      }
      if (clientOptions !== undefined) throw new TypeError('MongoDBStore: clientOptions only apply with uri');
    } else if (typeof uri !== 'string' || !/^mongodb(\+srv)?:\/\//.test(uri)) {
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
    if (typeof createIndexes !== 'boolean')
      throw new TypeError('MongoDBStore: createIndexes must be a boolean');
    // The driver connects on first use; constructing a client opens nothing yet.
    this.#client = client ?? new MongoClient(uri as string, clientOptions);
    this.#ownsClient = client === undefined;
    this.#createIndexes = createIndexes;
    this.collection = this.#client.db(databaseName).collection<SessionDocument>(collection);
  }

  #ensureIndexes(): Promise<void> {
    if (!this.#createIndexes) return Promise.resolve();
    this.#indexes ??= (async () => {
      for (const { key, options } of INDEXES) {
        try {
          await this.collection.createIndex({ ...key }, { ...options });
        } catch (err) {
          // An `expires` TTL index with another expireAfterSeconds (connect-mongodb-session's
          // option) still expires sessions; reads filter on `expires` either way.
          if (err instanceof MongoServerError && err.codeName === 'IndexOptionsConflict') continue;
          throw err;
        }
      }
    })().catch((err: unknown) => {
      this.#indexes = undefined;
      throw new StoreError(this.name, 'connect', { cause: scrub(err) });
    });
    return this.#indexes;
  }

  async #run<T>(operation: StoreOperation, work: () => Promise<T>): Promise<T> {
    if (this.#closed) throw new StoreClosedError(this.name, operation);
    await this.#ensureIndexes();
    try {
      return await work();
    } catch (err) {
      if (err instanceof StoreError || err instanceof SessionSerializeError) throw err;
      throw new StoreError(this.name, operation, { cause: scrub(err) });
    }
  }

  async read(id: string): Promise<SessionRecord | undefined> {
    return this.#run('read', async () => {
      const doc = await this.collection.findOne(readFilter(id, Date.now()));
      return doc ? fromDocument(doc) : undefined;
    });
  }

  async write(id: string, record: SessionRecord): Promise<void> {
    await this.#run('write', async () => {
      await this.collection.replaceOne(idFilter(id), toDocument(id, record), { upsert: true });
    });
  }

  async patch(id: string, patch: SessionPatch): Promise<boolean> {
    const update = patchUpdate(patch);
    return this.#run('patch', async () => {
      const now = Date.now();
      const result = await this.collection.updateOne(patchFilter(id, now), update);
      if (result.matchedCount === 1) return true;
      // Either no live session, or one connect-mongodb-session wrote: move that one, then patch.
      const doc = await this.collection.findOne(readFilter(id, now));
      if (!doc || !isLegacyDocument(doc)) return false;
      const { filter, replacement } = migration(doc);
      await this.collection.replaceOne(filter, replacement);
      const retry = await this.collection.updateOne(patchFilter(id, now), update);
      return retry.matchedCount === 1;
    });
  }

  async refresh(id: string, expires: number, touched: number, cookie?: CookieJSON): Promise<boolean> {
    return this.#run('refresh', async () => {
      const now = Date.now();
      if (cookie !== undefined) {
        // In this store's layout only: a connect-mongodb-session document keeps its own cookie.
        const moved = await this.collection.updateOne(
          patchFilter(id, now),
          refreshCookieUpdate(expires, touched, cookie),
        );
        if (moved.matchedCount === 1) return true;
      }
      const result = await this.collection.updateOne(readFilter(id, now), refreshUpdate(expires, touched));
      return result.matchedCount === 1;
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
    const doc = toDocument(newId, record);
    return this.#run('rotate', async () => {
      await this.collection.insertOne(doc);
      const taken = await this.collection.deleteOne(readFilter(oldId, Date.now()));
      if (taken.deletedCount === 1) return true;
      await this.collection.deleteOne(idFilter(newId));
      return false;
    });
  }

  async remove(id: string): Promise<void> {
    await this.#run('remove', async () => {
      await this.collection.deleteOne(idFilter(id));
    });
  }

  async ids(): Promise<string[]> {
    return this.#run('ids', async () => {
      const docs = await this.collection.find(liveFilter(Date.now()), { projection: { _id: 1 } }).toArray();
      return docs.map((doc) => doc._id);
    });
  }

  async entries(): Promise<Array<[string, SessionRecord]>> {
    return this.#run('entries', async () => {
      const docs = await this.collection.find(liveFilter(Date.now())).toArray();
      return docs.map((doc): [string, SessionRecord] => [doc._id, fromDocument(doc)]);
    });
  }

  async count(): Promise<number> {
    return this.#run('count', () => this.collection.countDocuments(liveFilter(Date.now())));
  }

  async purge(): Promise<void> {
    await this.#run('purge', async () => {
      await this.collection.deleteMany({});
    });
  }

  async listByUser(user: string): Promise<Array<[string, SessionRecord]>> {
    return this.#run('listByUser', async () => {
      const docs = await this.collection.find(userFilter(user, Date.now())).toArray();
      return docs.map((doc): [string, SessionRecord] => [doc._id, fromDocument(doc)]);
    });
  }

  /**
   * At least two `deleteMany` passes, and more while a pass still finds sessions: a pass can miss a
   * session a rotate moved meanwhile (the old document deleted ahead of its cursor, the new one
   * inserted behind it), but then the insert finished before that pass did, so the next pass sees it.
   */
  async removeByUser(user: string, exceptId?: string): Promise<number> {
    return this.#run('removeByUser', async () => {
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
   * Makes a store from a `mongodb://` or `mongodb+srv://` URL; it opens its own client and closes
   * it in {@link MongoDBStore.close}. A `collection` query parameter names the collection (it is
   * taken out before the URL reaches the driver, which refuses options it does not know).
   *
   * @example
   * ```ts
   * const store = MongoDBStore.fromUrl('mongodb://127.0.0.1:27017/app?collection=sessions');
   * ```
   */
  static fromUrl(url: string): MongoDBStore {
    if (typeof url !== 'string' || !/^mongodb(\+srv)?:\/\//.test(url)) {
      throw new TypeError(
        'MongoDBStore.fromUrl: url must be a mongodb:// or mongodb+srv:// connection string',
      );
    }
    const query = url.indexOf('?');
    if (query === -1) return new MongoDBStore({ uri: url });
    const params = new URLSearchParams(url.slice(query + 1));
    const collection = params.get('collection');
    params.delete('collection');
    const rest = params.toString();
    const uri = url.slice(0, query) + (rest ? `?${rest}` : '');
    return new MongoDBStore(collection === null ? { uri } : { uri, collection });
  }

  /** Refuses further work, and closes the client if the store opened it from `uri`. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (!this.#ownsClient) return;
    try {
      await this.#client.close();
    } catch (err) {
      throw new StoreError(this.name, 'close', { cause: scrub(err) });
    }
  }
}
