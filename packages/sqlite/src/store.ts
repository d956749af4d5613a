import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { type SessionRecord, type SessionStore, StoreError, type StoreOperation } from 'coatcheck';
import {
  applyPatch,
  type CookieJSON,
  checkBoolean,
  checkIdentifier,
  checkPruneInterval,
  decodeData,
  decodeRecord,
  decodeRows,
  ROTATION_FORWARD_TTL,
  removeWithForwards,
  type SessionPatch,
  StoreBase,
} from 'coatcheck/stores';

/** Options of {@link SQLiteStore}: give it a database file `path`, or an open better-sqlite3 `db`. */
export interface SQLiteStoreOptions {
  /**
   * The database file, created with its folder if missing, or `':memory:'`. The store opens it in
   * WAL mode and closes it in {@link SQLiteStore.close}.
   */
  path?: string;
  /** An open better-sqlite3 database the store uses as it is configured, and never closes. */
  db?: Database.Database;
  /** The sessions table. Letters, digits and `_`, at most 48 characters. Default `sessions`. */
  tableName?: string;
  /** Create the table and its indexes when missing. Default `true`; turn off when migrations own the schema. */
  createTable?: boolean;
  /** How often expired sessions are deleted, in milliseconds; 0 turns it off. Default 5 minutes. */
  pruneInterval?: number;
}

interface SessionRow {
  data: string;
  // Numbers as the store writes them; anything else when written by hand (see decodeRecord).
  expires: unknown;
  created: unknown;
  touched: unknown;
  user_id: string | null;
}

type Statements = ReturnType<typeof prepare>;

/**
 * "Unexpired", for a `?` of now. SQLite compares any TEXT as greater than any number, so an expiry
 * stored as text (written by hand or by another tool) would read as never expiring: only a numeric
 * expiry can be live, and {@link prepare}'s prune deletes the rest.
 */
const LIVE = "typeof(expires) IN ('integer', 'real') AND expires > ?";

/** Creates the table rotations leave their forwards in (store contract, rule 8). */
function forwardsDdl(table: string): string {
  return (
    `CREATE TABLE "${table}_forwards" (old_id TEXT NOT NULL, new_id TEXT NOT NULL, ` +
    'expires INTEGER NOT NULL, PRIMARY KEY (old_id, new_id)) WITHOUT ROWID'
  );
}

function prepare(db: Database.Database, table: string, createTable: boolean) {
  const t = `"${table}"`;
  // Where a rotate leaves its forward from the old ID to the new one; under createTable: false a
  // schema that lacks it works without forwards (the store warns).
  const f = `"${table}_forwards"`;
  if (createTable) {
    db.exec(
      `CREATE TABLE IF NOT EXISTS ${t} (id TEXT NOT NULL PRIMARY KEY, data TEXT NOT NULL, ` +
        'expires INTEGER NOT NULL, created INTEGER NOT NULL, touched INTEGER NOT NULL, user_id TEXT);' +
        `CREATE INDEX IF NOT EXISTS "${table}_expires_idx" ON ${t} (expires);` +
        `CREATE INDEX IF NOT EXISTS "${table}_user_idx" ON ${t} (user_id) WHERE user_id IS NOT NULL;` +
        `${forwardsDdl(table).replace('CREATE TABLE', 'CREATE TABLE IF NOT EXISTS')};`,
    );
  }
  const forwarded =
    db.prepare("SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = ?").get(`${table}_forwards`) !==
    undefined;
  // Statements on a missing table cannot even be prepared: these stand in for them.
  const none = { run: () => undefined, all: () => [] as string[] };
  const row = 'data, expires, created, touched, user_id';
  return {
    // Not LIVE: a row whose expiry is text compares as later than any number, so it comes back
    // here and decodeRecord reports it as damaged (the middleware then removes it).
    read: db.prepare<[string, number], SessionRow>(`SELECT ${row} FROM ${t} WHERE id = ? AND expires > ?`),
    write: db.prepare<[string, string, number, number, number, string | null]>(
      `INSERT INTO ${t} (id, ${row}) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET data = excluded.data, ` +
        'expires = excluded.expires, created = excluded.created, touched = excluded.touched, user_id = excluded.user_id',
    ),
    patchRead: db.prepare<[string, number], Pick<SessionRow, 'data' | 'user_id'>>(
      `SELECT data, user_id FROM ${t} WHERE id = ? AND ${LIVE}`,
    ),
    patchWrite: db.prepare<[string, number, number, string | null, string]>(
      `UPDATE ${t} SET data = ?, expires = ?, touched = ?, user_id = ? WHERE id = ?`,
    ),
    refresh: db.prepare<[number, number, string, number]>(
      `UPDATE ${t} SET expires = ?, touched = ? WHERE id = ? AND ${LIVE}`,
    ),
    refreshCookie: db.prepare<[number, number, string, string, number]>(
      `UPDATE ${t} SET expires = ?, touched = ?, data = json_set(data, '$.cookie', json(?)) WHERE id = ? AND ${LIVE}`,
    ),
    // One statement renames the row only while it is live: a delete that came first leaves nothing
    // to rename, and one that comes after finds the row under its new ID (or its owner's name).
    rotate: db.prepare<[string, string, number, number, number, string | null, string, number]>(
      `UPDATE ${t} SET id = ?, data = ?, expires = ?, created = ?, touched = ?, user_id = ? WHERE id = ? AND ${LIVE}`,
    ),
    forwarded,
    forward: forwarded
      ? db.prepare<[string, string, number]>(`INSERT OR REPLACE INTO ${f} VALUES (?, ?, ?)`)
      : none,
    forwardsOf: forwarded
      ? db
          .prepare<[string, number], string>(`SELECT new_id FROM ${f} WHERE old_id = ? AND expires > ?`)
          .pluck()
      : none,
    remove: db.prepare<[string]>(`DELETE FROM ${t} WHERE id = ?`),
    ids: db.prepare<[number], string>(`SELECT id FROM ${t} WHERE ${LIVE}`).pluck(),
    entries: db.prepare<[number], SessionRow & { id: string }>(`SELECT id, ${row} FROM ${t} WHERE ${LIVE}`),
    count: db.prepare<[number], number>(`SELECT count(*) FROM ${t} WHERE ${LIVE}`).pluck(),
    purge: db.prepare<[]>(`DELETE FROM ${t}`),
    purgeForwards: forwarded ? db.prepare<[]>(`DELETE FROM ${f}`) : none,
    listByUser: db.prepare<[string, number], SessionRow & { id: string }>(
      `SELECT id, ${row} FROM ${t} WHERE user_id = ? AND ${LIVE}`,
    ),
    // `IS NOT` is NULL-safe, so without an excepted ID every session of the user goes.
    removeByUser: db
      .prepare<[string, string | null], number>(
        `DELETE FROM ${t} WHERE user_id = ? AND id IS NOT ? RETURNING expires`,
      )
      .pluck(),
    prune: db.prepare<[number]>(
      `DELETE FROM ${t} WHERE expires <= ? OR typeof(expires) NOT IN ('integer', 'real')`,
    ),
    pruneForwards: forwarded ? db.prepare<[number]>(`DELETE FROM ${f} WHERE expires <= ?`) : none,
  };
}

