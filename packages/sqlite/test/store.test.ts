import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import Database from 'better-sqlite3';
import { StoreClosedError, StoreError } from 'coatcheck';
import { freshId, type RecordDamage, sampleRecord, testStore } from 'coatcheck/testing';
import { checkMissingForwards } from '../../../test/helpers/forwards.js';
import { SQLiteStore, type SQLiteStoreOptions } from '../src/index.js';

const execFileAsync = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), 'coatcheck-sqlite-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** SQL that damages one row of the `sessions` table, by kind (see RecordDamage). */
const DAMAGE: Record<RecordDamage, string> = {
  'data-null': "UPDATE sessions SET data = 'null' WHERE id = ?",
  'data-not-json': 'UPDATE sessions SET data = \'{"cart": [1, 2\' WHERE id = ?',
  'cookie-string': "UPDATE sessions SET data = json_set(data, '$.cookie', 'sid=abc') WHERE id = ?",
  'cookie-expires':
    "UPDATE sessions SET data = json_set(data, '$.cookie.expires', 'not a date') WHERE id = ?",
  expires: "UPDATE sessions SET expires = 'tomorrow' WHERE id = ?",
  created: "UPDATE sessions SET created = 'yesterday' WHERE id = ?",
};

// #region conformance
testStore({
  name: 'SQLiteStore',
  create: () => new SQLiteStore({ path: join(dir, 'conformance.db') }),
  close: (store) => store.close(),
  requires: 'all',
  // Another connection to the same file, as a hand edit or another tool would make.
  damage: async (_store, id, kind) => {
    const db = new Database(join(dir, 'conformance.db'));
    try {
      return db.prepare(DAMAGE[kind]).run(id).changes === 1;
    } finally {
      db.close();
    }
  },
});
// #endregion conformance

