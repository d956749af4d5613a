import type { SessionRecord, SessionStore } from 'coatcheck';
import {
  type CookieJSON,
  ROTATION_FORWARD_TTL,
  removeWithForwards,
  type SessionPatch,
  StoreBase,
  skipDamaged,
} from 'coatcheck/stores';
import { type Commander, commanderFor, type RedisClient, runScript, type Send } from './client.js';
import {
  dataField,
  dataFields,
  EXPIRES,
  hashPairs,
  patchFields,
  recordFromConnectRedis,
  recordFromHash,
} from './fields.js';
import {
  CREATE,
  INDEX_ADD,
  LEGACY_READ,
  MARK_INDEXED,
  PATCH,
  REMOVE,
  REMOVE_OWNED,
  TAKE,
  WRITE,
} from './scripts.js';

/** Options of {@link RedisStore}. */
export interface RedisStoreOptions {
  /**
   * A connected node-redis v5 client (`createClient()` or `createCluster()` from `redis`) or an
   * ioredis v5/v6 client (`new Redis()` or `new Cluster()`). The store never closes it.
   */
  client: RedisClient;
  /**
   * Prefix of every key the store writes: sessions are `<prefix>sess:<id>`, user indexes
   * `<prefix>user:<user>`, the IDs a session was rotated to `<prefix>moved:<id>`. Printable ASCII
   * without spaces, at most 200 characters. Default `coatcheck:`.
   */
  prefix?: string;
  /** Keys per `SCAN` step when listing or purging. Default 500. */
  scanCount?: number;
  /**
   * The `prefix` of a connect-redis store this one replaces (connect-redis's default is `sess:`).
   * Sessions it wrote are read, refreshed and removed, and moved into this store's layout on their
   * first change, so users stay logged in through the switch. Costs one more command on a read
   * that finds no session, and on writes and removes. Default: none.
   */
  legacyPrefix?: string;
}

/** Index reads of {@link RedisStore.removeByUser} before it stops chasing new logins. */
const MAX_REMOVE_PASSES = 5;
/** Shortest time an index key is extended beyond its session's expiry, in milliseconds. */
const MIN_INDEX_HEADROOM = 60_000;
const PREFIX_PATTERN = /^[\x21-\x7e]{0,200}$/;

type PatchReply = 0 | [1] | [1, string, 0 | 1];

/**
 * How `fromUrl` hands the store a client it opened, with the way to close it: a symbol the package
 * does not export, so the public options keep one meaning (`client` is the application's, and the
 * store never closes it).
 */
export const OWNED_CLIENT: unique symbol = Symbol('coatcheck.redis.ownedClient');

/** {@link RedisStoreOptions} as `fromUrl` passes them. */
export interface OwnedClientOptions extends RedisStoreOptions {
  [OWNED_CLIENT]?: () => Promise<unknown>;
}

/** Error to keep as `cause` without the command arguments (session IDs, data) ioredis attaches. */
export function scrub(err: unknown): unknown {
  if (err instanceof Error && 'command' in err) {
    const command = (err as { command?: { name?: unknown } }).command;
    (err as { command?: unknown }).command = { name: command?.name };
  }
  return err;
}

/**
 * A session store on Redis ≥ 7.0 implementing the whole coatcheck contract, with node-redis or
 * ioredis.
 *
 * Each session is one hash with a field per top-level data key, so a patch sends and changes only
 * the keys a request changed (atomically, in one Lua script), and two requests that change
 * different keys both keep their change. A read is one `HGETALL`. Every key carries a TTL.
 * Each script touches one key, so the layout works on Redis Cluster; users' session lists are
 * per-user sets kept as supersets of the truth and checked against the sessions on read.
 *
 * @example
 * ```ts
 * import { createClient } from 'redis';
 * import { RedisStore } from '@coatcheck/redis';
 *
 * const client = await createClient({ url: process.env.REDIS_URL }).connect();
 * app.use(session({ secret, store: new RedisStore({ client, prefix: 'myapp:' }) }));
 * ```
 */
