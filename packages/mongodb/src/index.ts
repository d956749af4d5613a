/**
 * `@coatcheck/mongodb`: a coatcheck session store on MongoDB, and a drop-in for
 * connect-mongodb-session.
 *
 * @example
 * ```ts
 * import { MongoDBStore } from '@coatcheck/mongodb';
 * const store = new MongoDBStore({ uri: process.env.MONGODB_URI, collection: 'sessions' });
 * ```
 *
 * @module
 */
export {
  decodeKey,
  encodeKey,
  fromDocument,
  type SessionDocument,
  toDocument,
} from './documents.js';
export { MongoDBStore, type MongoDBStoreOptions } from './store.js';

import { MongoDBStore } from './store.js';

/**
 * Makes a store from a `mongodb://` or `mongodb+srv://` URL, for `storeFromUrl` in coatcheck; the
 * store opens its own client and closes it in `close()`. See {@link MongoDBStore.fromUrl}.
 *
 * @example
 * ```ts
 * import { storeFromUrl } from 'coatcheck';
 * const store = await storeFromUrl('mongodb://127.0.0.1:27017/app?collection=sessions');
 * ```
 */
export function fromUrl(url: string): MongoDBStore {
  return MongoDBStore.fromUrl(url);
}