describe('SQLiteStore', () => {
  it('under createTable: false without the forwards table, warns once with its DDL and works without forwards', async () => {
    const db = new Database(':memory:');
    db.exec(
      'CREATE TABLE sessions (id TEXT NOT NULL PRIMARY KEY, data TEXT NOT NULL, expires INTEGER NOT NULL, ' +
        'created INTEGER NOT NULL, touched INTEGER NOT NULL, user_id TEXT)',
    );
    await checkMissingForwards(
      'sessions',
      () => new SQLiteStore({ db, createTable: false, pruneInterval: 0 }),
      async (ddl) => db.exec(ddl),
    );
    db.close();
  });

  const soon = () => ({ expires: Date.now() + 60_000, touched: Date.now() });

  it('opens its own file in WAL mode, with indexes on expires and user_id', async () => {
    const path = join(dir, 'wal.db');
    const store = new SQLiteStore({ path });
    await store.close();
    const db = new Database(path, { readonly: true });
    assert.equal(db.pragma('journal_mode', { simple: true }), 'wal');
    const indexes = db
      .prepare<[], { sql: string }>("SELECT sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL")
      .all()
      .map((row) => row.sql)
      .join('\n');
    assert.match(indexes, /\(expires\)/);
    assert.match(indexes, /\(user_id\) WHERE user_id IS NOT NULL/);
    db.close();
  });

  it('keeps sessions across a restart', async () => {
    const path = join(dir, 'restart.db');
    const id = freshId();
    const record = sampleRecord({ user: 'ada' }, { cart: ['apple'] });
    const first = new SQLiteStore({ path });
    await first.write(id, record);
    await first.close();
    const second = new SQLiteStore({ path });
    assert.deepEqual(await second.read(id), record);
    await second.close();
  });

  it('serialises patches from two processes on one file, so every key lands', async () => {
    const path = join(dir, 'shared.db');
    const store = new SQLiteStore({ path });
    const id = freshId();
    await store.write(id, sampleRecord());
    const fixture = fileURLToPath(new URL('./fixtures/patcher.ts', import.meta.url));
    const patcher = (label: string) =>
      execFileAsync(process.execPath, [
        '--conditions=coatcheck-source',
        '--import',
        'tsx',
        fixture,
        path,
        id,
        label,
        '400',
      ]);
    await Promise.all([patcher('a'), patcher('b')]);
    const data = (await store.read(id))?.data ?? {};
    for (let i = 0; i < 400; i++)
      assert.deepEqual([data[`a${i}`], data[`b${i}`]], [i, i], `keys a${i}, b${i}`);
    await store.close();
  });

  it('uses a database it was given as configured, and leaves it open', async () => {
    const db = new Database(':memory:');
    const store = new SQLiteStore({ db, tableName: 'my_sessions', pruneInterval: 0 });
    const id = freshId();
    await store.write(id, sampleRecord());
    await store.close();
    assert.equal(db.open, true);
    assert.equal(db.prepare('SELECT count(*) FROM my_sessions').pluck().get(), 1);
    await assert.rejects(store.read(id), StoreClosedError);
    db.close();
  });

  it('keeps NULL user_id for a record without a user, and patch sets and clears it', async () => {
    const db = new Database(':memory:');
    const store = new SQLiteStore({ db, pruneInterval: 0 });
    const id = freshId();
    const owner = () =>
      db.prepare<[string], { user_id: string | null }>('SELECT user_id FROM sessions WHERE id = ?').get(id);
    await store.write(id, sampleRecord());
    assert.deepEqual(owner(), { user_id: null });
    await store.patch(id, { set: {}, unset: [], ...soon(), user: 'ada' });
    assert.deepEqual(owner(), { user_id: 'ada' });
    await store.patch(id, { set: {}, unset: [], ...soon(), user: null });
    assert.deepEqual(owner(), { user_id: null });
    await store.close();
    db.close();
  });

  it('prune deletes expired rows; removeByUser deletes expired ones too but counts only live ones', async () => {
    const db = new Database(':memory:');
    const store = new SQLiteStore({ db, pruneInterval: 0 });
    const rows = () => db.prepare('SELECT count(*) FROM sessions').pluck().get();
    await store.write(freshId(), sampleRecord({ expires: Date.now() - 1 }));
    await store.write(freshId(), sampleRecord());
    assert.equal(store.prune(), 1);
    assert.equal(rows(), 1);
    await store.write(freshId(), sampleRecord({ user: 'u' }));
    await store.write(freshId(), sampleRecord({ user: 'u', expires: Date.now() - 1 }));
    assert.equal(await store.removeByUser('u'), 1);
    assert.equal(rows(), 1);
    await store.close();
    db.close();
  });

  it('reports a driver failure as a StoreError naming the store and operation, not the ID', async () => {
    const db = new Database(':memory:');
    const store = new SQLiteStore({ db, pruneInterval: 0 });
    db.close();
    const id = freshId('secret-id');
    const calls: Array<[string, () => Promise<unknown>]> = [
      ['read', () => store.read(id)],
      ['write', () => store.write(id, sampleRecord({}, { secret: 'hunter2' }))],
      ['patch', () => store.patch(id, { set: { secret: 'hunter2' }, unset: [], ...soon() })],
      ['count', () => store.count()],
    ];
    for (const [operation, call] of calls) {
      await assert.rejects(call(), (err: unknown) => {
        assert.ok(err instanceof StoreError);
        assert.equal(err.store, 'sqlite');
        assert.equal(err.operation, operation);
        assert.doesNotMatch(err.message, /secret|hunter2/);
        assert.ok(err.cause);
        return true;
      });
    }
  });

  it('creates the folders of its file when they are missing', async () => {
    const path = join(dir, 'no-such-folder', 'nested', 'x.db');
    const store = new SQLiteStore({ path });
    await store.write(freshId(), sampleRecord());
    await store.close();
    assert.ok(existsSync(path));
  });

  it('reports a file it cannot open as a StoreError at construction', () => {
    const file = join(dir, 'a-file');
    writeFileSync(file, '');
    assert.throws(() => new SQLiteStore({ path: join(file, 'x.db') }), {
      name: 'StoreError',
      operation: 'connect',
    });
  });

  const badOptions: Array<[label: string, options: unknown, named: string]> = [
    ['no options', undefined, 'options'],
    ['neither path nor db', {}, 'db'],
    ['both path and db', { path: ':memory:', db: new Database(':memory:') }, 'db'],
    ['an empty path', { path: '' }, 'path'],
    ['a db without prepare()', { db: {} }, 'db'],
    ['a tableName with a quote', { path: ':memory:', tableName: 'x"; DROP TABLE y; --' }, 'tableName'],
    ['a tableName with a dot', { path: ':memory:', tableName: 'main.sessions' }, 'tableName'],
    ['a tableName of 49 characters', { path: ':memory:', tableName: 'x'.repeat(49) }, 'tableName'],
    ['a negative pruneInterval', { path: ':memory:', pruneInterval: -1 }, 'pruneInterval'],
  ];
  for (const [label, options, named] of badOptions) {
    it(`rejects ${label} with a TypeError naming ${named}`, () => {
      assert.throws(() => new SQLiteStore(options as SQLiteStoreOptions), {
        name: 'TypeError',
        message: new RegExp(`^SQLiteStore: .*\\b${named}\\b`),
      });
    });
  }
});

describe('SQLiteStore with an expiry stored as text (issue 11)', () => {
  it('reads it as damaged (never eternal), serves and revives nothing, and prune deletes it', async () => {
    const db = new Database(':memory:');
    const store = new SQLiteStore({ db, tableName: 'damaged_expiry', pruneInterval: 0 });
    const id = freshId('text-expiry');
    await store.write(id, sampleRecord({ user: 'damaged' }));
    // SQLite keeps non-numeric text in an INTEGER column, and compares any text as greater than any
    // number: before, this row was live forever and no prune could delete it.
    db.prepare('UPDATE damaged_expiry SET expires = ? WHERE id = ?').run('someday', id);
    // The middleware answers a SessionRecordError with a fresh session and removes the row.
    await assert.rejects(store.read(id), { code: 'ERR_SESSION_RECORD', field: 'expires' });
    assert.deepEqual(await store.listByUser('damaged'), []);
    assert.equal(await store.count(), 0);
    assert.equal(
      await store.refresh(id, Date.now() + 60_000, Date.now()),
      false,
      'a refresh cannot revive it',
    );
    assert.equal(store.prune(), 1);
    assert.equal((db.prepare('SELECT count(*) AS n FROM damaged_expiry').get() as { n: number }).n, 0);
    await store.close();
    db.close();
  });
});
