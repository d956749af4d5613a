import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { MemoryStore, type MemoryStoreOptions, type SessionRecord } from 'coatcheck';
import { applyPatch, type CookieJSON } from 'coatcheck/stores';
import { freshId, type RecordDamage, sampleRecord, testStore } from 'coatcheck/testing';
import fc from 'fast-check';

testStore({
  name: 'MemoryStore',
  create: () => new MemoryStore(),
  close: (store) => store.close(),
  requires: 'all',
  // Nothing but write() reaches a MemoryStore's memory, so damage comes in as a record another
  // writer (express-session's set(), an application) could hand it.
  damage: async (store, id, kind) => {
    const record = (await store.read(id)) as SessionRecord;
    const cookie = record.data.cookie as CookieJSON;
    const damaged: Record<RecordDamage, (() => unknown) | undefined> = {
      'data-null': () => Object.assign(record, { data: null }),
      'data-not-json': undefined,
      'cookie-string': () => Object.assign(record.data, { cookie: 'sid=abc' }),
      'cookie-expires': () => Object.assign(cookie, { expires: 'not a date' }),
      expires: () => Object.assign(record, { expires: Number.NaN }),
      created: () => Object.assign(record, { created: undefined }),
    };
    const change = damaged[kind];
    if (!change) return false;
    change();
    await store.write(id, record);
    return true;
  },
});

testStore({
  name: 'MemoryStore with maxBytes 256 KiB',
  create: () => new MemoryStore({ maxBytes: 256 * 1024 }),
  close: (store) => store.close(),
  requires: 'all',
  bounds: { maxBytes: 256 * 1024 },
});

describe('MemoryStore', () => {
  it('keeps at most `max` sessions, evicting the least recently used', async () => {
    const store = new MemoryStore({ max: 3 });
    const [a, b, c, d] = [freshId(), freshId(), freshId(), freshId()];
    for (const id of [a, b, c]) await store.write(id, sampleRecord());
    await store.read(a); // a is now the most recently used; b the least
    await store.write(d, sampleRecord());
    assert.equal(await store.count(), 3);
    assert.equal(await store.read(b), undefined);
    for (const id of [a, c, d]) assert.ok(await store.read(id));
    await store.close();
  });

  it('an evicted session leaves its user’s index', async () => {
    const store = new MemoryStore({ max: 1 });
    const [a, b] = [freshId(), freshId()];
    await store.write(a, sampleRecord({ user: 'u' }));
    await store.write(b, sampleRecord());
    assert.deepEqual(await store.listByUser('u'), []);
    await store.close();
  });

  it('sweeps expired sessions on its timer', async () => {
    const store = new MemoryStore({ pruneInterval: 50 });
    await store.write(freshId(), sampleRecord({ expires: Date.now() + 20 }));
    await store.write(freshId(), sampleRecord());
    await sleep(150);
    // count() prunes too, so look at what is left through the index of ids without pruning first.
    assert.equal(store.prune(), 0, 'the timer already swept the expired one');
    assert.equal(await store.count(), 1);
    await store.close();
  });

  it('a patch changes the stored JSON as applyPatch changes the data, key by key (random data and patches)', async () => {
    const store = new MemoryStore({ pruneInterval: 0 });
    const key = fc.oneof(fc.constantFrom('cart', 'a.b', '', '__proto__', '1', 'é"\\'), fc.string());
    const value = fc.oneof(fc.jsonValue(), fc.constant(undefined));
    await fc.assert(
      fc.asyncProperty(
        fc.dictionary(key, fc.jsonValue()),
        fc.dictionary(key, value),
        fc.array(key, { maxLength: 4 }),
        async (stored, set, unset) => {
          const id = freshId();
          const record = sampleRecord({}, stored);
          await store.write(id, record);
          const expected = applyPatch(JSON.parse(JSON.stringify(record.data)), { set, unset });
          const soon = Date.now() + 60_000;
          assert.equal(await store.patch(id, { set, unset, expires: soon, touched: Date.now() }), true);
          assert.deepEqual((await store.read(id))?.data, JSON.parse(JSON.stringify(expected)));
          await store.remove(id);
        },
      ),
      { numRuns: 300 },
    );
    assert.equal(store.bytes, 0, 'every byte given back');
    await store.close();
  });

  it('refuses work after close()', async () => {
    const store = new MemoryStore();
    await store.close();
    await assert.rejects(store.read(freshId()), {
      code: 'ERR_STORE_CLOSED',
      store: 'memory',
      operation: 'read',
    });
  });

  const badOptions: Array<[string, unknown]> = [
    ['max: 0', { max: 0 }],
    ['max: 1.5', { max: 1.5 }],
    ['maxBytes: 0', { maxBytes: 0 }],
    ['maxBytes: 1.5', { maxBytes: 1.5 }],
    ['maxBytes: NaN', { maxBytes: Number.NaN }],
    ["maxBytes: '1000'", { maxBytes: '1000' }],
    ['anonymousShare: -0.1', { anonymousShare: -0.1 }],
    ['anonymousShare: 1', { anonymousShare: 1 }],
    ['anonymousShare: NaN', { anonymousShare: Number.NaN }],
    ["anonymousShare: '0.2'", { anonymousShare: '0.2' }],
    ['pruneInterval: -1', { pruneInterval: -1 }],
    ['pruneInterval: NaN', { pruneInterval: Number.NaN }],
  ];
  for (const [label, options] of badOptions) {
    it(`rejects ${label} with a TypeError`, () => {
      assert.throws(() => new MemoryStore(options as never), TypeError);
    });
  }
});

