import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { SERVICES, serviceSkipReason } from '../../../test/helpers/services.js';
import { commanderFor, runScript } from '../src/client.js';
import { connectIORedis, connectNodeRedis, removeKeysUnder, uniquePrefix } from './helpers.js';

const skip = await serviceSkipReason(SERVICES.redis);

describe('runScript', { skip }, () => {
  const prefix = uniquePrefix('client');
  let nodeRedis: Awaited<ReturnType<typeof connectNodeRedis>>;
  let ioredis: ReturnType<typeof connectIORedis>;
  before(async () => {
    nodeRedis = await connectNodeRedis();
    ioredis = connectIORedis();
  });
  after(async () => {
    await removeKeysUnder(prefix);
    await nodeRedis.quit();
    await ioredis.quit();
  });

  for (const label of ['node-redis', 'ioredis'] as const) {
    it(`${label}: sends the script body once the server lacks it, then only its SHA`, async () => {
      const { send } = commanderFor(label === 'node-redis' ? nodeRedis : ioredis);
      // A body no server has seen: the first EVALSHA must fail with NOSCRIPT and fall back to EVAL.
      const lua = `-- ${randomBytes(8).toString('hex')}\nreturn redis.call('INCR', KEYS[1])`;
      const script = { name: 'test', lua, sha: createHash('sha1').update(lua).digest('hex') };
      assert.deepEqual(await send(['SCRIPT', 'EXISTS', script.sha]), [0]);
      const key = `${prefix}${label}`;
      assert.equal(await runScript(send, script, key, []), 1);
      assert.deepEqual(await send(['SCRIPT', 'EXISTS', script.sha]), [1]);
      assert.equal(await runScript(send, script, key, []), 2);
    });
  }
});
