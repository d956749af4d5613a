export { fromUrl } from './from-url.js';
export { type Executor, MySQLStore, type MySQLStoreOptions } from './store.js';
