export * from './cookies/index.js';
export * from './csrf/index.js';
export * from './errors.js';
export {
  CONNECT_META_KEY,
  type ConnectStore,
  ConnectStoreAdapter,
  fromConnectStore,
  isConnectStore,
} from './stores/connect.js';
export * from './stores/contract.js';
export { MemoryStore, type MemoryStoreOptions } from './stores/memory.js';
export { type ConnectSession, Store, type StoreConstructor } from './stores/store.js';