export class RedisStore extends StoreBase implements SessionStore {
  readonly name = 'redis';
  /** The prefix of every key this store writes. */
  readonly prefix: string;
  /** The prefix of the connect-redis sessions this store takes over, if any. */
  readonly legacyPrefix: string | undefined;
  readonly #send: Send;
  readonly #nodes: Commander['nodes'];
  readonly #connected: Commander['connected'];
  readonly #scanCount: number;

  constructor(options: RedisStoreOptions) {
    super();
    if (options === null || typeof options !== 'object') {
      throw new TypeError('RedisStore: options must be an object with a client');
    }
    const { client, prefix = 'coatcheck:', scanCount = 500, legacyPrefix } = options;
    const commander = commanderFor(client);
    this.#send = commander.send;
    this.#nodes = commander.nodes;
    this.#connected = commander.connected;
    if (typeof prefix !== 'string' || !PREFIX_PATTERN.test(prefix)) {
      throw new TypeError(
        'RedisStore: prefix must be printable ASCII without spaces, at most 200 characters',
      );
    }
    if (!Number.isInteger(scanCount) || scanCount < 1) {
      throw new TypeError('RedisStore: scanCount must be a positive integer');
    }
    if (legacyPrefix !== undefined) {
      if (typeof legacyPrefix !== 'string' || !PREFIX_PATTERN.test(legacyPrefix) || legacyPrefix === '') {
        throw new TypeError(
          'RedisStore: legacyPrefix must be printable ASCII without spaces, 1–200 characters',
        );
      }
      // Otherwise a connect-redis key could be one of this store's keys (a hash) for some ID.
      if (legacyPrefix.startsWith(prefix) || prefix.startsWith(legacyPrefix)) {
        throw new TypeError('RedisStore: legacyPrefix and prefix must not start with one another');
      }
    }
    this.prefix = prefix;
    this.legacyPrefix = legacyPrefix;
    this.#scanCount = scanCount;
    const close = (options as OwnedClientOptions)[OWNED_CLIENT];
    if (close !== undefined) this.release(close);
  }

  /** The key of session `id`. */
  sessionKey(id: string): string {
    return `${this.prefix}sess:${id}`;
  }

  /** The key of the set of `user`'s session IDs. */
  userKey(user: string): string {
    return `${this.prefix}user:${user}`;
  }

  /** The key of the set of IDs session `id` was rotated to (store contract, rule 8). */
  movedKey(id: string): string {
    return `${this.prefix}moved:${id}`;
  }

  protected override scrub(err: unknown): unknown {
    return scrub(err);
  }

