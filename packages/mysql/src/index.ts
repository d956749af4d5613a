export { type Executor, MySQLStore, type MySQLStoreOptions } from './store.js';
