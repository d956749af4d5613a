/**
 * A SQL store under `createTable: false` whose schema predates the forwards table (store contract,
 * rule 8): it must warn once with the DDL that creates it, keep working without forwards, and
 * forward once that DDL has run. Shared by the SQLite, PostgreSQL and MySQL store tests.
 */
import assert from 'node:assert/strict';
import { setImmediate as tick } from 'node:timers/promises';
import type { SessionStore } from 'coatcheck';
import { freshId, sampleRecord } from 'coatcheck/testing';

type ClosableStore = SessionStore & { close(): Promise<void> };

/**
 * `open()` makes a store with `createTable: false` on a schema that has the sessions table `table`
 * and not its forwards table; `run(ddl)` runs the statement the warning gives. Only warnings that
 * name this table count: other stores of the same test process may warn meanwhile.
 */
export async function checkMissingForwards(
  table: string,
  open: () => ClosableStore,
  run: (ddl: string) => Promise<unknown>,
): Promise<void> {
  const warnings: Error[] = [];
  const listen = (warning: Error & { code?: string }) => {
    if (warning.code === 'COATCHECK_NO_FORWARDS' && warning.message.includes(`${table}_forwards`))
      warnings.push(warning);
  };
  process.on('warning', listen);
  try {
    const before = open();
    const [a, b] = [freshId('a'), freshId('b')];
    await before.write(a, sampleRecord());
    assert.equal(await before.rotate?.(a, b, sampleRecord({}, { moved: true })), true, 'rotate works');
    await before.remove(a);
    assert.equal((await before.read(b))?.data.moved, true, 'without forwards, remove(old) cannot follow');
    await before.remove(b);
    await before.purge?.();
    await (before as { prune?: () => unknown }).prune?.();
    await before.close();
    await tick();
    assert.equal(warnings.length, 1, 'one warning');
    const message = (warnings[0] as Error).message;
    assert.match(message, /createTable is false/);
    const ddl = message.slice(message.indexOf('CREATE TABLE'));
    assert.match(ddl, /^CREATE TABLE \S+_forwards/);
    await run(ddl);
    const after = open();
    const [c, d] = [freshId('c'), freshId('d')];
    await after.write(c, sampleRecord());
    assert.equal(await after.rotate?.(c, d, sampleRecord()), true);
    await after.remove(c);
    assert.equal(await after.read(d), undefined, 'with the table the warning gave, remove(old) follows');
    await after.close();
    await tick();
    assert.equal(warnings.length, 1, 'no warning once the table exists');
  } finally {
    process.off('warning', listen);
  }
}
