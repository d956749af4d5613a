import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { StoreClosedError, StoreError } from 'coatcheck';
import { freshId, type RecordDamage, sampleRecord, testStore } from 'coatcheck/testing';
import mysqlCallback from 'mysql2';
import mysql from 'mysql2/promise';
import { checkMissingForwards } from '../../../test/helpers/forwards.js';
import { SERVICES, serviceSkipReason } from '../../../test/helpers/services.js';
import { MySQLStore, type MySQLStoreOptions } from '../src/index.js';

const uri = 'mysql://root@127.0.0.1:3306/test';
const skip = await serviceSkipReason(SERVICES.mysql);
const suffix = randomBytes(4).toString('hex');
const tableName = `sessions_test_${suffix}`;

async function dropTables(...tables: string[]): Promise<void> {
  const connection = await mysql.createConnection(uri);
  for (const table of tables)
    await connection.query(`DROP TABLE IF EXISTS \`${table}\`, \`${table}_forwards\``);
  await connection.end();
}

/**
 * SQL that damages one row, by kind. MariaDB checks JSON columns with json_valid() and the times
 * are BIGINT NOT NULL, so text that is not JSON and unreadable times cannot be stored.
 */
const DAMAGE: Partial<Record<RecordDamage, string>> = {
  'data-null': `UPDATE \`${tableName}\` SET data = 'null' WHERE id = ?`,
  'cookie-string': `UPDATE \`${tableName}\` SET data = JSON_SET(data, '$.cookie', 'sid=abc') WHERE id = ?`,
  'cookie-expires': `UPDATE \`${tableName}\` SET data = JSON_SET(data, '$.cookie.expires', 'not a date') WHERE id = ?`,
};

testStore({
  name: 'MySQLStore',
  skip,
  create: () => new MySQLStore({ url: uri, tableName }),
  damage: async (_store, id, kind) => {
    const sql = DAMAGE[kind];
    if (sql === undefined) return false;
    const connection = await mysql.createConnection(uri);
    try {
      const [result] = await connection.execute<mysql.ResultSetHeader>(sql, [id]);
      return result.affectedRows === 1;
    } finally {
      await connection.end();
    }
  },
  close: async (store) => {
    await store.close();
    await dropTables(tableName);
  },
  requires: 'all',
});

