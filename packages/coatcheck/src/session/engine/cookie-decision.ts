/**
 * Whether a request to `path` gets a session: only where the browser sends the session cookie, that
 * is under its `path` (a `cookie` function decides per request, so then every path does).
 */
export function coversPath(cookie: unknown, path: string): boolean {
  if (cookie === null || typeof cookie !== 'object') return true;
  return path.startsWith((cookie as { path?: string }).path ?? '/');
}

/** What decides whether a response carries the session cookie. */
export interface CookieFacts {
  /** A new session about to be stored: its browser has no cookie for it yet. */
  fresh: boolean;
  /** The cookie must name another ID than the request's did (a rotation, a reassigned `req.sessionID`). */
  idChanged: boolean;
  /** `rolling`: every response restarts the cookie's `maxAge`. */
  rolling: boolean;
  /** The request's cookie was signed or sealed with an older secret: send it under the newest. */
  renew: boolean;
  /** The record the cookie itself carries changed (a sealed cookie). */
  recordChanged: boolean;
  /** The cookie has an expiry (not a browser-session cookie), which a modification moves. */
  expiring: boolean;
  /** The session was modified in this request. */
  modified: boolean;
}

/**
 * The "send the cookie?" test, the one place it is made; the engine asks it early (headers going
 * out while the body streams) and at the end, with what it knows at each point. As
 * express-session: a session cookie goes out when it is new or names another ID, on every response
 * under `rolling`, and when a persistent cookie's expiry moved because the session changed.
 */
export function shouldSendCookie(facts: CookieFacts): boolean {
  return (
    facts.fresh ||
    facts.idChanged ||
    facts.rolling ||
    facts.renew ||
    facts.recordChanged ||
    (facts.expiring && facts.modified)
  );
}

/** A `Secure` cookie on a plain-HTTP response: the browser would drop it, so it is not sent. */
export function browserWouldDrop(cookieSecure: boolean | undefined, overHttps: boolean): boolean {
  return cookieSecure === true && !overHttps;
}
