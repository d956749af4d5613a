import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { StoreError } from 'coatcheck';
import { freshId, type RecordDamage, sampleRecord, testStore } from 'coatcheck/testing';
import { type CommandStartedEvent, MongoClient } from 'mongodb';
import { patchFilter, patchUpdate, readFilter, toDocument } from '../src/documents.js';
import { fromUrl, MongoDBStore } from '../src/index.js';
import { MONGODB_URI, skipWithoutServer, uniqueCollection } from './helpers.js';

const conformanceCollection = uniqueCollection('conformance');

testStore({
  name: 'MongoDBStore (uri)',
  skip: skipWithoutServer,
  requires: 'all',
  create: () => new MongoDBStore({ uri: MONGODB_URI, collection: conformanceCollection }),
  // Straight through the driver's collection, as a hand edit in the shell would write it.
  damage: async (store, id, kind) => {
    const updates: Record<RecordDamage, Record<string, unknown>> = {
      'data-null': { $set: { data: null } },
      'data-not-json': { $set: { 'data.user': '{"name": "Ada"' } },
      'cookie-string': { $set: { 'data.cookie': '"sid=abc"' } },
      'cookie-expires': { $set: { 'data.cookie': '{"originalMaxAge": 3600000, "expires": "not a date"}' } },
      expires: { $set: { expires: 'tomorrow' } },
      created: { $unset: { created: '' } },
    };
    const result = await store.collection.updateOne({ _id: id }, updates[kind] as never);
    return result.modifiedCount === 1;
  },
  close: async (store) => {
    await store.collection.drop().catch(() => undefined);
    await store.forwards.drop().catch(() => undefined);
    await store.close();
  },
});

