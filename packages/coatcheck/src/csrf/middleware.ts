import type { IncomingMessage, ServerResponse } from 'node:http';
import { type CsrfOptions, type CsrfRequestView, csrfGuard } from './guard.js';
import { isSafeMethod } from './origin.js';

/** What {@link csrf} adds to the request when a token is configured. */
export interface CsrfRequest {
  /** A fresh masked token for the current session, creating the session's secret on first use. */
  csrfToken(): string;
}

type Next = (error?: unknown) => void;

/**
 * Protects cookie-authenticated unsafe requests (POST, PUT, PATCH, DELETE, …) from cross-site
 * request forgery. Safe methods always pass. By default a request passes when `Sec-Fetch-Site` is
 * `same-origin` or `none`, is refused when it is `same-site` or `cross-site`, and, from browsers
 * that do not send it, passes when `Origin` (or else `Referer`) is the application's own origin
 * or a trusted one. With `token`, a synchronizer token bound to the session is also required.
 * A refused request goes to `next` as a {@link CsrfError} (status 403, `code` `ERR_CSRF`, `reason`).
 *
 * Tokens are bound to the session ID as well as to the session's secret (when the session
 * middleware sets `req.sessionID`, as `session()`, `cookieSession()` and express-session do), so a
 * new ID makes every earlier token worthless: rotating the session on login (`req.session.rotate()`
 * or `regenerate()`) rotates the token. Hand out tokens after rotating, not before.
 *
 * @example
 * ```ts
 * app.use(session({ secret }));
 * app.use(csrf({ token: { field: '_csrf' }, trustedOrigins: ['https://admin.example'] }));
 * app.get('/form', (req, res) => res.send(`<input type="hidden" name="_csrf" value="${req.csrfToken()}">`));
 * ```
 */
export function csrf(
  options: CsrfOptions = {},
): (req: IncomingMessage, res: ServerResponse, next: Next) => void {
  const guard = csrfGuard(options, 'req.session: mount session() or cookieSession() before csrf()');

  return function csrfMiddleware(req, _res, next) {
    if (guard.token !== undefined) {
      (req as IncomingMessage & CsrfRequest).csrfToken = () =>
        guard.tokenFor(sessionOf(req), (req as IncomingMessage & { sessionID?: unknown }).sessionID);
    }
    if (isSafeMethod(req.method)) return next();
    const refused = guard.check(viewOf(req));
    if (refused !== undefined) return next(refused);
    next();
  };
}

/** Node's request as the guard reads it: `req.session`, `req.sessionID`, a parsed `req.body`. */
function viewOf(req: IncomingMessage): CsrfRequestView {
  return {
    method: req.method,
    header: (name) => req.headers[name],
    session: () => sessionOf(req),
    sessionId: () => (req as IncomingMessage & { sessionID?: unknown }).sessionID,
    field: (name) => bodyField(req, name),
  };
}

function sessionOf(req: IncomingMessage): Record<string, unknown> | undefined {
  const session = (req as IncomingMessage & { session?: unknown }).session;
  return typeof session === 'object' && session !== null ? (session as Record<string, unknown>) : undefined;
}

function bodyField(req: IncomingMessage, field: string): unknown {
  const body = (req as IncomingMessage & { body?: unknown }).body;
  if (typeof body !== 'object' || body === null || !Object.hasOwn(body, field)) return undefined;
  return (body as Record<string, unknown>)[field];
}
