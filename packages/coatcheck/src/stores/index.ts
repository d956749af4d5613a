/**
 * `coatcheck/stores`: the toolkit for writing a session store. The contract and its types, the
 * `Store` base that gives a store express-session's callback methods, {@link applyPatch} for stores
 * that patch in memory, the adapter that runs an express-session (connect) store, the URL-to-store
 * factory and the connection-failure tests the first-party stores share.
 *
 * Applications rarely need it: `session()` takes a store and adapts a connect store itself, and
 * `MemoryStore` and the types a store option needs are in `coatcheck`.
 *
 * @example
 * ```ts
 * import { type SessionRecord, type SessionStore, Store } from 'coatcheck/stores';
 *
 * export class MapStore extends Store implements SessionStore {
 *   readonly name = 'map';
 *   readonly #rows = new Map<string, string>();
 *   async read(id: string): Promise<SessionRecord | undefined> {
 *     const row = this.#rows.get(id);
 *     const record = row === undefined ? undefined : (JSON.parse(row) as SessionRecord);
 *     return record && record.expires > Date.now() ? record : undefined;
 *   }
 *   async write(id: string, record: SessionRecord): Promise<void> {
 *     this.#rows.set(id, JSON.stringify(record));
 *   }
 *   async remove(id: string): Promise<void> {
 *     this.#rows.delete(id);
 *   }
 * }
 * ```
 *
 * @module
 */

export { isConnectionFailure, isConnectionRefused } from '../lib/connection.js';
export {
  checkBoolean,
  checkIdentifier,
  checkPruneInterval,
  removeWithForwards,
  renamedOption,
  StoreBase,
} from './base.js';
export {
  type ConnectStore,
  ConnectStoreAdapter,
  type ConnectStoreAdapterOptions,
  DEFAULT_SCAN_TIMEOUT,
  fromConnectStore,
  isConnectStore,
} from './connect.js';
export * from './contract.js';
export { redactUrl, type StoreModule, storeFromUrl } from './from-url.js';
export { MemoryStore, type MemoryStoreOptions } from './memory.js';
export {
  decodeData,
  decodeRecord,
  decodeRows,
  isCookieJSON,
  parseStoredJSON,
  putStoredKey,
  type StoredFields,
  skipDamaged,
  storedTime,
} from './record.js';
export { type ConnectSession, Store, type StoreConstructor } from './store.js';
