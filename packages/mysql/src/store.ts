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
import mysql from 'mysql2/promise';

/** A mysql2 pool or connection: the promise API (`mysql2/promise`) or the callback one (`mysql2`). */
export type Executor =
  | Pick<mysql.Pool, 'execute' | 'query'>
  | { promise(): Pick<mysql.Pool, 'execute' | 'query'> };

/** Options of {@link MySQLStore}: give it a `pool` (yours, never closed by the store) or a `url`. */
export interface MySQLStoreOptions {
  /** A mysql2 pool or connection the store uses and leaves open when it closes. */
  pool?: Executor;
  /** A `mysql://` URL; the store opens its own pool and ends it in {@link MySQLStore.close}. */
  url?: string;
  /** @deprecated The old name of `url`. */
  uri?: string;
  /** The sessions table. Letters, digits and `_`, at most 48 characters. Default `sessions`. */
  tableName?: string;
  /** The database (MySQL's schema) holding the table. Default: the connection's database. */
  schemaName?: string;
  /** Create the table when missing. Default `true`; turn off when migrations own the schema. */
  createTable?: boolean;
  /** How often expired sessions are deleted, in milliseconds; 0 turns it off. Default 15 minutes. */
  pruneInterval?: number;
}

interface SessionRow {
  id: Buffer;
  // MariaDB declares JSON columns as text, MySQL as JSON, which mysql2 parses itself.
  data: unknown;
  expires: number;
  created: number;
  touched: number;
  user_id: Buffer | null;
}

/** What this store binds: IDs, JSON text and paths, epoch milliseconds, and NULL. */
type Parameter = string | number | null;

/** MySQL/MariaDB's "Deadlock found when trying to get lock; try restarting transaction". */
const ER_LOCK_DEADLOCK = 1213;
const DEADLOCK_ATTEMPTS = 5;
const SELECTED = 'id, data, expires, created, touched, user_id';

/**
 * A MySQL and MariaDB session store on mysql2, implementing the whole coatcheck contract.
 *
 * One table: IDs and user IDs as `VARBINARY` (compared byte for byte, with none of a collation's
 * case folding or trailing-space padding), data as `JSON`, and the three times as `BIGINT` epoch
 * milliseconds. A read is one `SELECT` with the expiry in its `WHERE` clause; a patch is one
 * `UPDATE` of `JSON_SET`/`JSON_REMOVE` whose paths and values are all bound parameters, so
 * concurrent patches keep every key and a deleted session stays deleted.
 *
 * Patches and refreshes report whether a row matched through `affectedRows`, which needs
 * mysql2's default `FOUND_ROWS` client flag.
 *
 * @example
 * ```ts
 * import mysql from 'mysql2/promise';
 * import session from 'coatcheck';
 * import { MySQLStore } from '@coatcheck/mysql';
 *
 * const pool = mysql.createPool(process.env.DATABASE_URL);
 * app.use(session({ secret, store: new MySQLStore({ pool }) }));
 * ```
 */
export class MySQLStore extends StoreBase implements SessionStore {
  readonly name = 'mysql';
  /** The quoted table name used in every statement. */
  readonly table: string;
  /** Where rotations leave their forwards (store contract, rule 8): the table's name plus `_forwards`. */
  readonly forwardsTable: string;
  readonly #db: Pick<mysql.Pool, 'execute' | 'query'>;
  /** Whether the forwards table exists: `false` only under `createTable: false` without it. */
  #forwarded = true;