function toRecord(row: SessionRow): SessionRecord {
  return decodeRecord('sqlite', { ...row, user: row.user_id });
}

function toEntry(row: SessionRow & { id: string }): [string, SessionRecord] {
  return [row.id, toRecord(row)];
}

/**
 * An SQLite session store on better-sqlite3, implementing the whole coatcheck contract: the
 * embedded default, which keeps sessions across restarts with no server to run, and shares them
 * between the processes of one machine.
 *
 * A database the store opens itself runs in WAL mode, so reads never wait for a write. Every
 * statement is prepared once; the expiry is checked in the `WHERE` clause against an index. A patch
 * reads, merges and writes inside one `BEGIN IMMEDIATE` transaction, which holds the write lock
 * from the start, so patches from other processes cannot interleave and a removed session stays
 * removed.
 *
 * @example
 * ```ts
 * import session from 'coatcheck';
 * import { SQLiteStore } from '@coatcheck/sqlite';
 *
 * app.use(session({ secret, store: new SQLiteStore({ path: 'sessions.db' }) }));
 * ```
 */
export class SQLiteStore extends StoreBase implements SessionStore {
  readonly name = 'sqlite';
  readonly #statements: Statements;
  readonly #patch: (id: string, patch: SessionPatch, now: number) => boolean;
  readonly #rotate: (oldId: string, newId: string, record: SessionRecord, now: number) => boolean;