  /**
   * Until when a user's index must live for a session expiring at `expires`: past it, with
   * headroom as long as the session's lifetime, so a rolling session extends its index (two extra
   * round trips) about once per lifetime rather than on every request.
   */
  #indexUntil(expires: number, now: number): number {
    const base = Math.ceil(Math.max(expires, now));
    return base + Math.max(Math.ceil(expires - now), MIN_INDEX_HEADROOM);
  }

  async #index(user: string, id: string, until: number): Promise<void> {
    await runScript(this.#send, INDEX_ADD, this.userKey(user), [id, String(until)]);
  }

  async #unindex(user: string, ids: readonly string[]): Promise<void> {
    if (ids.length > 0) await this.#send(['SREM', this.userKey(user), ...ids]);
  }

  async #readHash(id: string, now: number): Promise<SessionRecord | undefined> {
    return recordFromHash(hashPairs(await this.#send(['HGETALL', this.sessionKey(id)])), now);
  }

  async read(id: string): Promise<SessionRecord | undefined> {
    return this.run('read', async () => {
      const now = Date.now();
      return (await this.#readHash(id, now)) ?? (await this.#readLegacy(id, now));
    });
  }

  /** The connect-redis session `id`, when taking over from connect-redis. */
  async #readLegacy(id: string, now: number): Promise<SessionRecord | undefined> {
    if (this.legacyPrefix === undefined) return undefined;
    const reply = await runScript(this.#send, LEGACY_READ, this.legacyPrefix + id, []);
    if (!Array.isArray(reply)) return undefined;
    return recordFromConnectRedis(String(reply[0]), Number(reply[1]), now);
  }

  /**
   * Moves connect-redis session `id` into this layout, if there is one and it is live. Resolves
   * whether there is now a session to patch (moved here or by a concurrent request).
   */
  async #moveLegacy(id: string, now: number): Promise<boolean> {
    const record = await this.#readLegacy(id, now);
    if (!record) return false;
    const created = await runScript(this.#send, CREATE, this.sessionKey(id), [
      String(record.expires),
      String(Math.ceil(record.expires)),
      String(record.created),
      String(record.touched),
      ...dataFields(record.data),
    ]);
    // A remove between the read and the create dropped the connect-redis key (remove drops it
    // before the hash): then the copy just made must not outlive the logout.
    if (Number(created) === 1 && Number(await this.#send(['EXISTS', `${this.legacyPrefix}${id}`])) === 0) {
      await this.#send(['UNLINK', this.sessionKey(id)]);
      return false;
    }
    await this.#dropLegacy(id);
    return true;
  }

  /** Deletes connect-redis session `id`, so that it can never be read again once this store has written one. */
  async #dropLegacy(id: string): Promise<void> {
    if (this.legacyPrefix !== undefined) await this.#send(['UNLINK', this.legacyPrefix + id]);
  }

  async write(id: string, record: SessionRecord): Promise<void> {
    const fields = dataFields(record.data);
    await this.run('write', async () => {
      await this.#writeHash(id, record, fields, Date.now());
      await this.#dropLegacy(id);
    });
  }

  async #writeHash(id: string, record: SessionRecord, fields: string[], now: number): Promise<void> {
    const user = record.user ?? undefined;
    const until = this.#indexUntil(record.expires, now);
    // The index first: a session that names its owner is always in the owner's index.
    if (user !== undefined) await this.#index(user, id, until);
    const previous = await runScript(this.#send, WRITE, this.sessionKey(id), [
      String(record.expires),
      String(Math.ceil(record.expires)),
      String(record.created),
      String(record.touched),
      user === undefined ? 'none' : 'set',
      user ?? '',
      String(until),
      ...fields,
    ]);
    if (typeof previous === 'string' && previous !== user) await this.#unindex(previous, [id]);
  }

  /**
   * Writes the new session (indexed under its owner first), then deletes the old one only if it is
   * still live, in one script; if it was not, deletes the new one again and resolves `false`. The
   * two keys may sit in different cluster slots, so no script holds both; this order is what makes
   * it one decision anyway. The old session's deletion is the decision: a logout that deleted it
   * first makes the rotate fail, and a "log out everywhere" that misses it (because the rotate took
   * it) finds the new ID, which was in the owner's index before the old one went (see
   * {@link RedisStore.removeByUser}). Until the decision the new ID exists, but only this call knows
   * it. A crash between the two steps leaves an orphan that nobody holds a cookie for and that
   * expires with its TTL.
   */
  async rotate(oldId: string, newId: string, record: SessionRecord): Promise<boolean> {
    const fields = dataFields(record.data);
    return this.run('rotate', async () => {
      const now = Date.now();
      // The forward before the decision: a remove of the old ID that the decision beats finds it.
      const until = String(now + ROTATION_FORWARD_TTL);
      await Promise.all([
        this.#writeHash(newId, record, fields, now),
        runScript(this.#send, INDEX_ADD, this.movedKey(oldId), [newId, until]),
      ]);
      const taken = (await runScript(this.#send, TAKE, this.sessionKey(oldId), [String(now)])) as
        | 0
        | [1]
        | [1, string];
      let live = Array.isArray(taken);
      // A connect-redis session has a TTL and no expiry field: while its key exists it is live.
      if (!live && this.legacyPrefix !== undefined) {
        live = Number(await this.#send(['DEL', this.legacyPrefix + oldId])) === 1;
      }
      if (!live) {
        const owner = await runScript(this.#send, REMOVE, this.sessionKey(newId), []);
        if (typeof owner === 'string') await this.#unindex(owner, [newId]);
        return false;
      }
      if (Array.isArray(taken) && taken.length === 2) await this.#unindex(String(taken[1]), [oldId]);
      return true;
    });
  }

  async patch(id: string, patch: SessionPatch): Promise<boolean> {
    const changes = patchFields(patch);
    return this.run('patch', () => this.#patch(id, patch, changes.remove, changes.set));
  }

  async refresh(id: string, expires: number, touched: number, cookie?: CookieJSON): Promise<boolean> {
    const set = cookie === undefined ? [] : [dataField('cookie'), JSON.stringify(cookie)];
    return this.run('refresh', () => this.#patch(id, { expires, touched }, [], set));
  }

  async #patch(
    id: string,
    patch: Pick<SessionPatch, 'expires' | 'touched' | 'user'>,
    remove: string[],
    set: string[],
  ): Promise<boolean> {
    const now = Date.now();
    const until = this.#indexUntil(patch.expires, now);
    const mode = patch.user === undefined ? 'keep' : patch.user === null ? 'clear' : 'set';
    if (typeof patch.user === 'string') await this.#index(patch.user, id, until);
    const args = [
      String(now),
      String(patch.expires),
      String(Math.ceil(patch.expires)),
      String(patch.touched),
      mode,
      patch.user ?? '',
      String(until),
      String(remove.length),
      ...remove,
      ...set,
    ];
    let reply = (await runScript(this.#send, PATCH, this.sessionKey(id), args)) as PatchReply;
    if (reply === 0 && this.legacyPrefix !== undefined && (await this.#moveLegacy(id, now))) {
      reply = (await runScript(this.#send, PATCH, this.sessionKey(id), args)) as PatchReply;
    }
    if (reply === 0 || !Array.isArray(reply)) return false;
    if (reply.length === 3) {
      const [, owner, stale] = reply;
      if (mode !== 'keep' && owner !== patch.user) await this.#unindex(owner, [id]);
      if (mode === 'keep' && Number(stale) === 1) {
        await this.#index(owner, id, until);
        await runScript(this.#send, MARK_INDEXED, this.sessionKey(id), [owner, String(until)]);
      }
    }
    return true;
  }

  /** The session, then where it was rotated to since, and so on (see {@link removeWithForwards}). */
  async remove(id: string): Promise<void> {
    await this.run('remove', () =>
      removeWithForwards(id, async (one) => {
        // The connect-redis key first: a concurrent move checks it after copying (see #moveLegacy).
        await this.#dropLegacy(one);
        const owner = await runScript(this.#send, REMOVE, this.sessionKey(one), []);
        // After the delete, as removeWithForwards needs; the unindex alongside, in the same round trip.
        const [, moved] = await Promise.all([
          typeof owner === 'string' ? this.#unindex(owner, [one]) : undefined,
          this.#send(['SMEMBERS', this.movedKey(one)]),
        ]);
        return (moved as unknown[]).map(String);
      }),
    );
  }

  /** Batches of keys starting with `prefix`, from every master (one, unless on a cluster). */
  async *#scan(prefix: string): AsyncGenerator<string[]> {
    // SCAN treats these as glob syntax; a prefix is matched literally.
    const match = `${prefix.replace(/[*?[\]\\]/g, '\\$&')}*`;
    for (const send of await this.#nodes()) {
      let cursor = '0';
      do {
        const [next, keys] = (await send([
          'SCAN',
          cursor,
          'MATCH',
          match,
          'COUNT',
          String(this.#scanCount),
        ])) as [string, string[]];
        cursor = String(next);
        if (keys.length > 0) yield keys.map(String);
      } while (cursor !== '0');
    }
  }

  async #liveIds(now: number): Promise<string[]> {
    const sessions = this.sessionKey('');
    const ids: string[] = [];
    for await (const keys of this.#scan(sessions)) {
      const expiries = await Promise.all(keys.map((key) => this.#send(['HGET', key, EXPIRES])));
      keys.forEach((key, i) => {
        if (Number(expiries[i]) > now) ids.push(key.slice(sessions.length));
      });
    }
    return ids;
  }

  async ids(): Promise<string[]> {
    return this.run('ids', () => this.#liveIds(Date.now()));
  }

  async count(): Promise<number> {
    return this.run('count', async () => (await this.#liveIds(Date.now())).length);
  }

  async entries(): Promise<Array<[string, SessionRecord]>> {
    return this.run('entries', async () => {
      const now = Date.now();
      const sessions = this.sessionKey('');
      const out: Array<[string, SessionRecord]> = [];
      for await (const keys of this.#scan(sessions)) {
        const hashes = await Promise.all(keys.map((key) => this.#send(['HGETALL', key])));
        keys.forEach((key, i) => {
          const record = skipDamaged(() => recordFromHash(hashPairs(hashes[i]), now));
          if (record) out.push([key.slice(sessions.length), record]);
        });
      }
      return out;
    });
  }

  async purge(): Promise<void> {
    await this.run('purge', async () => {
      for (const pattern of [this.sessionKey(''), this.userKey(''), this.movedKey('')]) {
        // One key per UNLINK: on a cluster, keys of different slots cannot share a command.
        for await (const keys of this.#scan(pattern))
          await Promise.all(keys.map((key) => this.#send(['UNLINK', key])));
      }
    });
  }

  async listByUser(user: string): Promise<Array<[string, SessionRecord]>> {
    return this.run('listByUser', async () => {
      const now = Date.now();
      const ids = ((await this.#send(['SMEMBERS', this.userKey(user)])) as string[]).map(String);
      // A damaged session is left out as if it were gone (and leaves the index).
      const hashes = await Promise.all(ids.map((id) => this.#send(['HGETALL', this.sessionKey(id)])));
      const records = hashes.map((hash) => skipDamaged(() => recordFromHash(hashPairs(hash), now)));
      const out: Array<[string, SessionRecord]> = [];
      const stale: string[] = [];
      ids.forEach((id, i) => {
        const record = records[i];
        if (record?.user === user) out.push([id, record]);
        else stale.push(id);
      });
      // The index may name sessions that expired or changed owner; they leave it here.
      await this.#unindex(user, stale);
      return out;
    });
  }

  /**
   * Reads the user's index and deletes each session the user owns, then reads it again, until a
   * pass removes nothing and finds no ID it had not already found gone. An indexed ID whose session
   * is not there yet is tried again: a rotate indexes its new ID and writes the new session before it
   * takes the old one, so once a pass has found the old one gone, the next pass finds the new one
   * written (on a cluster the index and the sessions sit on different nodes, so the new ID can be
   * read from the index before its session exists). Only IDs found gone on two passes in a row
   * leave the index.
   */
  async removeByUser(user: string, exceptId?: string): Promise<number> {
    return this.run('removeByUser', async () => {
      const done = new Set<string>(exceptId === undefined ? [] : [exceptId]);
      let goneBefore = new Set<string>();
      let removed = 0;
      for (let pass = 0; pass < MAX_REMOVE_PASSES; pass++) {
        const now = Date.now();
        const ids = ((await this.#send(['SMEMBERS', this.userKey(user)])) as string[])
          .map(String)
          .filter((id) => !done.has(id));
        if (ids.length === 0) break;
        const results = await Promise.all(
          ids.map((id) => runScript(this.#send, REMOVE_OWNED, this.sessionKey(id), [user, String(now)])),
        );
        const taken = ids.filter((_, i) => Number(results[i]) === 1);
        const gone = ids.filter((_, i) => Number(results[i]) !== 1);
        for (const id of taken) done.add(id);
        removed += taken.length;
        const settled = taken.length === 0 && gone.every((id) => goneBefore.has(id));
        // Gone twice in a row: stale (expired, or now another user's), and out of the index.
        const stale = gone.filter((id) => goneBefore.has(id));
        await this.#unindex(user, [...taken, ...stale]);
        for (const id of stale) done.add(id);
        if (settled) break;
        goneBefore = new Set(gone);
      }
      return removed;
    });
  }

  /**
   * Whether the client is connected, as it reports it (ioredis' `status`, node-redis' `isReady`):
   * while it is not, the session middleware answers 503 at once instead of waiting out
   * `storeTimeout` on commands the client would queue until it reconnects.
   */
  connected(): boolean {
    return this.closed || this.#connected();
  }
}
