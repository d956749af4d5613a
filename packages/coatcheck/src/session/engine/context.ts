import type { CookieOptions } from '../cookie.js';
import type { ResolvedOptions } from '../options.js';
import type { RequestPersistence } from '../persistence.js';
import type { SessionHost } from '../session.js';
import type { Exchange } from './exchange.js';
import type { StoreCalls } from './store-calls.js';

/** What the engine's parts share for one request: its options, its exchange, its store path. */
export interface EngineContext {
  readonly options: ResolvedOptions;
  readonly exchange: Exchange;
  readonly persistence: RequestPersistence;
  readonly calls: StoreCalls;
  /** The cookie options for this request (a `cookie` function is called once, with the request). */
  readonly cookieOptions: CookieOptions;
  /** Answers the session methods (`save()`, `rotate()`, …) of every session made for this request. */
  readonly host: SessionHost;
}

/** The signed-in user a session names under `userKey`, as a string; `undefined` when none. */
export function userOf(options: ResolvedOptions, session: object): string | undefined {
  const key = options.userKey;
  if (key === undefined) return undefined;
  const value = (session as Record<string, unknown>)[key];
  return typeof value === 'string' || typeof value === 'number' ? String(value) : undefined;
}
