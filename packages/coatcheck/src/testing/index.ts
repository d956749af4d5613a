/**
 * The store conformance suite: every check of the contract in `coatcheck`'s {@link SessionStore},
 * written with `node:assert` so any test runner can run it.
 *
 * @example
 * ```ts
 * // test/my-store.test.ts, run with `node --test`
 * import { testStore } from 'coatcheck/testing';
 * import { MyStore } from '../src/index.js';
 *
 * testStore({
 *   name: 'MyStore',
 *   create: () => new MyStore({ url: process.env.MY_DB_URL }),
 *   close: (store) => store.close(),
 *   requires: 'all',
 * });
 * ```
 *
 * @module
 */
import { after, before, describe, it } from 'node:test';
import type { SessionStore, StoreCapability } from '../stores/contract.js';
import { boundedStoreScenarios, type StoreBounds } from './bounded.js';
import { checkDamagedRecords, type DamageRecord } from './damaged.js';
import { type StoreScenario, storeScenarios } from './scenarios.js';

export { type BoundedStoreScenario, boundedStoreScenarios, type StoreBounds } from './bounded.js';
export {
  checkDamagedRecords,
  type DamagedRecordOptions,
  type DamageRecord,
  RECORD_DAMAGE,
  type RecordDamage,
} from './damaged.js';

export { freshId, type StoreScenario, sampleRecord, storeScenarios } from './scenarios.js';

/** Every optional store capability. */
export const ALL_CAPABILITIES: readonly StoreCapability[] = [
  'patch',
  'refresh',
  'rotate',
  'ids',
  'entries',
  'count',
  'purge',
  'listByUser',
  'removeByUser',
  'close',
];

/** Options of {@link testStore}. */
export interface TestStoreOptions<S extends SessionStore> {
  /** Name of the suite, as reported. */
  name: string;
  /** Makes the store under test, connected to its real database. Called once. */
  create: () => S | Promise<S>;
  /** Called once at the end: close the store and release what `create` opened. */
  close?: (store: S) => unknown;
  /**
   * Optional capabilities the store must have: a scenario needing one of these fails when the
   * store lacks it. Other scenarios needing a missing capability are reported as skipped, naming
   * it. `'all'` means every capability. Default: none.
   */
  requires?: readonly StoreCapability[] | 'all';
  /**
   * When set, the whole suite is reported as skipped with this reason (for example, the database
   * is not reachable outside CI).
   */
  skip?: string | false | undefined;
  /**
   * For a store bounded by bytes: its bound. The suite then also checks that it holds no more,
   * that a flood of anonymous sessions evicts no signed-in one, and that a session over the bound is
   * refused ({@link boundedStoreScenarios}). Give the store a small bound (say 256 KiB): the
   * scenarios write four times it.
   */
  bounds?: StoreBounds | undefined;
  /**
   * Writes damage straight into the database under a stored session (see {@link RecordDamage}),
   * for the scenario that requests such a session over real HTTP: a fresh session, a `tampered`
   * event with reason `'record'`, the damaged record removed, other sessions untouched. Without
   * it that scenario is reported as skipped.
   */
  damage?: DamageRecord<S> | undefined;
}

/** The capabilities a scenario needs that `store` lacks. */
export function missingCapabilities(store: SessionStore, scenario: StoreScenario): StoreCapability[] {
  return scenario.needs.filter((capability) => typeof store[capability] !== 'function');
}

/**
 * Registers the conformance suite with `node:test`.
 */
export function testStore<S extends SessionStore>(options: TestStoreOptions<S>): void {
  const required = new Set(options.requires === 'all' ? ALL_CAPABILITIES : (options.requires ?? []));
  describe(`store conformance: ${options.name}`, { skip: options.skip || false }, () => {
    let store: S;
    before(async () => {
      store = await options.create();
    });
    after(async () => {
      if (store) await options.close?.(store);
    });
    it('has the required methods and a name', () => {
      for (const method of ['read', 'write', 'remove'] as const) {
        if (typeof store[method] !== 'function') throw new Error(`store has no ${method}() method`);
      }
      if (typeof store.name !== 'string' || store.name === '') throw new Error('store has no name');
      for (const capability of required) {
        if (typeof store[capability] !== 'function') throw new Error(`store must implement ${capability}()`);
      }
    });
    for (const scenario of storeScenarios) {
      it(scenario.name, async (t) => {
        const missing = missingCapabilities(store, scenario);
        const mustHave = missing.filter((capability) => required.has(capability));
        if (mustHave.length > 0) throw new Error(`store must implement ${mustHave.join(', ')}()`);
        if (missing.length > 0) {
          t.skip(`the store does not implement ${missing.join(', ')}()`);
          return;
        }
        await scenario.run(store);
      });
    }
    it('a damaged stored record is a fresh session, reported and removed, over HTTP', async (t) => {
      if (options.damage === undefined) {
        t.skip('no damage hook given');
        return;
      }
      await checkDamagedRecords(store, options.damage);
    });
    const bounds = options.bounds;
    if (bounds !== undefined) {
      for (const scenario of boundedStoreScenarios) it(scenario.name, () => scenario.run(store, bounds));
    }
  });
}
