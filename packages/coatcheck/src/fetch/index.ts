/**
 * `coatcheck/fetch`: sessions for Fetch API handlers (`(request: Request) => Response`), on the same
 * engine, options and stores as `session()`. In the core rather than a package of its own: it needs
 * no framework and nothing but the Fetch API that Node 20, Bun, Deno and edge runtimes provide.
 *
 * @example
 * ```ts
 * import { fetchSessions } from 'coatcheck/fetch';
 * const sessions = fetchSessions({ secret: process.env.SESSION_SECRET! });
 * export default { fetch: sessions.wrap(async (request, { session }) => new Response(String(session.id.length))) };
 * ```
 *
 * `fetchCookieSessions` seals the whole session into the cookie instead (no store), and `fetchCsrf`
 * is `csrf()` for these handlers.
 *
 * @module
 */
export { type FetchCsrf, fetchCsrf, type SessionHolder } from '../csrf/fetch.js';
export { fetchPathOf, isSecureFetchRequest } from '../session/fetch/exchange.js';
export {
  type FetchCookieSessions,
  type FetchSessions,
  fetchCookieSessions,
  fetchSessions,
  type OpenedSession,
  type SessionHandler,
} from '../session/fetch/sessions.js';
