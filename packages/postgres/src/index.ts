export { fromUrl } from './from-url.js';
export { PostgresStore, type PostgresStoreOptions, type Queryable } from './store.js';
