import { after, describe, it } from 'node:test';
import { assertWorksUnderExpressSession } from '../../../test/helpers/express-session.js';
import { SERVICES, serviceSkipReason } from '../../../test/helpers/services.js';
import { RedisStore } from '../src/index.js';
import { connectIORedis, connectNodeRedis, removeKeysUnder, uniquePrefix } from './helpers.js';

const skip = await serviceSkipReason(SERVICES.redis);

const clients = [
  ['node-redis', connectNodeRedis],
  ['ioredis', async () => connectIORedis()],
] as const;

for (const [label, connect] of clients) {
  describe(`RedisStore (${label}) handed to express-session`, { skip }, () => {
    const prefix = uniquePrefix(`express-session-${label}`);
    let client: Awaited<ReturnType<typeof connect>> | undefined;
    let store: RedisStore | undefined;
    after(async () => {
      await store?.close();
      await removeKeysUnder(prefix);
      await client?.quit();
    });

    it('keeps data set on one request for the next, and forgets it on destroy', async () => {
      client = await connect();
      store = new RedisStore({ client, prefix });
      await assertWorksUnderExpressSession(store);
    });
  });
}
