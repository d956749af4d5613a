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
export { fromUrl } from './from-url.js';
export { RedisStore, type RedisStoreOptions } from './store.js';
