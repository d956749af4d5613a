export { SQLiteStore, type SQLiteStoreOptions } from './store.js';
