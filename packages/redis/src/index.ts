/**
 * `@coatcheck/redis`: a coatcheck session store on Redis, for node-redis or ioredis clients.
 *
 * @example
 * ```ts
 * import { createClient } from 'redis';
 * import { RedisStore } from '@coatcheck/redis';
 *
 * const client = await createClient({ url: process.env.REDIS_URL }).connect();
 * const store = new RedisStore({ client, prefix: 'myapp:' });
 * ```
 *
 * @module
 */
export type { IORedisClient, NodeRedisClient, RedisClient } from './client.js';
export { RedisStore, type RedisStoreOptions } from './store.js';

import { RedisStore } from './store.js';

/**
 * Makes a store from a `redis://` or `rediss://` URL, for `storeFromUrl` in coatcheck; the store
 * opens its own client and closes it in `close()`. See {@link RedisStore.fromUrl}.
 *
 * @example
 * ```ts
 * import { storeFromUrl } from 'coatcheck';
 * const store = await storeFromUrl('redis://127.0.0.1:6379/0?prefix=myapp:');
 * ```
 */
export function fromUrl(url: string): Promise<RedisStore> {
  return RedisStore.fromUrl(url);
}
