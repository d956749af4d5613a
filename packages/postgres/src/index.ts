export { PostgresStore, type PostgresStoreOptions, type Queryable } from './store.js';
