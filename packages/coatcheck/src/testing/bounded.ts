import assert from 'node:assert/strict';
import { StoreError } from '../errors.js';
import type { SessionRecord, SessionStore } from '../stores/contract.js';
import { freshId, sampleRecord } from './scenarios.js';

/** How a store under test is bounded, for the scenarios that apply only to bounded stores. */
export interface StoreBounds {
  /**
   * The most bytes the store keeps, counting each session at least as the characters of its ID and
   * of its data as JSON (a store may count more per session, never less).
   */
  maxBytes: number;
}

/** A bounded-store scenario: like a {@link StoreScenario}, given the store's bounds. */
export interface BoundedStoreScenario {
  name: string;
  run(store: SessionStore, bounds: StoreBounds): Promise<void>;
}

/** Sessions of about `bytes` characters each, until `total` characters were written; their IDs. */
async function flood(store: SessionStore, total: number, bytes: number, user?: string): Promise<string[]> {
  const ids: string[] = [];
  for (let written = 0; written < total; written += bytes) {
    const id = freshId('flood');
    await store.write(id, sampleRecord(user === undefined ? {} : { user }, { blob: 'f'.repeat(bytes) }));
    ids.push(id);
  }
  return ids;
}

/** The characters of the sessions among `ids` the store still returns. */
async function heldCharacters(
  store: SessionStore,
  ids: string[],
): Promise<{ chars: number; kept: string[] }> {
  let chars = 0;
  const kept: string[] = [];
  for (const id of ids) {
    const record: SessionRecord | undefined = await store.read(id);
    if (record === undefined) continue;
    chars += id.length + JSON.stringify(record.data).length;
    kept.push(id);
  }
  return { chars, kept };
}

/** The scenarios every store bounded by bytes must pass (run by `testStore` when given `bounds`). */
export const boundedStoreScenarios: readonly BoundedStoreScenario[] = [
  {
    name: 'bounded: sessions written past maxBytes leave at most maxBytes held, the newest kept',
    async run(store, { maxBytes }) {
      const ids = await flood(store, 4 * maxBytes, Math.ceil(maxBytes / 40));
      const { chars, kept } = await heldCharacters(store, ids);
      assert.ok(chars <= maxBytes, `${chars} characters of session held, over maxBytes ${maxBytes}`);
      assert.ok(kept.includes(ids.at(-1) as string), 'the session written last is kept');
    },
  },
  {
    name: 'bounded: a flood of anonymous sessions evicts no signed-in session',
    async run(store, { maxBytes }) {
      const signedIn: string[] = [];
      for (let i = 0; i < 5; i++) {
        const id = freshId('signed-in');
        await store.write(id, sampleRecord({ user: `bounded-user-${i}` }, { note: 'signed in' }));
        signedIn.push(id);
      }
      await flood(store, 4 * maxBytes, Math.ceil(maxBytes / 40));
      const { kept } = await heldCharacters(store, signedIn);
      assert.deepEqual(kept, signedIn, 'every signed-in session is still there');
    },
  },
  {
    name: 'bounded: a session larger than maxBytes is refused with a StoreError, keeping the one before',
    async run(store, { maxBytes }) {
      const id = freshId('too-large');
      const before = sampleRecord({}, { small: true });
      await store.write(id, before);
      await assert.rejects(
        store.write(id, sampleRecord({}, { blob: 'x'.repeat(maxBytes + 1) })),
        (err) => err instanceof StoreError,
      );
      assert.deepEqual((await store.read(id))?.data, before.data);
    },
  },
];
