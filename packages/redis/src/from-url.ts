import { StoreError } from 'coatcheck';
import { openClient } from './client.js';
import { OWNED_CLIENT, type OwnedClientOptions, RedisStore, type RedisStoreOptions, scrub } from './store.js';

/**
 * A store from a `redis://` or `rediss://` URL, for `storeFromUrl` and `SESSION_STORE`. The store
 * opens its own client (node-redis when `redis` is installed, else ioredis) and closes it in
 * `close()`; `options` are the store's other options. A `prefix` query parameter sets the key
 * prefix: `redis://127.0.0.1:6379/0?prefix=myapp:`.
 *
 * Unlike the other stores' `fromUrl`, this one resolves once the client has connected, so a store
 * opened while Redis is unreachable fails at startup (a `StoreError`, operation `'connect'`)
 * instead of queueing every request until Redis answers.
 *
 * @example
 * ```ts
 * const store = await fromUrl(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
 * ```
 */
export async function fromUrl(
  url: string,
  options: Omit<RedisStoreOptions, 'client'> = {},
): Promise<RedisStore> {
  let parsed: URL | undefined;
  try {
    parsed = typeof url === 'string' ? new URL(url) : undefined;
  } catch {
    parsed = undefined;
  }
  if (parsed === undefined || (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:')) {
    throw new TypeError('@coatcheck/redis: fromUrl needs a redis:// or rediss:// URL');
  }
  const prefix = parsed.searchParams.get('prefix');
  parsed.searchParams.delete('prefix');
  let store: RedisStore | undefined;
  // Connection errors surface as StoreErrors on the calls that meet them; the client's 'error'
  // event reaches the store's listeners only, so an unheard one cannot crash the process.
  const onError = (err: unknown) => {
    if (store && store.listenerCount('error') > 0) {
      store.emit('error', new StoreError('redis', 'connect', { cause: scrub(err) }));
    }
  };
  let opened: Awaited<ReturnType<typeof openClient>>;
  try {
    opened = await openClient(parsed.toString(), onError);
  } catch (err) {
    if (err instanceof TypeError) throw err;
    throw new StoreError('redis', 'connect', { cause: scrub(err) });
  }
  const { client, close } = opened;
  const owned: OwnedClientOptions = { ...options, client, [OWNED_CLIENT]: close };
  if (prefix !== null) owned.prefix = prefix;
  try {
    store = new RedisStore(owned);
  } catch (err) {
    await close();
    throw err;
  }
  return store;
}
