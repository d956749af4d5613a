import type { CookieJSON, SessionPatch, SessionRecord, SessionStore } from './contract.js';

/**
 * A store's calls answered at once, for a store that does no I/O. Internal to coatcheck: with them a
 * request on MemoryStore loads and saves its session without waiting on a promise, so the response
 * is not held back a turn of the event loop.
 */
export interface ImmediateStoreCalls {
  read(id: string): SessionRecord | undefined;
  patch(id: string, patch: SessionPatch): boolean;
  refresh(id: string, expires: number, touched: number, cookie?: CookieJSON): boolean;
}

export const IMMEDIATE_CALLS = Symbol('coatcheck.immediateCalls');

/** The store's immediate calls, when it has them. */
export function immediateCallsOf(store: SessionStore): ImmediateStoreCalls | undefined {
  return (store as { [IMMEDIATE_CALLS]?: ImmediateStoreCalls })[IMMEDIATE_CALLS];
}
