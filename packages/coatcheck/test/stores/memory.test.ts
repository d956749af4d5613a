import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { MemoryStore } from 'coatcheck';
import { freshId, sampleRecord, testStore } from 'coatcheck/testing';

testStore({
  name: 'MemoryStore',
  create: () => new MemoryStore(),
  close: (store) => store.close(),
  requires: 'all',
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
    ['pruneInterval: -1', { pruneInterval: -1 }],
    ['pruneInterval: NaN', { pruneInterval: Number.NaN }],
  ];
  for (const [label, options] of badOptions) {
    it(`rejects ${label} with a TypeError`, () => {
      assert.throws(() => new MemoryStore(options as never), TypeError);
    });
  }
});
