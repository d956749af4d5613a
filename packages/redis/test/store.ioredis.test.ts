import { testStore } from 'coatcheck/testing';
import type { Redis } from 'ioredis';
import { SERVICES, serviceSkipReason } from '../../../test/helpers/services.js';
import { RedisStore } from '../src/index.js';
import { connectIORedis, damageHash, removeKeysUnder, uniquePrefix } from './helpers.js';

const skip = await serviceSkipReason(SERVICES.redis);
const prefix = uniquePrefix('ioredis');
let client: Redis | undefined;

testStore({
  name: 'RedisStore with an ioredis client',
  skip,
  requires: 'all',
  damage: damageHash,
  create: () => {
    client = connectIORedis();
    return new RedisStore({ client, prefix });
  },
  close: async (store) => {
    await store.close();
    await removeKeysUnder(prefix);
    await client?.quit();
  },
});
