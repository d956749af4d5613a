import { MySQLStore, type MySQLStoreOptions } from './store.js';

/**
 * A store from a `mysql:` or `mariadb:` URL, for `storeFromUrl` and `SESSION_STORE`. The store opens
 * its own pool and closes it in `close()`; `options` are the store's other options.
 *
 * @example
 * ```ts
 * const store = fromUrl('mysql://root@127.0.0.1:3306/test');
 * ```
 */
export function fromUrl(
  url: string,
  options: Omit<MySQLStoreOptions, 'pool' | 'url' | 'uri'> = {},
): MySQLStore {
  if (typeof url !== 'string' || !/^(mysql|mariadb):/i.test(url)) {
    throw new TypeError('@coatcheck/mysql: fromUrl needs a mysql: URL');
  }
  // mysql2 reads mysql: URLs only.
  return new MySQLStore({ ...options, url: url.replace(/^mariadb:/i, 'mysql:') });
}
