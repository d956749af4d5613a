import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { StoreClosedError, StoreError } from 'coatcheck';
import { freshId, type RecordDamage, sampleRecord, testStore } from 'coatcheck/testing';
import pg from 'pg';
import { checkMissingForwards } from '../../../test/helpers/forwards.js';
import { SERVICES, serviceSkipReason } from '../../../test/helpers/services.js';
import { PostgresStore, type PostgresStoreOptions } from '../src/index.js';

const connectionString = 'postgres://postgres@127.0.0.1:5432/test';
const skip = await serviceSkipReason(SERVICES.postgres);
const suffix = randomBytes(4).toString('hex');
const tableName = `sessions_test_${suffix}`;

/** SQL that damages one row, by kind; a jsonb column holds no text that is not JSON, a bigint no text. */
const DAMAGE: Partial<Record<RecordDamage, string>> = {
  'data-null': `UPDATE "${tableName}" SET data = 'null'::jsonb WHERE id = $1`,
  'cookie-string': `UPDATE "${tableName}" SET data = jsonb_set(data, '{cookie}', '"sid=abc"') WHERE id = $1`,
  'cookie-expires': `UPDATE "${tableName}" SET data = jsonb_set(data, '{cookie,expires}', '"not a date"') WHERE id = $1`,
};

testStore({
  name: 'PostgresStore',
  skip,
  create: () => new PostgresStore({ url: connectionString, tableName }),
  damage: async (_store, id, kind) => {
    const sql = DAMAGE[kind];
    if (sql === undefined) return false;
    const client = new pg.Client({ connectionString });
    await client.connect();
    try {
      return (await client.query(sql, [id])).rowCount === 1;
    } finally {
      await client.end();
    }
  },
  close: async (store) => {
    await store.close();
    const pool = new pg.Pool({ connectionString });
    await pool.query(`DROP TABLE IF EXISTS "${tableName}", "${tableName}_forwards"`);
    await pool.end();
  },
  requires: 'all',
});

