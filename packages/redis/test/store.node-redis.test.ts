import { testStore } from 'coatcheck/testing';
import { SERVICES, serviceSkipReason } from '../../../test/helpers/services.js';
import { RedisStore } from '../src/index.js';
import { connectNodeRedis, damageHash, removeKeysUnder, uniquePrefix } from './helpers.js';

const skip = await serviceSkipReason(SERVICES.redis);
const prefix = uniquePrefix('node-redis');
let client: Awaited<ReturnType<typeof connectNodeRedis>> | undefined;

testStore({
  name: 'RedisStore with a node-redis client',
  skip,
  requires: 'all',
  damage: damageHash,
  create: async () => {
    client = await connectNodeRedis();
    return new RedisStore({ client, prefix });
  },
  close: async (store) => {
    await store.close();
    await removeKeysUnder(prefix);
    await client?.quit();
  },
});
