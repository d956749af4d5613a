export { fromUrl } from './from-url.js';
export { SQLiteStore, type SQLiteStoreOptions } from './store.js';