describe('PostgresStore', { skip }, () => {
  it('under createTable: false without the forwards table, warns once with its DDL and works without forwards', async () => {
    const name = `noforwards_${suffix}`;
    await pool.query(
      `CREATE TABLE "${name}" (id text COLLATE "C" PRIMARY KEY, data jsonb NOT NULL, expires bigint NOT NULL, ` +
        'created bigint NOT NULL, touched bigint NOT NULL, user_id text COLLATE "C")',
    );
    try {
      await checkMissingForwards(
        name,
        () => new PostgresStore({ pool, tableName: name, createTable: false, pruneInterval: 0 }),
        (ddl) => pool.query(ddl),
      );
    } finally {
      await pool.query(`DROP TABLE IF EXISTS "${name}", "${name}_forwards"`);
    }
  });

  let pool: pg.Pool;
  let store: PostgresStore;
  const table = `sessions_unit_${suffix}`;
  const schema = `coatcheck_test_${suffix}`;

  before(async () => {
    pool = new pg.Pool({ connectionString, max: 3 });
    store = new PostgresStore({ pool, tableName: table });
  });
  after(async () => {
    await store.close();
    await pool.query(
      `DROP TABLE IF EXISTS "${table}", "${table}_forwards"; DROP SCHEMA IF EXISTS "${schema}" CASCADE`,
    );
    await pool.end();
  });

  it('creates its table with bigint times, jsonb data and indexes on expires and user_id', async () => {
    await store.count();
    const { rows: columns } = await pool.query(
      'SELECT column_name, data_type FROM information_schema.columns WHERE table_name = $1 ORDER BY column_name',
      [table],
    );
    assert.deepEqual(Object.fromEntries(columns.map((c) => [c.column_name, c.data_type])), {
      created: 'bigint',
      data: 'jsonb',
      expires: 'bigint',
      id: 'text',
      touched: 'bigint',
      user_id: 'text',
    });
    const { rows: indexes } = await pool.query('SELECT indexdef FROM pg_indexes WHERE tablename = $1', [
      table,
    ]);
    const definitions = indexes.map((i) => i.indexdef as string).join('\n');
    assert.match(definitions, /\(expires\)/);
    assert.match(definitions, /\(user_id\) WHERE \(user_id IS NOT NULL\)/);
  });

  it('keeps a record without a user as NULL user_id, and patch sets and clears it in place', async () => {
    const id = freshId();
    await store.write(id, sampleRecord());
    const userOf = async () =>
      (await pool.query(`SELECT user_id FROM "${table}" WHERE id = $1`, [id])).rows[0];
    assert.deepEqual(await userOf(), { user_id: null });
    const now = Date.now();
    await store.patch(id, { set: {}, unset: [], expires: now + 1000, touched: now, user: 'ada' });
    assert.deepEqual(await userOf(), { user_id: 'ada' });
    await store.patch(id, { set: {}, unset: [], expires: now + 1000, touched: now, user: null });
    assert.deepEqual(await userOf(), { user_id: null });
  });

  it('patches keys that look like paths, operators or SQL as plain keys', async () => {
    const keys = [
      'a.b',
      '$set',
      "'; DROP TABLE x; --",
      '"quoted"',
      '',
      'back\\slash',
      '{a,b}',
      'ünï 会话 😀',
    ];
    const id = freshId();
    await store.write(id, sampleRecord({}, Object.fromEntries(keys.map((k) => [k, 'old']))));
    const now = Date.now();
    const set = Object.fromEntries(keys.slice(0, 4).map((k) => [k, { now: k }]));
    assert.equal(
      await store.patch(id, { set, unset: keys.slice(4), expires: now + 1000, touched: now }),
      true,
    );
    const data = (await store.read(id))?.data;
    assert.deepEqual(Object.keys(data ?? {}).sort(), ['cookie', ...keys.slice(0, 4)].sort());
    for (const key of keys.slice(0, 4)) assert.deepEqual(data?.[key], { now: key });
  });

  it('never writes a __proto__ key through patch, as applyPatch does', async () => {
    const id = freshId();
    await store.write(id, sampleRecord());
    const now = Date.now();
    const set = JSON.parse('{"__proto__": {"polluted": true}, "ok": 1}');
    await store.patch(id, { set, unset: [], expires: now + 1000, touched: now });
    const data = (await store.read(id))?.data;
    assert.equal(data?.ok, 1);
    assert.equal(Object.hasOwn(data ?? {}, '__proto__'), false);
  });

  it('prune deletes expired rows and keeps live ones', async () => {
    const [expired, live] = [freshId(), freshId()];
    await store.write(expired, sampleRecord({ expires: Date.now() - 1 }));
    await store.write(live, sampleRecord());
    assert.ok((await store.prune()) >= 1);
    const { rows } = await pool.query(`SELECT id FROM "${table}" WHERE id = ANY($1)`, [[expired, live]]);
    assert.deepEqual(
      rows.map((r) => r.id),
      [live],
    );
  });

  it('removeByUser counts live sessions only, and deletes the expired ones too', async () => {
    const user = freshId('user');
    await store.write(freshId(), sampleRecord({ user }));
    await store.write(freshId(), sampleRecord({ user, expires: Date.now() - 1 }));
    assert.equal(await store.removeByUser(user), 1);
    const { rows } = await pool.query(`SELECT count(*)::int AS n FROM "${table}" WHERE user_id = $1`, [user]);
    assert.equal(rows[0].n, 0);
  });

  it('works in a named schema, and two stores on different tables share one pool', async () => {
    await pool.query(`CREATE SCHEMA "${schema}"`);
    const other = new PostgresStore({ pool, schemaName: schema, tableName: table, pruneInterval: 0 });
    const id = freshId();
    await other.write(id, sampleRecord({}, { where: 'schema' }));
    await store.write(id, sampleRecord({}, { where: 'public' }));
    assert.equal((await other.read(id))?.data.where, 'schema');
    assert.equal((await store.read(id))?.data.where, 'public');
    const { rows } = await pool.query(`SELECT count(*)::int AS n FROM "${schema}"."${table}"`);
    assert.equal(rows[0].n, 1);
    await other.close();
  });

  it('leaves a pool it was given open, and ends one it opened', async () => {
    const given = new PostgresStore({ pool, tableName: table, pruneInterval: 0 });
    await given.count();
    await given.close();
    assert.equal((await pool.query('SELECT 1 AS one')).rows[0].one, 1);
    const own = new PostgresStore({ url: connectionString, tableName: table, pruneInterval: 0 });
    await own.count();
    await own.close();
    await assert.rejects(own.read(freshId()), StoreClosedError);
  });

  it('reports a driver failure as a StoreError naming the store and operation, not the ID', async () => {
    const missing = new PostgresStore({
      pool,
      tableName: `missing_${suffix}`,
      createTable: false,
      pruneInterval: 0,
    });
    const id = freshId('secret-id');
    for (const [operation, call] of [
      ['read', () => missing.read(id)],
      ['write', () => missing.write(id, sampleRecord({}, { secret: 'hunter2' }))],
      ['patch', () => missing.patch(id, { set: { secret: 'hunter2' }, unset: [], expires: 1, touched: 1 })],
      ['removeByUser', () => missing.removeByUser('someone')],
    ] as const) {
      const err = await (call as () => Promise<unknown>)().then(
        () => assert.fail(`${operation} should fail`),
        (e: unknown) => e,
      );
      assert.ok(err instanceof StoreError);
      assert.equal(err.store, 'postgres');
      assert.equal(err.operation, operation);
      assert.doesNotMatch(err.message, /secret|hunter2/);
      assert.ok(err.cause, 'the driver error is kept as cause');
    }
    await missing.close();
  });

  it('reports a failed background prune to its error listeners, and survives one without listeners', async () => {
    const options = { pool, tableName: `missing_${suffix}`, createTable: false, pruneInterval: 20 };
    // The prune timer is unref'd: something else has to keep the test process alive meanwhile.
    const keepAlive = setInterval(() => {}, 1000);
    const heard = new PostgresStore(options);
    const [err] = (await once(heard, 'error')) as [StoreError];
    assert.equal(err.store, 'postgres');
    const unheard = new PostgresStore(options);
    await sleep(60);
    await Promise.all([heard.close(), unheard.close()]);
    clearInterval(keepAlive);
  });

  const badOptions: Array<[label: string, options: unknown, named: string]> = [
    ['no options', undefined, 'options'],
    ['neither pool nor url', {}, 'url'],
    ['both pool and url', { pool: { query() {} }, url: connectionString }, 'url'],
    ['both url and its old name connectionString', { url: connectionString, connectionString }, 'url'],
    ['a pool without query()', { pool: {} }, 'pool'],
    ['an empty url', { url: '' }, 'url'],
    ['a tableName with a quote', { url: connectionString, tableName: 'x"; DROP TABLE y; --' }, 'tableName'],
    ['a tableName with a dot', { url: connectionString, tableName: 'a.b' }, 'tableName'],
    ['a tableName starting with a digit', { url: connectionString, tableName: '1sessions' }, 'tableName'],
    ['a tableName of 49 characters', { url: connectionString, tableName: 'x'.repeat(49) }, 'tableName'],
    ['an empty schemaName', { url: connectionString, schemaName: '' }, 'schemaName'],
    ['a schemaName with a space', { url: connectionString, schemaName: 'my schema' }, 'schemaName'],
    ['a non-boolean createTable', { url: connectionString, createTable: 'no' }, 'createTable'],
    ['a negative pruneInterval', { url: connectionString, pruneInterval: -1 }, 'pruneInterval'],
  ];
  for (const [label, options, named] of badOptions) {
    it(`rejects ${label} with a TypeError naming ${named}`, () => {
      assert.throws(() => new PostgresStore(options as PostgresStoreOptions), {
        name: 'TypeError',
        message: new RegExp(`^PostgresStore: .*\\b${named}\\b`),
      });
    });
  }
});
