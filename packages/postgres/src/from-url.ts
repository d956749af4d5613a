import { PostgresStore, type PostgresStoreOptions } from './store.js';

/**
 * A store from a `postgres:` or `postgresql:` URL, for `storeFromUrl` and `SESSION_STORE`. The store
 * opens its own pool and closes it in `close()`; `options` are the store's other options.
 *
 * @example
 * ```ts
 * const store = fromUrl('postgres://postgres@127.0.0.1:5432/test');
 * ```
 */
export function fromUrl(
  url: string,
  options: Omit<PostgresStoreOptions, 'pool' | 'url' | 'connectionString'> = {},
): PostgresStore {
  if (typeof url !== 'string' || !/^postgres(ql)?:/i.test(url)) {
    throw new TypeError('@coatcheck/postgres: fromUrl needs a postgres: URL');
  }
  return new PostgresStore({ ...options, url });
}
