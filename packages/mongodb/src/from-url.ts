import { MongoDBStore, type MongoDBStoreOptions } from './store.js';

/**
 * A store from a `mongodb://` or `mongodb+srv://` URL, for `storeFromUrl` and `SESSION_STORE`. The
 * store opens its own client and closes it in `close()`; `options` are the store's other options.
 * A `collection` query parameter names the collection: it is taken out before the URL reaches the
 * driver, which refuses options it does not know.
 *
 * @example
 * ```ts
 * const store = fromUrl('mongodb://127.0.0.1:27017/app?collection=sessions');
 * ```
 */
export function fromUrl(
  url: string,
  options: Omit<MongoDBStoreOptions, 'client' | 'url' | 'uri'> = {},
): MongoDBStore {
  if (typeof url !== 'string' || !/^mongodb(\+srv)?:\/\//.test(url)) {
    throw new TypeError('@coatcheck/mongodb: fromUrl needs a mongodb:// or mongodb+srv:// URL');
  }
  const query = url.indexOf('?');
  if (query === -1) return new MongoDBStore({ ...options, url });
  const params = new URLSearchParams(url.slice(query + 1));
  const collection = params.get('collection');
  params.delete('collection');
  const rest = params.toString();
  const base = url.slice(0, query) + (rest ? `?${rest}` : '');
  return new MongoDBStore(
    collection === null ? { ...options, url: base } : { ...options, url: base, collection },
  );
}
