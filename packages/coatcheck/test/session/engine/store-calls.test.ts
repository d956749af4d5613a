import assert from 'node:assert/strict';
import { createSecretKey } from 'node:crypto';
import { describe, it } from 'node:test';
import { MemoryStore, type SessionRecord, type SessionStore, StoreError, StoreTimeoutError } from 'coatcheck';
import { KeyedLock } from '../../../src/lib/keyed-lock.js';
import { type StoreCallPolicy, storeCallsFor } from '../../../src/session/engine/store-calls.js';
import { SessionReporter } from '../../../src/session/events.js';

function policy(overrides: Partial<StoreCallPolicy> = {}): StoreCallPolicy {
  return {
    storeTimeout: 5000,
    onStoreError: 'fail',
    wholeRecordLock: new KeyedLock(),
    reporter: new SessionReporter([createSecretKey(Buffer.alloc(32, 1))]),
    ...overrides,
  };
}

const record = (data: Record<string, unknown> = {}): SessionRecord => ({
  data: { cookie: { originalMaxAge: null }, ...data },
  created: Date.now(),
  touched: Date.now(),
  expires: Date.now() + 60_000,
});

/** Only the required methods: the engine supplies patch, refresh and rotate under its lock. */
class MinimalStore implements SessionStore {
  readonly name = 'minimal';
  readonly records = new Map<string, string>();
  async read(id: string) {
    await new Promise((resolve) => setTimeout(resolve, 1));
    const json = this.records.get(id);
    return json === undefined ? undefined : (JSON.parse(json) as SessionRecord);
  }
  async write(id: string, value: SessionRecord) {
    this.records.set(id, JSON.stringify(value));
  }
  async remove(id: string) {
    this.records.delete(id);
  }
}

describe('engine/store-calls', () => {
  it('answers a MemoryStore without a promise, and maps its failures to StoreError with an event', async () => {
    const store = new MemoryStore({ pruneInterval: 0 });
    const options = policy();
    const calls = storeCallsFor(options, store, false);
    assert.equal(calls.write('a', record({ n: 1 })), undefined);
    const read = calls.read('a');
    assert.ok(!(read instanceof Promise));
    assert.equal(read?.data.n, 1);
    const reported: unknown[] = [];
    options.reporter.emitter.on('storeError', ({ error }) => reported.push(error));
    await store.close();
    assert.throws(() => calls.read('a'), StoreError);
    assert.equal(reported.length, 1);
  });

  it('calls a MemoryStore subclass through promises (it may do I/O), under the deadline', async () => {
    class SlowMemoryStore extends MemoryStore {
      override read(): Promise<undefined> {
        return new Promise(() => {});
      }
    }
    const calls = storeCallsFor(
      policy({ storeTimeout: 30 }),
      new SlowMemoryStore({ pruneInterval: 0 }),
      false,
    );
    const read = calls.read('a');
    assert.ok(read instanceof Promise);
    // The deadline sweeper does not hold the process open (unref), so this test does meanwhile.
    const keepAlive = setTimeout(() => {}, 1000);
    await assert.rejects(read, StoreTimeoutError);
    clearTimeout(keepAlive);
  });

  it('gives a store without patch, refresh and rotate lossless read-then-writes under the lock', async () => {
    const store = new MinimalStore();
    const calls = storeCallsFor(policy(), store, false);
    await calls.write('a', record());
    const now = Date.now();
    const patches = Array.from({ length: 20 }, (_, i) =>
      calls.patch('a', { set: { [`k${i}`]: i }, unset: [], expires: now + 60_000, touched: now }),
    );
    assert.deepEqual(await Promise.all(patches), Array(20).fill(true));
    const data = (await calls.read('a'))?.data as Record<string, unknown>;
    for (let i = 0; i < 20; i++) assert.equal(data[`k${i}`], i);
    assert.equal(await calls.refresh('a', now + 120_000, now, undefined), true);
    assert.equal((await calls.read('a'))?.expires, now + 120_000);
    assert.equal(await calls.rotate('a', 'b', record({ moved: true })), true);
    assert.equal(await calls.read('a'), undefined);
    assert.equal(await calls.rotate('a', 'c', record()), false, 'a gone session is not moved');
    assert.equal(await calls.read('c'), undefined, 'and nothing is created');
    assert.equal(await calls.patch('missing', { set: {}, unset: [], expires: now, touched: now }), false);
  });

  it('carries on past store failures only under onStoreError "continue", and never for a local store', () => {
    const failure = new StoreError('x', 'read');
    assert.equal(storeCallsFor(policy(), new MinimalStore(), false).carriesOn(failure), false);
    const continuing = policy({ onStoreError: 'continue' });
    assert.equal(storeCallsFor(continuing, new MinimalStore(), false).carriesOn(failure), true);
    assert.equal(storeCallsFor(continuing, new MinimalStore(), false).carriesOn(new Error('bug')), false);
    assert.equal(storeCallsFor(continuing, new MinimalStore(), true).carriesOn(failure), false);
  });

  it('keeps the store public contract free of performance hints', () => {
    const store = new MemoryStore({ pruneInterval: 0 });
    assert.equal('inProcess' in store, false);
    const symbols = Object.getOwnPropertySymbols(store).map((symbol) => symbol.description ?? '');
    assert.deepEqual(
      symbols.filter((name) => name.startsWith('coatcheck')),
      [],
    );
  });
});
