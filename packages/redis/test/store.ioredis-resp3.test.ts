import { testStore } from 'coatcheck/testing';
import { Redis } from 'ioredis';
import { SERVICES, serviceSkipReason } from '../../../test/helpers/services.js';
import { RedisStore } from '../src/index.js';
import { REDIS_URL, removeKeysUnder, uniquePrefix } from './helpers.js';

// ioredis 6 speaks RESP3 by default but reshapes replies as RESP2's; with replyMapping 'resp3' a
// map reply (HGETALL) arrives as an object instead of a flat array: the store must read both.
const skip = await serviceSkipReason(SERVICES.redis);
const prefix = uniquePrefix('ioredis-resp3');
let client: Redis | undefined;

testStore({
  name: 'RedisStore with an ioredis client speaking RESP3 with RESP3 reply shapes',
  skip,
  requires: 'all',
  create: () => {
    client = new Redis(REDIS_URL, { protocol: 3, replyMapping: 'resp3' });
    return new RedisStore({ client, prefix });
  },
  close: async (store) => {
    await store.close();
    await removeKeysUnder(prefix);
    await client?.quit();
  },
});
