import type { SessionRecord, SessionStore, StoreOperation } from 'coatcheck';
import {
  type CookieJSON,
  checkBoolean,
  checkIdentifier,
  checkPruneInterval,
  decodeRecord,
  decodeRows,
  ROTATION_FORWARD_TTL,
  removeWithForwards,
  renamedOption,
  type SessionPatch,
  StoreBase,
} from 'coatcheck/stores';
import pg from 'pg';

/** What the store needs of a `pg.Pool` or a connected `pg.Client`. */
export type Queryable = Pick<pg.Pool, 'query'> | Pick<pg.Client, 'query'>;

/** Options of {@link PostgresStore}: give it a `pool` (yours, never closed by the store) or a `url`. */
export interface PostgresStoreOptions {
  /** A `pg.Pool` (or connected `pg.Client`) the store uses and leaves open when it closes. */
  pool?: Queryable;
  /** A `postgres://` URL; the store opens its own pool and ends it in {@link PostgresStore.close}. */
  url?: string;
  /** @deprecated The old name of `url`. */
  connectionString?: string;
  /** The sessions table. Letters, digits and `_`, at most 48 characters. Default `sessions`. */
  tableName?: string;
  /** The schema holding the table; it must exist. Default: the connection's `search_path`. */
  schemaName?: string;
  /** Create the table and its indexes when missing. Default `true`; turn off when migrations own the schema. */
  createTable?: boolean;
  /** How often expired sessions are deleted, in milliseconds; 0 turns it off. Default 15 minutes. */
  pruneInterval?: number;
}

type Statement =
  | 'read'
  | 'write'
  | 'patch'
  | 'refresh'
  | 'refreshCookie'
  | 'rotate'
  | 'rotateAlone'
  | 'remove'
  | 'forwardsOf'
  | 'ids'
  | 'entries'
  | 'count';
type StatementName =
  | Statement
  | 'purge'
  | 'purgeForwards'
  | 'listByUser'
  | 'removeByUser'
  | 'prune'
  | 'pruneForwards';

const COLUMNS = 'data, expires, created, touched, user_id';

interface SessionRow {
  id: string;
  /** What pg parsed the jsonb into: an object, unless the row was written by hand. */
  data: unknown;
  expires: string;
  created: string;
  touched: string;
  user_id: string | null;
}

function toRecord(row: Omit<SessionRow, 'id'>): SessionRecord {
  return decodeRecord('postgres', {
    // A jsonb string is a value, not JSON text for decodeRecord to parse: never session data.
    data: typeof row.data === 'string' ? undefined : row.data,
    expires: Number(row.expires),
    created: Number(row.created),
    touched: Number(row.touched),
    user: row.user_id,
  });
}

function toEntry(row: SessionRow): [string, SessionRecord] {
  return [row.id, toRecord(row)];
}

/**
 * A patch as the `UPDATE` binds it: the keys to drop, and the JSON of the keys to set. A key set to
 * `undefined` is dropped, as `JSON.stringify` of the patched data would; `__proto__` is never
 * written, as `applyPatch` never writes it.
 */
function patchParameters(patch: Pick<SessionPatch, 'set' | 'unset'>): [unset: string[], set: string] {
  const unset = [...patch.unset];
  const set: Record<string, unknown> = Object.create(null);
  for (const key of Object.keys(patch.set)) {
    if (patch.set[key] === undefined) unset.push(key);
    else if (key !== '__proto__') set[key] = patch.set[key];
  }
  return [unset, JSON.stringify(set)];
}

/**
 * A PostgreSQL session store on `pg`, implementing the whole coatcheck contract.
 *
 * Sessions live in one table: `data` as `jsonb`, `expires`/`created`/`touched` as `bigint` epoch
 * milliseconds (the contract's own unit, compared with the application's clock, never converted),
 * and `user_id` as a partially indexed column. Every operation is one statement: a read checks the
 * expiry in its `WHERE` clause, and a patch merges keys into `jsonb` in a single `UPDATE`, so
 * concurrent requests never lose each other's writes and a deleted session stays deleted.
 *
 * It is also an express-session store: hand it to `express-session` as is.
 *
 * @example
 * ```ts
 * import pg from 'pg';
 * import session from 'coatcheck';
 * import { PostgresStore } from '@coatcheck/postgres';
 *
 * const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL });
 * app.use(session({ secret, store: new PostgresStore({ pool }) }));
 * ```
 */
