import type { CookieJSON, SessionPatch, SessionRecord, SessionStore } from './contract.js';

/**
 * A store's calls answered at once, for a store that does no I/O. Internal to coatcheck and never
 * part of the store contract: the session engine's store-call path (session/engine/store-calls.ts)
 * uses them so that a request on MemoryStore loads and saves its session without waiting on a
 * promise. `json` is the text of the session's keys the engine already encoded.
 */
export interface ImmediateStoreCalls {
  read(id: string): SessionRecord | undefined;
  write(id: string, record: SessionRecord, json: ReadonlyMap<string, string> | undefined): void;
  patch(id: string, patch: SessionPatch, json: ReadonlyMap<string, string> | undefined): boolean;
  refresh(id: string, expires: number, touched: number, cookie?: CookieJSON): boolean;
  rotate(
    oldId: string,
    newId: string,
    record: SessionRecord,
    json: ReadonlyMap<string, string> | undefined,
  ): boolean;
  remove(id: string): void;
}

// A WeakMap rather than a property: nothing on the store object says it, so no store can claim it
// by accident, and it is not in the public types.
const registry = new WeakMap<SessionStore, ImmediateStoreCalls>();

/** Called by a store whose calls need no I/O (MemoryStore itself, not a subclass that may add some). */
export function offerImmediateCalls(store: SessionStore, calls: ImmediateStoreCalls): void {
  registry.set(store, calls);
}

/** The store's immediate calls, when it offered them. */
export function immediateCallsOf(store: SessionStore): ImmediateStoreCalls | undefined {
  return registry.get(store);
}
