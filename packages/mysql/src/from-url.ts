import { MySQLStore } from './store.js';

/**
 * A store from a `mysql:` or `mariadb:` URL, for `storeFromUrl` and `SESSION_STORE`. The store opens
 * its own pool and closes it in `close()`.
 *
 * @example
 * ```ts
 * const store = fromUrl('mysql://root@127.0.0.1:3306/test');
 * ```
 */
export function fromUrl(url: string): MySQLStore {
  if (typeof url !== 'string' || !/^(mysql|mariadb):/i.test(url)) {
    throw new TypeError('@coatcheck/mysql: fromUrl needs a mysql: URL');
  }
  // mysql2 reads mysql: URLs only.
  return new MySQLStore({ uri: url.replace(/^mariadb:/i, 'mysql:') });
}
