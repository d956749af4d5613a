import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MemoryStore } from 'coatcheck';
import { ConnectStoreAdapter, fromConnectStore, isConnectStore, isSessionStore } from 'coatcheck/stores';
import { freshId, sampleRecord, testStore } from 'coatcheck/testing';
import expressSession from 'express-session';
// Where the adapter keeps its bookkeeping is internal; the test reads it to check what it stores.
import { CONNECT_META_KEY } from '../../src/stores/store.js';

testStore({
  name: "express-session's MemoryStore through the connect adapter",
  create: () => fromConnectStore(new expressSession.MemoryStore()),
  // patch and rotate are serialised per session in this process (the adapter's lock).
  requires: ['patch', 'refresh', 'rotate', 'ids', 'entries', 'count', 'purge', 'listByUser', 'removeByUser'],
});

describe('connect adapter', () => {
  it('tells coatcheck stores from connect stores', () => {
    assert.equal(isSessionStore(new MemoryStore()), true);
    assert.equal(isConnectStore(new expressSession.MemoryStore()), true);
    assert.equal(isSessionStore(new expressSession.MemoryStore()), false);
    assert.equal(isConnectStore({ get() {} }), false);
  });

  it('keeps coatcheck bookkeeping beside the express-session data', async () => {
    const connect = new expressSession.MemoryStore();
    const store = new ConnectStoreAdapter(connect);
    const id = freshId();
    const record = sampleRecord({ user: 'u1', created: Date.now() - 1000 }, { visits: 2 });
    await store.write(id, record);
    const raw = await new Promise<Record<string, unknown>>((resolve, reject) =>
      connect.get(id, (err, sess) =>
        err ? reject(err) : resolve(sess as unknown as Record<string, unknown>),
      ),
    );
    assert.equal(raw.visits, 2);
    assert.deepEqual(raw[CONNECT_META_KEY], {
      c: record.created,
      t: record.touched,
      e: record.expires,
      u: 'u1',
      x: record.data.cookie?.expires,
    });
    const back = await store.read(id);
    assert.deepEqual(back?.data, record.data, 'the bookkeeping key is not part of the data');
  });

  it('reads a session written by express-session itself', async () => {
    const connect = new expressSession.MemoryStore();
    const expires = new Date(Date.now() + 60_000);
    const sess = {
      cookie: { originalMaxAge: 60_000, expires: expires.toISOString(), httpOnly: true, path: '/' },
      n: 1,
    };
    await new Promise<void>((resolve, reject) =>
      connect.set('legacy', sess as never, (err) => (err ? reject(err) : resolve())),
    );
    const record = await fromConnectStore(connect).read('legacy');
    assert.equal(record?.data.n, 1);
    assert.equal(record?.expires, expires.getTime());
  });

  it('wraps a failing connect store’s errors as StoreError without the session ID', async () => {
    const failing = {
      get: (_sid: string, cb: (err: Error) => void) => cb(new Error('connection refused')),
      set: (_sid: string, _s: unknown, cb: (err: Error) => void) => cb(new Error('connection refused')),
      destroy: (_sid: string, cb: (err: Error) => void) => cb(new Error('connection refused')),
    };
    const store = fromConnectStore(failing, 'failing');
    const id = freshId('secret-id');
    await assert.rejects(store.read(id), (err: Error & { code?: string; cause?: Error }) => {
      assert.equal(err.code, 'ERR_STORE');
      assert.equal(err.cause?.message, 'connection refused');
      assert.equal(err.message.includes(id), false);
      return true;
    });
  });

  it('reports a scan the store does not answer in time as unsupported, until its late answer comes', async () => {
    // express-session's MemoryStore whose all() answers only when told to: a store that is slow
    // (or, never told, one that is silent, as connect-mongodb-session 5 on the mongodb driver 6 is).
    const connect = new expressSession.MemoryStore();
    const all = connect.all.bind(connect);
    const held: Array<() => Promise<void>> = [];
    let calls = 0;
    connect.all = (callback) => {
      calls++;
      held.push(
        () =>
          new Promise<void>((answered) =>
            all((err, sessions) => {
              callback(err, sessions);
              answered();
            }),
          ),
      );
    };
    const store = fromConnectStore(connect, 'slow', { scanTimeout: 50 });
    const id = freshId();
    await store.write(id, sampleRecord({ user: 'u1' }));
    await assert.rejects(store.listByUser?.('u1') as Promise<unknown>, {
      name: 'StoreUnsupportedError',
      code: 'ERR_STORE_UNSUPPORTED',
      status: 503,
      store: 'slow',
      operation: 'listByUser',
      method: 'all',
      message: 'slow store: listByUser is not supported: its all() did not call back within 50 ms',
    });
    await assert.rejects(store.count?.() as Promise<unknown>, {
      code: 'ERR_STORE_UNSUPPORTED',
      operation: 'count',
    });
    assert.equal(calls, 1, 'not asked again while its answer is outstanding');
    await held.shift()?.();
    connect.all = all;
    assert.deepEqual(
      (await store.listByUser?.('u1'))?.map(([listed]) => listed),
      [id],
    );
  });

  it('refuses a scanTimeout that is not a positive number', () => {
    for (const scanTimeout of [0, -1, Number.NaN, Number.POSITIVE_INFINITY, '100']) {
      assert.throws(
        () => fromConnectStore(new expressSession.MemoryStore(), 'x', { scanTimeout: scanTimeout as number }),
        {
          name: 'TypeError',
          message: 'connect store option scanTimeout must be a positive number of milliseconds',
        },
      );
    }
  });
});