  constructor(options: SQLiteStoreOptions) {
    super();
    if (options === null || typeof options !== 'object') {
      throw new TypeError('SQLiteStore: options must be an object with `path` or `db`');
    }
    const { path, db } = options;
    if ((path === undefined) === (db === undefined)) {
      throw new TypeError('SQLiteStore: give exactly one of `path` or `db`');
    }
    if (path !== undefined && (typeof path !== 'string' || path === '')) {
      throw new TypeError('SQLiteStore: path must be a non-empty string');
    }
    if (db !== undefined && typeof (db as Partial<Database.Database>).prepare !== 'function') {
      throw new TypeError('SQLiteStore: db must be a better-sqlite3 Database');
    }
    const tableName = checkIdentifier('SQLiteStore', 'tableName', options.tableName ?? 'sessions');
    const createTable = checkBoolean('SQLiteStore', 'createTable', options.createTable ?? true);
    const pruneInterval = checkPruneInterval('SQLiteStore', options.pruneInterval ?? 5 * 60_000);

    const ownDb = db === undefined;
    let opened: Database.Database | undefined;
    try {
      if (path !== undefined && path !== ':memory:') {
        // A first run with `path: 'data/sessions.db'` should not fail for want of `data/`.
        mkdirSync(dirname(path), { recursive: true });
      }
      opened = db ?? new Database(path);
      if (ownDb) {
        opened.pragma('journal_mode = WAL');
        // With WAL, NORMAL loses at most the last transactions on power loss, never the file.
        opened.pragma('synchronous = NORMAL');
      }
      this.#statements = prepare(opened, tableName, createTable);
      if (!this.#statements.forwarded)
        this.warnNoForwards('SQLiteStore', `"${tableName}_forwards"`, forwardsDdl(tableName));
    } catch (cause) {
      if (ownDb && opened?.open) opened.close();
      throw new StoreError(this.name, 'connect', { cause });
    }
    const database = opened;
    if (ownDb) this.release(() => database.close());
    const { patchRead, patchWrite } = this.#statements;
    this.#patch = database.transaction((id: string, patch: SessionPatch, now: number) => {
      const row = patchRead.get(id, now);
      if (row === undefined) return false;
      const data = applyPatch(decodeData('sqlite', row.data), patch);
      const user = patch.user === undefined ? row.user_id : patch.user;
      patchWrite.run(JSON.stringify(data), patch.expires, patch.touched, user, id);
      return true;
    }).immediate;
    const { rotate, forward } = this.#statements;
    // The rename and its forward in one transaction, so another process sees both or neither.
    this.#rotate = database.transaction(
      (oldId: string, newId: string, record: SessionRecord, now: number) => {
        const { data, expires, created, touched, user } = record;
        const json = JSON.stringify(data);
        if (rotate.run(newId, json, expires, created, touched, user ?? null, oldId, now).changes !== 1)
          return false;
        forward.run(oldId, newId, now + ROTATION_FORWARD_TTL);
        return true;
      },
    ).immediate;
    this.startPruning(pruneInterval, () => this.prune());
  }

  #run<T>(operation: StoreOperation, work: (statements: Statements) => T): T {
    return this.runSync(operation, () => work(this.#statements));
  }

  async read(id: string): Promise<SessionRecord | undefined> {
    const row = this.#run('read', (s) => s.read.get(id, Date.now()));
    return row && toRecord(row);
  }

  async write(id: string, record: SessionRecord): Promise<void> {
    const { data, expires, created, touched, user } = record;
    this.#run('write', (s) => s.write.run(id, JSON.stringify(data), expires, created, touched, user ?? null));
  }

  async patch(id: string, patch: SessionPatch): Promise<boolean> {
    return this.#run('patch', () => this.#patch(id, patch, Date.now()));
  }

  async refresh(id: string, expires: number, touched: number, cookie?: CookieJSON): Promise<boolean> {
    return this.#run('refresh', (s) => {
      const now = Date.now();
      const result =
        cookie === undefined
          ? s.refresh.run(expires, touched, id, now)
          : s.refreshCookie.run(expires, touched, JSON.stringify(cookie), id, now);
      return result.changes === 1;
    });
  }

  async rotate(oldId: string, newId: string, record: SessionRecord): Promise<boolean> {
    return this.#run('rotate', () => this.#rotate(oldId, newId, record, Date.now()));
  }

  /** Each delete and its forwards' lookup in this order: see {@link removeWithForwards}. */
  async remove(id: string): Promise<void> {
    await removeWithForwards(id, (one) =>
      this.#run('remove', (s) => {
        s.remove.run(one);
        return s.forwardsOf.all(one, Date.now());
      }),
    );
  }

  async ids(): Promise<string[]> {
    return this.#run('ids', (s) => s.ids.all(Date.now()));
  }

  async entries(): Promise<Array<[string, SessionRecord]>> {
    return decodeRows(
      this.#run('entries', (s) => s.entries.all(Date.now())),
      toEntry,
    );
  }

  async count(): Promise<number> {
    return this.#run('count', (s) => s.count.get(Date.now()) ?? 0);
  }

  async purge(): Promise<void> {
    this.#run('purge', (s) => {
      s.purge.run();
      s.purgeForwards.run();
    });
  }

  async listByUser(user: string): Promise<Array<[string, SessionRecord]>> {
    return decodeRows(
      this.#run('listByUser', (s) => s.listByUser.all(user, Date.now())),
      toEntry,
    );
  }

  /** Deletes every session of `user` but `exceptId`, expired ones too; resolves how many were live. */
  async removeByUser(user: string, exceptId?: string): Promise<number> {
    const now = Date.now();
    const expiries = this.#run('removeByUser', (s) => s.removeByUser.all(user, exceptId ?? null));
    return expiries.filter((expires) => expires > now).length;
  }

  /** Deletes expired sessions now and returns how many; the store's timer calls this every `pruneInterval`. */
  prune(): number {
    return this.#run('prune', (s) => {
      const now = Date.now();
      s.pruneForwards.run(now);
      return s.prune.run(now).changes;
    });
  }
}