/** Writes `count` sessions, each with `bytes` characters of data (and `user` when given), returning their IDs. */
async function fill(store: MemoryStore, count: number, bytes = 10, user?: (i: number) => string) {
  const ids: string[] = [];
  for (let i = 0; i < count; i++) {
    const id = freshId();
    const owner = user?.(i);
    await store.write(
      id,
      sampleRecord(owner === undefined ? {} : { user: owner }, { blob: 'x'.repeat(bytes) }),
    );
    ids.push(id);
  }
  return ids;
}

async function kept(store: MemoryStore, ids: string[]): Promise<string[]> {
  const out: string[] = [];
  for (const id of ids) if (await store.read(id)) out.push(id);
  return out;
}

describe('MemoryStore bounds', () => {
  it('counts bytes as the ID, the data JSON and the user plus a fixed overhead, and gives them back', async () => {
    const store = new MemoryStore();
    const record = sampleRecord({ user: 'ada' }, { blob: 'x'.repeat(1000) });
    await store.write('an-id', record);
    assert.equal(
      store.bytes,
      'an-id'.length + JSON.stringify(record.data).length + 3 + MemoryStore.entryOverhead,
    );
    await store.patch('an-id', {
      set: { more: 'y'.repeat(500) },
      unset: ['blob'],
      expires: record.expires,
      touched: Date.now(),
    });
    const { blob: _blob, ...data }: Record<string, unknown> = { ...record.data, more: 'y'.repeat(500) };
    assert.equal(store.bytes, 'an-id'.length + JSON.stringify(data).length + 3 + MemoryStore.entryOverhead);
    await store.remove('an-id');
    assert.equal(store.bytes, 0);
    await store.close();
  });

  it('keeps at most maxBytes, evicting the least recently used, and keeps the newest', async () => {
    const store = new MemoryStore({ maxBytes: 100_000 });
    const ids = await fill(store, 1000, 1000);
    assert.ok(store.bytes <= 100_000, `${store.bytes} bytes held`);
    const left = await kept(store, ids);
    assert.ok(left.length >= 50, `${left.length} sessions kept`);
    assert.deepEqual(left, ids.slice(-left.length), 'the most recent ones are kept');
    await store.close();
  });

  const floods: Array<[string, MemoryStoreOptions, number]> = [
    ['by count', { max: 100 }, 10],
    ['by bytes', { maxBytes: 200_000 }, 1000],
  ];
  for (const [label, options, bytes] of floods) {
    it(`a flood of anonymous sessions evicts no signed-in session (bound ${label})`, async () => {
      const store = new MemoryStore(options);
      const signedIn = await fill(store, 20, bytes, (i) => `user-${i}`);
      const anonymous = await fill(store, 2000, bytes);
      assert.deepEqual(await kept(store, signedIn), signedIn);
      for (let i = 0; i < 20; i++) assert.equal((await store.listByUser(`user-${i}`)).length, 1);
      assert.ok((await kept(store, anonymous)).length > 0, 'the newest anonymous sessions are kept');
      assert.ok((await store.count()) <= store.max && store.bytes <= store.maxBytes);
      await store.close();
    });
  }

  it('signed-in sessions never take the anonymous share; past theirs, the least recently used goes', async () => {
    const store = new MemoryStore({ max: 10, anonymousShare: 0.2 });
    const anonymous = await fill(store, 5);
    const signedIn = await fill(store, 20, 10, (i) => `user-${i}`);
    assert.deepEqual(await kept(store, anonymous), anonymous.slice(-2), 'anonymous keep 20 % of max');
    assert.deepEqual(
      await kept(store, signedIn),
      signedIn.slice(-8),
      'signed-in keep the rest, newest first',
    );
    assert.deepEqual(await store.listByUser('user-0'), [], 'an evicted session leaves the user index');
    await store.close();
  });

  it('the anonymous share holds for bytes too', async () => {
    const store = new MemoryStore({ maxBytes: 50_000, anonymousShare: 0.5 });
    const anonymous = await fill(store, 100, 500);
    const size = store.bytes / (await store.count());
    const signedIn = await fill(store, 100, 500, (i) => `u${String(i).padStart(3, '0')}`);
    const signedInSize = size + 4; // the user's characters
    const signedInLeft = await kept(store, signedIn);
    assert.equal(signedInLeft.length, Math.floor(25_000 / signedInSize), 'signed-in use at most half');
    assert.deepEqual(signedInLeft, signedIn.slice(-signedInLeft.length));
    const anonymousLeft = await kept(store, anonymous);
    assert.equal(anonymousLeft.length, Math.floor((50_000 - signedInLeft.length * signedInSize) / size));
    assert.ok(store.bytes <= 50_000);
    await store.close();
  });

  it('refuses a session larger than its class may hold, and keeps the one stored before', async () => {
    const store = new MemoryStore({ maxBytes: 10_000 });
    const before = sampleRecord({}, { small: true });
    await store.write('kept', before);
    await assert.rejects(store.write('kept', sampleRecord({}, { blob: 'x'.repeat(20_000) })), {
      code: 'ERR_STORE',
      store: 'memory',
      operation: 'write',
    });
    const patch = {
      set: { blob: 'x'.repeat(20_000) },
      unset: [],
      expires: before.expires,
      touched: Date.now(),
    };
    await assert.rejects(store.patch('kept', patch), { code: 'ERR_STORE', operation: 'patch' });
    assert.deepEqual((await store.read('kept'))?.data, before.data);
    // A signed-in session may use 80 % of maxBytes, an anonymous one all of it.
    await assert.rejects(store.write('user', sampleRecord({ user: 'u' }, { blob: 'x'.repeat(8500) })), {
      code: 'ERR_STORE',
    });
    await store.write('anonymous', sampleRecord({}, { blob: 'x'.repeat(8500) }));
    assert.ok(await store.read('anonymous'));
    await store.close();
  });
});
