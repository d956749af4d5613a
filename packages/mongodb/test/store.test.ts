import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { StoreError } from 'coatcheck';
import { freshId, sampleRecord, testStore } from 'coatcheck/testing';
import { type CommandStartedEvent, MongoClient } from 'mongodb';
import { patchFilter, patchUpdate, readFilter, toDocument } from '../src/documents.js';
import { MongoDBStore } from '../src/index.js';
import { MONGODB_URI, skipWithoutServer, uniqueCollection } from './helpers.js';

const conformanceCollection = uniqueCollection('conformance');

testStore({
  name: 'MongoDBStore (uri)',
  skip: skipWithoutServer,
  requires: 'all',
  create: () => new MongoDBStore({ uri: MONGODB_URI, collection: conformanceCollection }),
  close: async (store) => {
    await store.collection.drop().catch(() => undefined);
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
    assert.deepEqual(Object.keys(statement?.q ?? {}), Object.keys(patchFilter(id, 0)));
    assert.equal(statement?.q._id, id);
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

  it('creates the TTL index on expires and the user index', async () => {
    await store.read(freshId());
    const indexes = await store.collection.listIndexes().toArray();
    const ttl = indexes.find((index) => index.name === 'expires_1');
    assert.equal(ttl?.expireAfterSeconds, 0);
    assert.ok(indexes.some((index) => index.name === 'user_1_expires_1'));
  });

  it('keeps users of connect-mongodb-session logged in: reads, refreshes and patches its documents', async () => {
    const { default: expressSession } = await import('express-session');
    const { default: connectMongoDBSession } = await import('connect-mongodb-session');
    const LegacyStore = connectMongoDBSession(expressSession);
    const legacyCollection = uniqueCollection('legacy');
    const legacy = new LegacyStore({ uri: MONGODB_URI, collection: legacyCollection });
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
    for (const [createIndexes, operation] of [
      [true, 'connect'],
      [false, 'read'],
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
    const store = MongoDBStore.fromUrl('mongodb://127.0.0.1:1/appdb?collection=web_sessions&appName=shop');
    assert.equal(store.collection.dbName, 'appdb');
    assert.equal(store.collection.collectionName, 'web_sessions');
    const plain = MongoDBStore.fromUrl('mongodb://127.0.0.1:1/appdb');
    assert.equal(plain.collection.collectionName, 'sessions');
    await store.close();
    await plain.close();
    assert.throws(() => MongoDBStore.fromUrl('redis://127.0.0.1'), TypeError);
  });

  const badOptions: Array<[string, unknown, RegExp]> = [
    ['no options', undefined, /options/],
    ['neither uri nor client', {}, /uri/],
    ['uri undefined (an unset environment variable)', { uri: undefined }, /uri/],
    ['an http uri', { uri: 'http://localhost' }, /uri/],
    ['both uri and client', { uri: 'mongodb://x', client: {} }, /either uri or client/],
    ['a client that is not a MongoClient', { client: { find() {} } }, /client/],
    ['an empty collection', { uri: 'mongodb://x', collection: '' }, /collection/],
    ['a collection with $', { uri: 'mongodb://x', collection: 'a$b' }, /collection/],
    ['a system collection', { uri: 'mongodb://x', collection: 'system.users' }, /collection/],
    ['a database name with a dot', { uri: 'mongodb://x', databaseName: 'a.b' }, /databaseName/],
    ['a database name with a slash', { uri: 'mongodb://x', databaseName: 'a/b' }, /databaseName/],
    ['createIndexes not boolean', { uri: 'mongodb://x', createIndexes: 'yes' }, /createIndexes/],
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
