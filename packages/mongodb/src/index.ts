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
export { fromUrl } from './from-url.js';
export { type ForwardDocument, MongoDBStore, type MongoDBStoreOptions } from './store.js';
