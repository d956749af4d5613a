import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { sampleRecord } from 'coatcheck/testing';
import type { Redis } from 'ioredis';
import { SERVICES, serviceSkipReason } from '../../../test/helpers/services.js';
import { RedisStore } from '../src/index.js';
import { connectIORedis, keysUnder, uniquePrefix } from './helpers.js';

const skip = await serviceSkipReason(SERVICES.redis);
const prefix = uniquePrefix('remove-by-user');

/**
 * The ioredis client with one hook: `afterFirstCall(key)` runs once, right after the first script
 * call on that session key has answered. It puts a rotate's steps exactly between two passes of
 * removeByUser, which a cluster (index and session on different nodes) makes possible by timing.
 */
function hooked(client: Redis, key: string, afterFirstCall: () => Promise<void>): Redis {
  let fired = false;
  return new Proxy(client, {
    get(target, property, receiver) {
      if (property !== 'call') return Reflect.get(target, property, receiver);
      return async (command: string, ...args: string[]) => {
        const answer = await target.call(command, ...args);
        if (!fired && /^EVAL(SHA)?$/i.test(command) && args[2] === key) {
          fired = true;
          await afterFirstCall();
        }
        return answer;
      };
    },
  });
}

describe('RedisStore.removeByUser against a rotate between its passes', { skip }, () => {
  const client = skip ? undefined : connectIORedis();
  after(async () => {
    if (!client) return;
    const keys = await keysUnder(client, prefix);
    if (keys.length > 0) await client.del(...keys);
    client.disconnect();
  });

  // Regression case of the conformance race "a logout racing a rotate is never undone", which
  // failed once on a three-master cluster: a pass read the rotate's new ID from the user's index
  // before its session was written, found nothing under it, and dropped it from the index, so the
  // next pass did not look again and the new session stayed signed in.
  it('an indexed ID whose session is written after a pass found it missing is removed on the next pass', async () => {
    assert.ok(client);
    const plain = new RedisStore({ client, prefix });
    const user = 'ada';
    const newId = 'rotated-in-flight';
    // The rotate's first step: the new ID is in the owner's index, its session not yet written.
    await client.sadd(plain.userKey(user), newId);
    const store = new RedisStore({
      client: hooked(client, plain.sessionKey(newId), () => plain.write(newId, sampleRecord({ user }))),
      prefix,
    });
    await store.removeByUser(user);
    assert.equal(await plain.read(newId), undefined, 'the session written between the passes is removed');
    assert.deepEqual(await plain.listByUser(user), []);
  });

  it('an ID that stays missing leaves the index, and removeByUser ends', async () => {
    assert.ok(client);
    const store = new RedisStore({ client, prefix });
    await client.sadd(store.userKey('grace'), 'never-written', 'also-never');
    await store.write('live', sampleRecord({ user: 'grace' }));
    assert.equal(await store.removeByUser('grace'), 1);
    assert.deepEqual(await client.smembers(store.userKey('grace')), []);
  });
});
