import { SQLiteStore, type SQLiteStoreOptions } from './store.js';

/**
 * A store from a `sqlite:` URL, for `storeFromUrl` and `SESSION_STORE`:
 * `sqlite:data/sessions.db` (relative to the working directory), `sqlite:///var/lib/app/sessions.db`
 * (absolute), or `sqlite::memory:`. `?table=name` picks the table. The store opens the database
 * itself and closes it in `close()`; `options` are the store's other options.
 *
 * @example
 * ```ts
 * const store = fromUrl('sqlite:data/sessions.db?table=sessions');
 * ```
 */
export function fromUrl(url: string, options: Omit<SQLiteStoreOptions, 'path' | 'db'> = {}): SQLiteStore {
  if (typeof url !== 'string' || !url.toLowerCase().startsWith('sqlite:')) {
    throw new TypeError('@coatcheck/sqlite: fromUrl needs a sqlite: URL');
  }
  const rest = url.slice('sqlite:'.length);
  const query = rest.indexOf('?');
  const location = query === -1 ? rest : rest.slice(0, query);
  const params = new URLSearchParams(query === -1 ? '' : rest.slice(query + 1));
  const path = location.startsWith('//')
    ? decodeURIComponent(new URL(`file:${location}`).pathname)
    : decodeURIComponent(location);
  if (path === '') throw new TypeError('@coatcheck/sqlite: the sqlite: URL names no file');
  const tableName = params.get('table');
  return new SQLiteStore(tableName === null ? { ...options, path } : { ...options, path, tableName });
}