  constructor(options: MySQLStoreOptions) {
    super();
    if (options === null || typeof options !== 'object') {
      throw new TypeError('MySQLStore: options must be an object with `pool` or `url`');
    }
    const { pool } = options;
    const url = renamedOption<string>('MySQLStore', options, 'url', 'uri');
    if ((pool === undefined) === (url === undefined)) {
      throw new TypeError('MySQLStore: give exactly one of `pool` or `url`');
    }
    if (pool !== undefined && !isExecutor(pool)) {
      throw new TypeError('MySQLStore: pool must be a mysql2 pool or connection');
    }
    if (url !== undefined && (typeof url !== 'string' || url === '')) {
      throw new TypeError('MySQLStore: url must be a non-empty string');
    }
    const tableName = checkIdentifier('MySQLStore', 'tableName', options.tableName ?? 'sessions');
    const schemaName =
      options.schemaName === undefined
        ? undefined
        : checkIdentifier('MySQLStore', 'schemaName', options.schemaName);
    const createTable = checkBoolean('MySQLStore', 'createTable', options.createTable ?? true);
    const pruneInterval = checkPruneInterval('MySQLStore', options.pruneInterval ?? 15 * 60_000);

    const qualify = (name: string) =>
      schemaName === undefined ? `\`${name}\`` : `\`${schemaName}\`.\`${name}\``;
    this.table = qualify(tableName);
    this.forwardsTable = qualify(`${tableName}_forwards`);
    if (url === undefined) {
      this.#db = promiseApi(pool as Executor);
    } else {
      const own = mysql.createPool(url);
      this.release(() => own.end());
      this.#db = own;
    }
    const forwardsName = `${tableName}_forwards`;
    this.setUp(() => (createTable ? this.#createTable() : this.#probeForwards(schemaName, forwardsName)));
    this.startPruning(pruneInterval, () => this.prune());
  }

  async #createTable(): Promise<void> {
    await this.#db.query(
      `CREATE TABLE IF NOT EXISTS ${this.table} (id VARBINARY(512) NOT NULL PRIMARY KEY, data JSON NOT NULL, ` +
        'expires BIGINT NOT NULL, created BIGINT NOT NULL, touched BIGINT NOT NULL, user_id VARBINARY(512), ' +
        'INDEX expires_idx (expires), INDEX user_idx (user_id)) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4',
    );
    await this.#db.query(this.#forwardsDdl().replace('CREATE TABLE', 'CREATE TABLE IF NOT EXISTS'));
  }

