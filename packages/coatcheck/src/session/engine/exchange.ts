import type { ParsedCookies } from '../persistence.js';
import type { Session } from '../session.js';

/**
 * One request and its response, as the session engine sees them: the seam between the engine and a
 * framework. The engine never touches a framework's request or response; an adapter implements this
 * (session/http/ for node:http and Express, session/fetch/ for a Fetch `Request` → `Response`).
 *
 * The engine tells the adapter nothing about timing; the adapter tells the engine, by calling
 * `RequestSession.beforeHeaders()` when headers are about to go out, `commit()` when the response
 * is about to end (and waiting on it), then `finish()`.
 */
export interface Exchange {
  /**
   * The request itself, opaque to the engine: handed to the application's own callbacks (`genid`,
   * a `cookie` function) and used as the key of `ended()`.
   */
  readonly request: object;
  /** The request's `Cookie` header. */
  cookieHeader(): string | undefined;
  /**
   * Whether the request came over HTTPS: `proxy` `true` trusts `X-Forwarded-Proto`, `false` only the
   * connection, `undefined` what the framework concluded (Express's `req.secure`). Asked only when a
   * cookie is sent, once per response.
   */
  isSecure(proxy: boolean | undefined): boolean;
  /** The session the application holds now (`req.session`): the engine puts it there and reads it back. */
  session: Session | null | undefined;
  /** The session ID the application sees (`req.sessionID`); it may assign another, as with express-session. */
  sessionId: unknown;
  /** Takes the session away from the application (after `destroy()`). */
  dropSession(): void;
  /** The headers are gone: nothing can be added. */
  headersSent(): boolean;
  /** Adds `Set-Cookie` values to the response, keeping those already there. */
  appendSetCookie(values: readonly string[]): void;
  /** Sets a response header unless the application set it already (`Cache-Control: no-store`). */
  setHeaderUnlessPresent(name: string, value: string): void;
  /** Cookies a parser that ran first left on the request, for express-session's fallback; optional. */
  parsedCookies?(): ParsedCookies | undefined;
  /** Device binding's two hooks, when the adapter supports it (`deviceBound`, node:http only today). */
  readonly device?: ExchangeDeviceHooks | undefined;
}

/** What device binding does at the two points it matters; see device-bound/hook.ts. */
export interface ExchangeDeviceHooks {
  admits(session: Session, now: number): boolean;
  respond(session: Session, user: string | undefined, secure: boolean, arrivedWith: string | undefined): void;
}