describe('MongoDBStore on a real server', { skip: skipWithoutServer }, () => {
  let client: MongoClient;
  const sent: CommandStartedEvent[] = [];
  const collection = uniqueCollection('store');
  let store: MongoDBStore;

  before(async () => {
    client = new MongoClient(MONGODB_URI, { monitorCommands: true });
    client.on('commandStarted', (event) => sent.push(event));
    await client.connect();
    store = new MongoDBStore({ client, collection });
  });
  after(async () => {
    await store.collection.drop().catch(() => undefined);
    await store.forwards.drop().catch(() => undefined);
    await store.close();
    await client.close();
  });

  it('sends the filters and updates the pure builders make', async () => {
    const id = freshId();
    const record = sampleRecord({ user: 'u' }, { a: 1 });
    await store.write(id, record);
    const patch = {
      set: { 'a.b': 2, $set: 3 },
      unset: ['a'],
      expires: Date.now() + 60_000,
      touched: Date.now(),
    };
    sent.length = 0;
    assert.equal(await store.patch(id, patch), true);
    const update = sent.find((event) => event.commandName === 'update');
    assert.ok(update, 'an update command was sent');
    const [statement] = update.command.updates as Array<{ q: Record<string, unknown>; u: unknown }>;
    assert.deepEqual(statement?.u, patchUpdate(patch));
    // FerretDB: by `_id` alone, the expiry checked by a lookup before (see MongoDBStore.read).
    const filter = store.serialUpdates ? { _id: id } : patchFilter(id, 0);
    assert.deepEqual(Object.keys(statement?.q ?? {}), Object.keys(filter));
    assert.equal(statement?.q._id, id);
    sent.length = 0;
    await store.read(id);
    const find = sent.find((event) => event.commandName === 'find');
    assert.deepEqual(
      find?.command.filter,
      { _id: id },
      'a lookup by _id alone (FerretDB scans for any other)',
    );
    const stored = await store.collection.findOne({ _id: id });
    assert.deepEqual(Object.keys(stored?.data ?? {}).sort(), ['%24set', 'a%2Eb', 'cookie']);
    assert.deepEqual((await store.read(id))?.data, { cookie: record.data.cookie, 'a.b': 2, $set: 3 });
    assert.deepEqual(Object.keys(readFilter(id, 0)), ['_id', 'expires']);
    assert.deepEqual(
      stored,
      toDocument(id, {
        ...record,
        data: { cookie: record.data.cookie, 'a.b': 2, $set: 3 },
        expires: patch.expires,
        touched: patch.touched,
      }),
    );
  });

  it('creates the TTL index on expires and the user index, or plain ones where TTL is not implemented', async () => {
    // How this server answers the TTL index on its own, without the store: MongoDB creates it;
    // FerretDB v1 answers NotImplemented (code 238) and creates nothing.
    const probe = client.db().collection(uniqueCollection('ttl_probe'));
    const answer = await probe
      .createIndex({ expires: 1 }, { expireAfterSeconds: 0 })
      .then(() => 'created' as const)
      .catch((err: { code?: number; codeName?: string; message?: string }) => err);
    await probe.drop().catch(() => undefined);
    if (answer !== 'created') {
      assert.equal(answer.code, 238);
      assert.equal(answer.codeName, 'NotImplemented');
      assert.match(answer.message ?? '', /expireAfterSeconds.*not implemented/);
    }

    const fresh = new MongoDBStore({ client, collection: uniqueCollection('indexes') });
    assert.equal(fresh.serverExpires, undefined, 'unknown before the first operation');
    await fresh.read(freshId());
    const indexes = await fresh.collection.listIndexes().toArray();
    await fresh.collection.drop();
    await fresh.forwards.drop().catch(() => undefined);
    const expires = indexes.find((index) => index.name === 'expires_1');
    const users = indexes.find((index) => index.name === 'user_1_expires_1');
    assert.deepEqual(expires?.key, { expires: 1 });
    assert.deepEqual(users?.key, { user: 1, expires: 1 });
    assert.equal(fresh.serverExpires, answer === 'created');
    assert.equal(expires?.expireAfterSeconds, answer === 'created' ? 0 : undefined);
  });

  it('runs the updates of one session one after another on FerretDB, whose updates are not atomic', async () => {
    const info = await client.db().admin().command({ buildInfo: 1 });
    assert.equal(store.serialUpdates, typeof info.ferretdbVersion === 'string');
  });

  it('prune deletes the expired sessions and no live one', async () => {
    const now = Date.now();
    const live = freshId();
    const expired = [freshId(), freshId()];
    await store.write(live, sampleRecord({ expires: now + 60_000 }));
    for (const id of expired) await store.write(id, sampleRecord({ expires: now - 1 }));
    assert.equal(await store.prune(), 2);
    assert.equal(await store.collection.countDocuments({ _id: { $in: expired } }), 0);
    assert.ok(await store.read(live));
  });

  it('prunes by itself every pruneInterval, and stops when closed', async () => {
    const pruning = new MongoDBStore({ client, collection, pruneInterval: 50 });
    try {
      const id = freshId();
      await pruning.write(id, sampleRecord({ expires: Date.now() - 1 }));
      const deadline = Date.now() + 10_000;
      while ((await store.collection.countDocuments({ _id: id })) > 0) {
        assert.ok(Date.now() < deadline, 'the expired session was never pruned');
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    } finally {
      await pruning.close();
    }
    const id = freshId();
    await store.write(id, sampleRecord({ expires: Date.now() - 1 }));
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.equal(await store.collection.countDocuments({ _id: id }), 1, 'a closed store prunes nothing');
  });

  it('keeps users of connect-mongodb-session logged in: reads, refreshes and patches its documents', async () => {
    const { default: expressSession } = await import('express-session');
    const { default: connectMongoDBSession } = await import('connect-mongodb-session');
    const LegacyStore = connectMongoDBSession(expressSession);
    const legacyCollection = uniqueCollection('legacy');
    const legacy = new LegacyStore({ uri: MONGODB_URI, collection: legacyCollection });
    // Without a listener, connect-mongodb-session throws its index error where nothing can catch
    // it; on FerretDB v1, which refuses the TTL index, that is every start.
    legacy.on('error', () => {});
    const id = freshId();
    const expires = new Date(Date.now() + 3_600_000);
    await new Promise<void>((resolve, reject) =>
      legacy.set(
        id,
        { cookie: { originalMaxAge: 3_600_000, expires, httpOnly: true, path: '/' }, views: 2 } as never,
        (err?: unknown) => (err ? reject(err) : resolve()),
      ),
    );
    await legacy.client.close();
    const migrated = new MongoDBStore({ client, collection: legacyCollection });
    try {
      const record = await migrated.read(id);
      assert.equal(record?.data.views, 2);
      assert.equal(record?.expires, expires.getTime());
      assert.equal(record?.data.cookie?.expires, expires.toISOString());
      assert.equal(await migrated.refresh(id, expires.getTime() + 1000, Date.now()), true);
      assert.equal(
        await migrated.patch(id, {
          set: { cart: ['x'] },
          unset: [],
          expires: expires.getTime(),
          touched: Date.now(),
        }),
        true,
      );
      const after = await migrated.read(id);
      assert.deepEqual(after?.data, { ...record?.data, cart: ['x'] });
      assert.equal(
        (await migrated.collection.findOne({ _id: id }))?.session,
        undefined,
        'rewritten in this layout',
      );
    } finally {
      await migrated.collection.drop().catch(() => undefined);
      await migrated.forwards.drop().catch(() => undefined);
      await migrated.close();
    }
  });

  it('never closes a client it was given', async () => {
    const own = new MongoDBStore({ client, collection });
    await own.close();
    await client.db().command({ ping: 1 });
  });
});

describe('MongoDBStore without a server', () => {
  it('fails with a StoreError naming the store and operation, without the session ID', async () => {
    const id = freshId('secret-session-id');
    // The first contact (buildInfo, then the indexes unless turned off) is what fails: 'connect'.
    for (const [createIndexes, operation] of [
      [true, 'connect'],
      [false, 'connect'],
    ] as const) {
      const store = new MongoDBStore({
        uri: 'mongodb://127.0.0.1:1/coatcheck',
        clientOptions: { serverSelectionTimeoutMS: 100 },
        createIndexes,
      });
      const err = await store.read(id).catch((e: unknown) => e);
      assert.ok(err instanceof StoreError);
      assert.equal(err.store, 'mongodb');
      assert.equal(err.operation, operation);
      assert.equal(err.code, 'ERR_STORE');
      assert.doesNotMatch(`${err.message} ${String(err.cause)}`, /secret-session-id/);
      await store.close();
    }
  });

  it('refuses work after close()', async () => {
    const store = new MongoDBStore({ uri: 'mongodb://127.0.0.1:1/coatcheck' });
    await store.close();
    await assert.rejects(store.read(freshId()), {
      code: 'ERR_STORE_CLOSED',
      store: 'mongodb',
      operation: 'read',
    });
  });

  it('uses the database named in the uri and the given collection, as connect-mongodb-session does', async () => {
    const store = new MongoDBStore({ uri: 'mongodb://127.0.0.1:1/appdb', collection: 'sessions' });
    assert.equal(store.collection.dbName, 'appdb');
    assert.equal(store.collection.collectionName, 'sessions');
    const named = new MongoDBStore({ uri: 'mongodb://127.0.0.1:1/appdb', databaseName: 'other' });
    assert.equal(named.collection.dbName, 'other');
    assert.equal(named.collection.collectionName, 'sessions');
    await store.close();
    await named.close();
  });

  it('fromUrl takes ?collection= out of the URL and keeps the driver’s options', async () => {
    const store = fromUrl('mongodb://127.0.0.1:1/appdb?collection=web_sessions&appName=shop');
    assert.equal(store.collection.dbName, 'appdb');
    assert.equal(store.collection.collectionName, 'web_sessions');
    const plain = fromUrl('mongodb://127.0.0.1:1/appdb');
    assert.equal(plain.collection.collectionName, 'sessions');
    await store.close();
    await plain.close();
    assert.throws(() => fromUrl('redis://127.0.0.1'), TypeError);
  });

  const badOptions: Array<[string, unknown, RegExp]> = [
    ['no options', undefined, /options/],
    ['neither uri nor client', {}, /uri/],
    ['uri undefined (an unset environment variable)', { uri: undefined }, /uri/],
    ['an http uri', { uri: 'http://localhost' }, /uri/],
    ['both uri and client', { uri: 'mongodb://x', client: {} }, /either url \(uri\) or client/],
    ['a client that is not a MongoClient', { client: { find() {} } }, /client/],
    ['an empty collection', { uri: 'mongodb://x', collection: '' }, /collection/],
    ['a collection with $', { uri: 'mongodb://x', collection: 'a$b' }, /collection/],
    ['a system collection', { uri: 'mongodb://x', collection: 'system.users' }, /collection/],
    ['a database name with a dot', { uri: 'mongodb://x', databaseName: 'a.b' }, /databaseName/],
    ['a database name with a slash', { uri: 'mongodb://x', databaseName: 'a/b' }, /databaseName/],
    ['createIndexes not boolean', { uri: 'mongodb://x', createIndexes: 'yes' }, /createIndexes/],
    ['a negative pruneInterval', { uri: 'mongodb://x', pruneInterval: -1 }, /pruneInterval/],
    ['a pruneInterval that is not a number', { uri: 'mongodb://x', pruneInterval: '60s' }, /pruneInterval/],
  ];
  for (const [label, options, names] of badOptions) {
    it(`rejects ${label} with a TypeError naming the option`, () => {
      assert.throws(
        () => new MongoDBStore(options as never),
        (err) => err instanceof TypeError && names.test(err.message),
      );
    });
  }
});