  async #probeForwards(schemaName: string | undefined, forwardsName: string): Promise<void> {
    const [rows] = await this.#db.query(
      'SELECT COUNT(*) AS n FROM information_schema.tables WHERE table_schema = COALESCE(?, DATABASE()) ' +
        'AND table_name = ?',
      [schemaName ?? null, forwardsName],
    );
    if (Number((rows as Array<{ n: unknown }>)[0]?.n) > 0) return;
    this.#forwarded = false;
    this.warnNoForwards('MySQLStore', this.forwardsTable, this.#forwardsDdl());
  }

  #forwardsDdl(): string {
    return (
      `CREATE TABLE ${this.forwardsTable} (old_id VARBINARY(512) NOT NULL, ` +
      'new_id VARBINARY(512) NOT NULL, expires BIGINT NOT NULL, PRIMARY KEY (old_id, new_id), ' +
      'INDEX expires_idx (expires)) ENGINE=InnoDB'
    );
  }

  #execute<T>(operation: StoreOperation, sql: string, values: Parameter[]): Promise<T> {
    return this.run(operation, async () => {
      for (let attempt = 1; ; attempt++) {
        try {
          const [result] = await this.#db.execute(sql, values);
          return result as T;
        } catch (err) {
          // InnoDB picks a victim when a rotate's rename and a delete by owner lock the same index
          // entries in opposite orders. Each statement runs alone (autocommit) and was rolled back
          // whole, so running it again decides it afresh.
          if ((err as { errno?: unknown }).errno !== ER_LOCK_DEADLOCK || attempt >= DEADLOCK_ATTEMPTS)
            throw err;
        }
      }
    });
  }

  /**
   * `false` from a call the pool could not connect for (the server refused it or could not be
   * reached) until a call succeeds: mysql2's pool does not track its server otherwise. While it is
   * `false`, the session middleware answers 503 at once, letting one call through every probe
   * interval.
   */
  connected(): boolean {
    return !this.refused;
  }

  async #select(
    operation: StoreOperation,
    where: string,
    values: Parameter[],
  ): Promise<Array<[string, SessionRecord]>> {
    const rows = await this.#execute<SessionRow[]>(
      operation,
      `SELECT ${SELECTED} FROM ${this.table} WHERE ${where} AND expires > ?`,
      [...values, Date.now()],
    );
    return decodeRows(rows, (row) => [row.id.toString('utf8'), toRecord(row)]);
  }

  async #changed(operation: StoreOperation, sql: string, values: Parameter[]): Promise<number> {
    return (await this.#execute<mysql.ResultSetHeader>(operation, sql, values)).affectedRows;
  }

  async read(id: string): Promise<SessionRecord | undefined> {
    const sql = `SELECT ${SELECTED} FROM ${this.table} WHERE id = ? AND expires > ?`;
    const rows = await this.#execute<SessionRow[]>('read', sql, [id, Date.now()]);
    return rows[0] && toRecord(rows[0]);
  }

  async write(id: string, record: SessionRecord): Promise<void> {
    const { data, expires, created, touched, user } = record;
    await this.#execute(
      'write',
      `INSERT INTO ${this.table} (${SELECTED}) VALUES (?, ?, ?, ?, ?, ?) ON DUPLICATE KEY UPDATE ` +
        'data = VALUES(data), expires = VALUES(expires), created = VALUES(created), ' +
        'touched = VALUES(touched), user_id = VALUES(user_id)',
      [id, JSON.stringify(data), expires, created, touched, user ?? null],
    );
  }

  async patch(id: string, patch: SessionPatch): Promise<boolean> {
    const { expression, values } = patchExpression(patch);
    const sql =
      `UPDATE ${this.table} SET data = ${expression}, expires = ?, touched = ?, ` +
      'user_id = IF(?, ?, user_id) WHERE id = ? AND expires > ?';
    const { expires, touched, user } = patch;
    const all = [...values, expires, touched, user === undefined ? 0 : 1, user ?? null, id, Date.now()];
    return (await this.#changed('patch', sql, all)) === 1;
  }

  async refresh(id: string, expires: number, touched: number, cookie?: CookieJSON): Promise<boolean> {
    if (cookie === undefined) {
      const sql = `UPDATE ${this.table} SET expires = ?, touched = ? WHERE id = ? AND expires > ?`;
      return (await this.#changed('refresh', sql, [expires, touched, id, Date.now()])) === 1;
    }
    const sql =
      `UPDATE ${this.table} SET data = JSON_SET(data, '$.cookie', JSON_EXTRACT(?, '$')), expires = ?, ` +
      'touched = ? WHERE id = ? AND expires > ?';
    const values = [JSON.stringify(cookie), expires, touched, id, Date.now()];
    return (await this.#changed('refresh', sql, values)) === 1;
  }

  /**
   * The forward first, then one `UPDATE` that renames the row only while it is live (the row lock
   * orders it against a `DELETE` of the old ID). A remove of the old ID that comes after the rename
   * finds the forward, which committed before it; one that comes before makes the rename fail, and
   * the forward then leads to an ID that never existed. See {@link MySQLStore.removeByUser} for
   * the delete by owner.
   */
  async rotate(oldId: string, newId: string, record: SessionRecord): Promise<boolean> {
    const { data, expires, created, touched, user } = record;
    const now = Date.now();
    if (this.#forwarded)
      await this.#execute(
        'rotate',
        `INSERT IGNORE INTO ${this.forwardsTable} (old_id, new_id, expires) VALUES (?, ?, ?)`,
        [oldId, newId, now + ROTATION_FORWARD_TTL],
      );
    const sql =
      `UPDATE ${this.table} SET id = ?, data = ?, expires = ?, created = ?, touched = ?, user_id = ? ` +
      'WHERE id = ? AND expires > ?';
    const values = [newId, JSON.stringify(data), expires, created, touched, user ?? null, oldId, now];
    return (await this.#changed('rotate', sql, values)) === 1;
  }

  /** Each delete, then its forwards' lookup, as separate statements: see {@link removeWithForwards}. */
  async remove(id: string): Promise<void> {
    await removeWithForwards(id, async (one) => {
      await this.#execute('remove', `DELETE FROM ${this.table} WHERE id = ?`, [one]);
      if (!this.#forwarded) return [];
      const sql = `SELECT new_id FROM ${this.forwardsTable} WHERE old_id = ? AND expires > ?`;
      const rows = await this.#execute<Array<{ new_id: Buffer }>>('remove', sql, [one, Date.now()]);
      return rows.map((row) => row.new_id.toString('utf8'));
    });
  }

  async ids(): Promise<string[]> {
    const sql = `SELECT id FROM ${this.table} WHERE expires > ?`;
    const rows = await this.#execute<Array<{ id: Buffer }>>('ids', sql, [Date.now()]);
    return rows.map((row) => row.id.toString('utf8'));
  }

  entries(): Promise<Array<[string, SessionRecord]>> {
    return this.#select('entries', 'TRUE', []);
  }

  async count(): Promise<number> {
    const sql = `SELECT COUNT(*) AS n FROM ${this.table} WHERE expires > ?`;
    const rows = await this.#execute<Array<{ n: number }>>('count', sql, [Date.now()]);
    return Number(rows[0]?.n ?? 0);
  }

  async purge(): Promise<void> {
    await this.#execute('purge', `DELETE FROM ${this.table}`, []);
    if (this.#forwarded) await this.#execute('purge', `DELETE FROM ${this.forwardsTable}`, []);
  }

  listByUser(user: string): Promise<Array<[string, SessionRecord]>> {
    return this.#select('listByUser', 'user_id = ?', [user]);
  }

  /**
   * Deletes the user's live sessions (but `exceptId`) and resolves how many; their expired ones
   * are already invisible and go with the next prune.
   *
   * Twice: a rotate that renamed a row while the first `DELETE` waited on its lock moved it to
   * another place in the user index, which that scan may have passed already. The second scan
   * starts after the rename committed, so it finds the row under its new ID.
   */
  async removeByUser(user: string, exceptId?: string): Promise<number> {
    // `<=>` is NULL-safe, so without `exceptId` no session is excepted.
    const sql = `DELETE FROM ${this.table} WHERE user_id = ? AND NOT (id <=> ?) AND expires > ?`;
    const first = await this.#changed('removeByUser', sql, [user, exceptId ?? null, Date.now()]);
    return first + (await this.#changed('removeByUser', sql, [user, exceptId ?? null, Date.now()]));
  }

  /** Deletes expired sessions now and resolves how many; the store's timer calls this every `pruneInterval`. */
  async prune(): Promise<number> {
    const now = Date.now();
    if (this.#forwarded)
      await this.#execute('prune', `DELETE FROM ${this.forwardsTable} WHERE expires <= ?`, [now]);
    return this.#changed('prune', `DELETE FROM ${this.table} WHERE expires <= ?`, [now]);
  }
}

function isExecutor(value: unknown): value is Executor {
  const candidate = value as Partial<Record<'execute' | 'promise', unknown>> | null;
  return (
    typeof candidate === 'object' &&
    candidate !== null &&
    (typeof candidate.execute === 'function' || typeof candidate.promise === 'function')
  );
}

function promiseApi(pool: Executor): Pick<mysql.Pool, 'execute' | 'query'> {
  // A callback-API pool or connection gives its promise wrapper; a promise one is used as is.
  return 'promise' in pool && typeof pool.promise === 'function' ? pool.promise() : (pool as mysql.Pool);
}

function toRecord(row: SessionRow): SessionRecord {
  return decodeRecord('mysql', {
    data: row.data,
    expires: Number(row.expires),
    created: Number(row.created),
    touched: Number(row.touched),
    user: row.user_id === null ? undefined : row.user_id.toString('utf8'),
  });
}

/** A JSON path naming one top-level key, whatever characters it holds: `$."a.b"`, `$."\"q\""`. */
function keyPath(key: string): string {
  return `$.${JSON.stringify(key)}`;
}

/**
 * The `data` expression of a patch: `JSON_REMOVE` of the unset keys inside `JSON_SET` of the set
 * ones, the same order as `applyPatch`. Paths and values are parameters; only their number shapes
 * the SQL text, so mysql2 prepares one statement per shape. `JSON_EXTRACT(?, '$')` turns the JSON
 * text of a value into a JSON value (MariaDB has no `CAST(? AS JSON)`).
 */
function patchExpression(patch: Pick<SessionPatch, 'set' | 'unset'>): {
  expression: string;
  values: string[];
} {
  let expression = 'data';
  const values: string[] = [];
  // A key set to `undefined` disappears, as it does from `JSON.stringify` of the patched data.
  const keys = Object.keys(patch.set).filter((key) => key !== '__proto__' && patch.set[key] !== undefined);
  const unset = [...patch.unset, ...Object.keys(patch.set).filter((key) => patch.set[key] === undefined)];
  if (unset.length > 0) {
    expression = `JSON_REMOVE(${expression}${', ?'.repeat(unset.length)})`;
    values.push(...unset.map(keyPath));
  }
  if (keys.length > 0) {
    expression = `JSON_SET(${expression}${", ?, JSON_EXTRACT(?, '$')".repeat(keys.length)})`;
    for (const key of keys) values.push(keyPath(key), JSON.stringify(patch.set[key]));
  }
  return { expression, values };
}