describe('MySQLStore', { skip }, () => {
  it('under createTable: false without the forwards table, warns once with its DDL and works without forwards', async () => {
    const name = `noforwards_${suffix}`;
    await pool.query(
      `CREATE TABLE \`${name}\` (id VARBINARY(512) NOT NULL PRIMARY KEY, data JSON NOT NULL, ` +
        'expires BIGINT NOT NULL, created BIGINT NOT NULL, touched BIGINT NOT NULL, user_id VARBINARY(512))',
    );
    try {
      await checkMissingForwards(
        name,
        () => new MySQLStore({ pool, tableName: name, createTable: false, pruneInterval: 0 }),
        (ddl) => pool.query(ddl),
      );
    } finally {
      await dropTables(name);
    }
  });

  let pool: mysql.Pool;
  let store: MySQLStore;
  const table = `sessions_unit_${suffix}`;
  const soon = () => ({ expires: Date.now() + 60_000, touched: Date.now() });

  before(() => {
    pool = mysql.createPool({ uri, connectionLimit: 3 });
    store = new MySQLStore({ pool, tableName: table });
  });
  after(async () => {
    await store.close();
    await pool.end();
    await dropTables(table, `${table}_cb`);
  });

  it('creates its table with byte-exact IDs, JSON data, BIGINT times and indexes', async () => {
    await store.count();
    const [columns] = await pool.query<mysql.RowDataPacket[]>(
      'SELECT column_name AS c, data_type AS t FROM information_schema.columns ' +
        'WHERE table_schema = DATABASE() AND table_name = ?',
      [table],
    );
    const types = Object.fromEntries(columns.map((row) => [row.c, row.t]));
    assert.equal(types.id, 'varbinary');
    assert.equal(types.user_id, 'varbinary');
    assert.match(types.data, /^(json|longtext)$/, 'MariaDB stores JSON as checked LONGTEXT');
    for (const time of ['expires', 'created', 'touched']) assert.equal(types[time], 'bigint');
    const [indexes] = await pool.query<mysql.RowDataPacket[]>(`SHOW INDEX FROM \`${table}\``);
    assert.deepEqual([...new Set(indexes.map((row) => `${row.Key_name}:${row.Column_name}`))].sort(), [
      'PRIMARY:id',
      'expires_idx:expires',
      'user_idx:user_id',
    ]);
  });

  it('tells IDs apart by case and trailing spaces, which collations would fold', async () => {
    const id = freshId('Case');
    const lookalikes = [id.toLowerCase(), `${id} `, id.toUpperCase()];
    await store.write(id, sampleRecord({}, { which: 'original' }));
    for (const other of lookalikes) assert.equal(await store.read(other), undefined, JSON.stringify(other));
    await store.write(`${id} `, sampleRecord({}, { which: 'padded' }));
    assert.equal((await store.read(id))?.data.which, 'original');
    assert.equal((await store.read(`${id} `))?.data.which, 'padded');
  });

  it('patches keys that JSON paths would misread as plain keys', async () => {
    const awkward = [
      'a.b',
      '$set',
      "'; DROP TABLE x; --",
      '"quoted"',
      '',
      'back\\slash',
      'a[0]',
      '*',
      'ünï 会话 😀',
    ];
    const id = freshId();
    await store.write(id, sampleRecord({}, Object.fromEntries(awkward.map((key) => [key, 'old']))));
    const [kept, dropped] = [awkward.slice(0, 5), awkward.slice(5)];
    const set = Object.fromEntries(kept.map((key) => [key, { now: key, nested: { list: [1, null, 'x'] } }]));
    assert.equal(await store.patch(id, { set, unset: dropped, ...soon() }), true);
    const data = (await store.read(id))?.data ?? {};
    assert.deepEqual(Object.keys(data).sort(), ['cookie', ...kept].sort());
    for (const key of kept) assert.deepEqual(data[key], set[key]);
  });

  it('patches every kind of JSON value into place', async () => {
    const values: Record<string, unknown> = {
      nothing: null,
      text: 'quote " backslash \\ newline \n ✓ 😀',
      float: 0.1 + 0.2,
      big: 2 ** 52,
      no: false,
      list: [1, [2, [3]], { deep: null }],
      empty: {},
    };
    const id = freshId();
    await store.write(id, sampleRecord());
    await store.patch(id, { set: values, unset: [], ...soon() });
    const data = (await store.read(id))?.data ?? {};
    for (const [key, value] of Object.entries(values)) assert.deepEqual(data[key], value, key);
  });

  it('drops a key patched to undefined and never writes __proto__', async () => {
    const id = freshId();
    await store.write(id, sampleRecord({}, { gone: 1 }));
    const set = JSON.parse('{"__proto__": {"polluted": true}, "ok": 1}');
    set.gone = undefined;
    await store.patch(id, { set, unset: [], ...soon() });
    const data = (await store.read(id))?.data ?? {};
    assert.equal(data.ok, 1);
    assert.equal(Object.hasOwn(data, 'gone'), false);
    assert.equal(Object.hasOwn(data, '__proto__'), false);
  });

  it('keeps NULL user_id for a record without a user, and patch sets and clears it', async () => {
    const id = freshId();
    await store.write(id, sampleRecord());
    const owner = async () => {
      const [rows] = await pool.execute<mysql.RowDataPacket[]>(
        `SELECT CAST(user_id AS CHAR) AS u FROM \`${table}\` WHERE id = ?`,
        [id],
      );
      return rows[0]?.u;
    };
    assert.equal(await owner(), null);
    await store.patch(id, { set: {}, unset: [], ...soon(), user: 'ada' });
    assert.equal(await owner(), 'ada');
    await store.patch(id, { set: {}, unset: [], ...soon(), user: null });
    assert.equal(await owner(), null);
  });

  it('refresh reports a match even when nothing changes', async () => {
    const id = freshId();
    const record = sampleRecord();
    await store.write(id, record);
    assert.equal(await store.refresh(id, record.expires, record.touched), true);
  });

  it('prune deletes expired rows and keeps live ones', async () => {
    const [expired, live] = [freshId(), freshId()];
    await store.write(expired, sampleRecord({ expires: Date.now() - 1 }));
    await store.write(live, sampleRecord());
    assert.ok((await store.prune()) >= 1);
    const [rows] = await pool.execute<mysql.RowDataPacket[]>(
      `SELECT CAST(id AS CHAR) AS id FROM \`${table}\` WHERE id IN (?, ?)`,
      [expired, live],
    );
    assert.deepEqual(
      rows.map((row) => row.id),
      [live],
    );
  });

  it('takes a callback-API pool too, and leaves given pools open', async () => {
    const callbackPool = mysqlCallback.createPool({ uri, connectionLimit: 1 });
    const other = new MySQLStore({ pool: callbackPool, tableName: `${table}_cb`, pruneInterval: 0 });
    const id = freshId();
    await other.write(id, sampleRecord({}, { via: 'callback pool' }));
    assert.equal((await other.read(id))?.data.via, 'callback pool');
    await other.close();
    await callbackPool.promise().query('SELECT 1');
    await new Promise((resolve) => callbackPool.end(resolve));
  });

  it('ends a pool it opened itself, then refuses work', async () => {
    const own = new MySQLStore({ url: uri, tableName: table, pruneInterval: 0 });
    await own.count();
    await own.close();
    await assert.rejects(own.read(freshId()), StoreClosedError);
    assert.equal(await store.count(), await store.count(), 'the shared pool is untouched');
  });

  it('reports a driver failure as a StoreError naming the store and operation, not the ID or data', async () => {
    const missing = new MySQLStore({
      pool,
      tableName: `missing_${suffix}`,
      createTable: false,
      pruneInterval: 0,
    });
    const id = freshId('secret-id');
    const calls: Array<[string, () => Promise<unknown>]> = [
      ['read', () => missing.read(id)],
      ['write', () => missing.write(id, sampleRecord({}, { secret: 'hunter2' }))],
      ['patch', () => missing.patch(id, { set: { secret: 'hunter2' }, unset: [], ...soon() })],
      ['listByUser', () => missing.listByUser('someone')],
    ];
    for (const [operation, call] of calls) {
      const err = await call().then(
        () => assert.fail(`${operation} should fail`),
        (e: unknown) => e,
      );
      assert.ok(err instanceof StoreError);
      assert.equal(err.store, 'mysql');
      assert.equal(err.operation, operation);
      assert.doesNotMatch(err.message, /secret|hunter2/);
      assert.ok(err.cause, 'the driver error is kept as cause');
    }
    await missing.close();
  });

  const badOptions: Array<[label: string, options: unknown, named: string]> = [
    ['no options', undefined, 'options'],
    ['neither pool nor url', {}, 'url'],
    ['both pool and url', { pool: { execute() {} }, url: uri }, 'url'],
    ['both url and its old name uri', { url: uri, uri }, 'url'],
    ['a pool without execute()', { pool: { query() {} } }, 'pool'],
    ['an empty url', { url: '' }, 'url'],
    ['a tableName with a backtick', { url: uri, tableName: 'x`; DROP TABLE y; --' }, 'tableName'],
    ['a tableName with a dot', { url: uri, tableName: 'a.b' }, 'tableName'],
    ['a tableName of 49 characters', { url: uri, tableName: 'x'.repeat(49) }, 'tableName'],
    ['a schemaName with a space', { url: uri, schemaName: 'my db' }, 'schemaName'],
    ['a non-boolean createTable', { url: uri, createTable: 1 }, 'createTable'],
    ['an infinite pruneInterval', { url: uri, pruneInterval: Number.POSITIVE_INFINITY }, 'pruneInterval'],
  ];
  for (const [label, options, named] of badOptions) {
    it(`rejects ${label} with a TypeError naming ${named}`, () => {
      assert.throws(() => new MySQLStore(options as MySQLStoreOptions), {
        name: 'TypeError',
        message: new RegExp(`^MySQLStore: .*\\b${named}\\b`),
      });
    });
  }
});
