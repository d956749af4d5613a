import { testStore } from 'coatcheck/testing';
import { createClient } from 'redis';
import { SERVICES, serviceSkipReason } from '../../../test/helpers/services.js';
import { RedisStore } from '../src/index.js';
import { REDIS_URL, removeKeysUnder, uniquePrefix } from './helpers.js';

// RESP3 changes reply shapes (HGETALL is a map, not a flat array): the store must read both.
const skip = await serviceSkipReason(SERVICES.redis);
const prefix = uniquePrefix('node-redis-resp3');
let client: Awaited<ReturnType<ReturnType<typeof createClient>['connect']>> | undefined;

testStore({
  name: 'RedisStore with a node-redis client speaking RESP3',
  skip,
  requires: 'all',
  create: async () => {
    client = await createClient({ url: REDIS_URL, RESP: 3 }).connect();
    return new RedisStore({ client, prefix });
  },
  close: async (store) => {
    await store.close();
    await removeKeysUnder(prefix);
    await client?.quit();
  },
});