export class PostgresStore extends StoreBase implements SessionStore {
  readonly name = 'postgres';
  /** The quoted, schema-qualified table name used in every statement. */
  readonly table: string;
  /** Where rotations leave their forwards (store contract, rule 8): the table's name plus `_forwards`. */
  readonly forwardsTable: string;
  readonly #pool: Queryable;
  readonly #statements: Record<StatementName, { name: string; text: string }>;
  readonly #tableName: string;
  /** Whether the forwards table exists: `false` only under `createTable: false` without it. */
  #forwarded = true;

  constructor(options: PostgresStoreOptions) {
    super();
    if (options === null || typeof options !== 'object') {
      throw new TypeError('PostgresStore: options must be an object with `pool` or `url`');
    }
    const { pool } = options;
    const url = renamedOption<string>('PostgresStore', options, 'url', 'connectionString');
    // Leaves room under PostgreSQL's 63-byte identifier limit for the index-name suffixes.
    const tableName = checkIdentifier('PostgresStore', 'tableName', options.tableName ?? 'sessions');
    const schemaName =
      options.schemaName === undefined
        ? undefined
        : checkIdentifier('PostgresStore', 'schemaName', options.schemaName);
    if (pool !== undefined && typeof (pool as Partial<Queryable>).query !== 'function') {
      throw new TypeError('PostgresStore: pool must be a pg.Pool or pg.Client');
    }
    if ((pool === undefined) === (url === undefined)) {
      throw new TypeError('PostgresStore: give exactly one of `pool` or `url`');
    }
    if (url !== undefined && (typeof url !== 'string' || url === '')) {
      throw new TypeError('PostgresStore: url must be a non-empty string');
    }
    const createTable = checkBoolean('PostgresStore', 'createTable', options.createTable ?? true);
    const pruneInterval = checkPruneInterval('PostgresStore', options.pruneInterval ?? 15 * 60_000);

    const qualify = (name: string) => (schemaName === undefined ? `"${name}"` : `"${schemaName}"."${name}"`);
    this.table = qualify(tableName);
    this.forwardsTable = qualify(`${tableName}_forwards`);
    if (pool === undefined) {
      const own = new pg.Pool({ connectionString: url });
      // An idle connection dropped by the server is an 'error' on the pool, which would end the
      // process if nobody listened; the pool replaces the connection on its own.
      own.on('error', (err) => this.report(err));
      this.release(() => own.end());
      this.#pool = own;
    } else {
      this.#pool = pool;
    }
    this.#tableName = tableName;
    this.#statements = this.#prepare(schemaName === undefined ? tableName : `${schemaName}.${tableName}`);
    this.setUp(() => (createTable ? this.#createTable() : this.#probeForwards()));
    this.startPruning(pruneInterval, () => this.prune());
  }

  #prepare(qualified: string): Record<StatementName, { name: string; text: string }> {
    const t = this.table;
    const f = this.forwardsTable;
    const texts: Record<StatementName, string> = {
      read: `SELECT ${COLUMNS} FROM ${t} WHERE id = $1 AND expires > $2`,
      write:
        `INSERT INTO ${t} (id, ${COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (id) DO UPDATE SET ` +
        'data = EXCLUDED.data, expires = EXCLUDED.expires, created = EXCLUDED.created, ' +
        'touched = EXCLUDED.touched, user_id = EXCLUDED.user_id',
      // `-` drops the unset keys, then `||` replaces the set keys whole: one statement, so the row
      // lock serialises concurrent patches, and a row deleted meanwhile matches nothing.
      patch:
        `UPDATE ${t} SET data = (data - $2::text[]) || $3::jsonb, expires = $4, touched = $5, ` +
        'user_id = CASE WHEN $6::boolean THEN $7::text ELSE user_id END WHERE id = $1 AND expires > $8',
      refresh: `UPDATE ${t} SET expires = $2, touched = $3 WHERE id = $1 AND expires > $4`,
      refreshCookie:
        `UPDATE ${t} SET expires = $2, touched = $3, data = jsonb_set(data, '{cookie}', $5::jsonb) ` +
        'WHERE id = $1 AND expires > $4',
      // One statement renames the row only while it is live. A DELETE of the old ID that commits
      // first leaves nothing to rename; one that waits on the row lock rechecks the new version
      // (id changed: nothing to delete), and a DELETE by user_id rechecks it and deletes it.
      // The forward commits with the rename: a remove of the old ID that waited on the row lock
      // finds nothing to delete, and its next statement (a new snapshot) finds the forward.
      rotate:
        `WITH moved AS (UPDATE ${t} SET id = $2, data = $3, expires = $4, created = $5, touched = $6, ` +
        'user_id = $7 WHERE id = $1 AND expires > $8 RETURNING id), ' +
        `forwarded AS (INSERT INTO ${f} (old_id, new_id, expires) SELECT $1, $2, $9 FROM moved ` +
        'ON CONFLICT DO NOTHING) SELECT count(*)::int AS n FROM moved',
      // Without the forwards table (createTable: false, not migrated yet; see #probeForwards).
      rotateAlone:
        `UPDATE ${t} SET id = $2, data = $3, expires = $4, created = $5, touched = $6, user_id = $7 ` +
        'WHERE id = $1 AND expires > $8',
      remove: `DELETE FROM ${t} WHERE id = $1`,
      forwardsOf: `SELECT new_id FROM ${f} WHERE old_id = $1 AND expires > $2`,
      ids: `SELECT id FROM ${t} WHERE expires > $1`,
      entries: `SELECT id, ${COLUMNS} FROM ${t} WHERE expires > $1`,
      count: `SELECT count(*)::int AS n FROM ${t} WHERE expires > $1`,
      purge: `DELETE FROM ${t}`,
      purgeForwards: `DELETE FROM ${f}`,
      listByUser: `SELECT id, ${COLUMNS} FROM ${t} WHERE user_id = $1 AND expires > $2`,
      // Expired sessions of the user go too, but only live ones count as logged out.
      removeByUser:
        `WITH gone AS (DELETE FROM ${t} WHERE user_id = $1 AND id IS DISTINCT FROM $2 RETURNING expires) ` +
        'SELECT (count(*) FILTER (WHERE expires > $3))::int AS n FROM gone',
      prune: `DELETE FROM ${t} WHERE expires <= $1`,
      pruneForwards: `DELETE FROM ${f} WHERE expires <= $1`,
    };
    const statements = {} as Record<StatementName, { name: string; text: string }>;
    for (const key of Object.keys(texts) as StatementName[]) {
      // Named statements are prepared once per connection; the table is in the name so two
      // stores on different tables can share a pool.
      statements[key] = { name: `coatcheck:${qualified}:${key}`, text: texts[key] };
    }
    return statements;
  }

  async #probeForwards(): Promise<void> {
    const { rows } = await this.#pool.query<{ found: string | null }>('SELECT to_regclass($1) AS found', [
      this.forwardsTable,
    ]);
    if (rows[0]?.found != null) return;
    this.#forwarded = false;
    this.warnNoForwards('PostgresStore', this.forwardsTable, this.#forwardsDdl());
  }

  #forwardsDdl(): string {
    return (
      `CREATE TABLE ${this.forwardsTable} (old_id text COLLATE "C" NOT NULL, ` +
      'new_id text COLLATE "C" NOT NULL, expires bigint NOT NULL, PRIMARY KEY (old_id, new_id))'
    );
  }

  async #createTable(): Promise<void> {
    const t = this.table;
    // An index lives in its table's schema, so its name is never qualified.
    const index = (suffix: string) => `"${this.#tableName}_${suffix}"`;
    // One simple-protocol query runs as one transaction; the advisory lock makes processes that
    // start together wait for each other instead of racing on the catalog.
    const ddl = [
      `SELECT pg_advisory_xact_lock(hashtext('coatcheck:${t.replaceAll('"', '')}'))`,
      `CREATE TABLE IF NOT EXISTS ${t} (id text COLLATE "C" PRIMARY KEY, data jsonb NOT NULL, ` +
        'expires bigint NOT NULL, created bigint NOT NULL, touched bigint NOT NULL, user_id text COLLATE "C")',
      `CREATE INDEX IF NOT EXISTS ${index('expires_idx')} ON ${t} (expires)`,
      `CREATE INDEX IF NOT EXISTS ${index('user_idx')} ON ${t} (user_id) WHERE user_id IS NOT NULL`,
      this.#forwardsDdl().replace('CREATE TABLE', 'CREATE TABLE IF NOT EXISTS'),
    ].join(';\n');
    await this.#pool.query(ddl);
  }

  #run<R extends pg.QueryResultRow>(
    operation: StoreOperation,
    statement: StatementName,
    values: unknown[],
  ): Promise<pg.QueryResult<R>> {
    return this.run(operation, () =>
      (this.#pool as pg.Pool).query<R>({ ...this.#statements[statement], values }),
    );
  }

  /**
   * `false` from a call the pool could not connect for (the server refused it or could not be
   * reached) until a call succeeds: pg does not track its server otherwise. While it is `false`,
   * the session middleware answers 503 at once, letting one call through every probe interval.
   */
  connected(): boolean {
    return !this.refused;
  }

  async read(id: string): Promise<SessionRecord | undefined> {
    const { rows } = await this.#run<SessionRow>('read', 'read', [id, Date.now()]);
    return rows[0] && toRecord(rows[0]);
  }

  async write(id: string, record: SessionRecord): Promise<void> {
    const { data, expires, created, touched, user } = record;
    await this.#run('write', 'write', [id, JSON.stringify(data), expires, created, touched, user ?? null]);
  }

  async patch(id: string, patch: SessionPatch): Promise<boolean> {
    const { expires, touched, user } = patch;
    const values = [
      id,
      ...patchParameters(patch),
      expires,
      touched,
      user !== undefined,
      user ?? null,
      Date.now(),
    ];
    return (await this.#run('patch', 'patch', values)).rowCount === 1;
  }

  async refresh(id: string, expires: number, touched: number, cookie?: CookieJSON): Promise<boolean> {
    const now = Date.now();
    const result =
      cookie === undefined
        ? await this.#run('refresh', 'refresh', [id, expires, touched, now])
        : await this.#run('refresh', 'refreshCookie', [id, expires, touched, now, JSON.stringify(cookie)]);
    return result.rowCount === 1;
  }

  async rotate(oldId: string, newId: string, record: SessionRecord): Promise<boolean> {
    const { data, expires, created, touched, user } = record;
    const now = Date.now();
    const json = JSON.stringify(data);
    const values = [oldId, newId, json, expires, created, touched, user ?? null, now];
    if (!this.#forwarded) return (await this.#run('rotate', 'rotateAlone', values)).rowCount === 1;
    values.push(now + ROTATION_FORWARD_TTL);
    return (await this.#run<{ n: number }>('rotate', 'rotate', values)).rows[0]?.n === 1;
  }

  /**
   * Deletes the session, then asks where it was rotated to, and goes on there. Two statements, in
   * this order: a rotate that held the row while the delete waited has committed its forward by
   * the time the second statement takes its snapshot (in one statement it would not be seen).
   */
  async remove(id: string): Promise<void> {
    await removeWithForwards(id, async (one) => {
      await this.#run('remove', 'remove', [one]);
      if (!this.#forwarded) return [];
      const { rows } = await this.#run<{ new_id: string }>('remove', 'forwardsOf', [one, Date.now()]);
      return rows.map((row) => row.new_id);
    });
  }

  async ids(): Promise<string[]> {
    return (await this.#run<{ id: string }>('ids', 'ids', [Date.now()])).rows.map((row) => row.id);
  }

  async entries(): Promise<Array<[string, SessionRecord]>> {
    const { rows } = await this.#run<SessionRow>('entries', 'entries', [Date.now()]);
    return decodeRows(rows, toEntry);
  }

  async count(): Promise<number> {
    return (await this.#run<{ n: number }>('count', 'count', [Date.now()])).rows[0]?.n ?? 0;
  }

  async purge(): Promise<void> {
    await this.#run('purge', 'purge', []);
    if (this.#forwarded) await this.#run('purge', 'purgeForwards', []);
  }

  async listByUser(user: string): Promise<Array<[string, SessionRecord]>> {
    const { rows } = await this.#run<SessionRow>('listByUser', 'listByUser', [user, Date.now()]);
    return decodeRows(rows, toEntry);
  }

  async removeByUser(user: string, exceptId?: string): Promise<number> {
    const values = [user, exceptId ?? null, Date.now()];
    return (await this.#run<{ n: number }>('removeByUser', 'removeByUser', values)).rows[0]?.n ?? 0;
  }

  /**
   * Deletes expired sessions now and resolves how many; the store's timer calls this every
   * `pruneInterval`. Expired sessions are never served in between.
   */
  async prune(): Promise<number> {
    const now = Date.now();
    if (this.#forwarded) await this.#run('prune', 'pruneForwards', [now]);
    return (await this.#run('prune', 'prune', [now])).rowCount ?? 0;
  }
}
