import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { KeyedLock } from '../../src/lib/keyed-lock.js';

describe('KeyedLock', () => {
  it('runs tasks of one key one at a time, in order, and other keys in parallel', async () => {
    const lock = new KeyedLock();
    const log: string[] = [];
    const task = (name: string, ms: number) => async () => {
      log.push(`start ${name}`);
      await sleep(ms);
      log.push(`end ${name}`);
      return name;
    };
    const results = await Promise.all([
      lock.run('a', task('a1', 30)),
      lock.run('a', task('a2', 5)),
      lock.run('b', task('b1', 10)),
    ]);
    assert.deepEqual(results, ['a1', 'a2', 'b1']);
    assert.deepEqual(log, ['start a1', 'start b1', 'end b1', 'end a1', 'start a2', 'end a2']);
    await sleep(0);
    assert.equal(lock.size, 0, 'nothing is kept once idle');
  });

  it('a failing task does not block the next one', async () => {
    const lock = new KeyedLock();
    const failed = lock.run('k', async () => {
      throw new Error('boom');
    });
    await assert.rejects(failed, /boom/);
    assert.equal(await lock.run('k', async () => 'next'), 'next');
  });
});
