import type { CookieSessionMiddleware, SessionMiddleware } from 'coatcheck';

/** Sessions kept in a store (`session()`), or sealed in the cookie (`cookieSession()`, SESSION_MODE=cookie). */
export type DemoSessions = SessionMiddleware | CookieSessionMiddleware;

/** Whether sessions live in a store, where the server can list and end each one. */
export function isStoreBacked(sessions: DemoSessions): sessions is SessionMiddleware {
  return 'listByUser' in sessions;
}
