import type { CsrfError } from '../errors.js';
import { type CsrfOptions, csrfGuard } from './guard.js';
import { isSafeMethod } from './origin.js';

/** What holds a request's session for {@link fetchCsrf}: `fetchSessions`' opened session, or any `{ session }`. */
export interface SessionHolder {
  readonly session: object;
}

/** CSRF protection for Fetch API handlers; see {@link fetchCsrf}. */
export interface FetchCsrf {
  /**
   * Why `request` must be refused (a `CsrfError`: status 403, `code` `ERR_CSRF`, `reason`), or
   * `undefined` when it may proceed. Safe methods always pass. With `token.field`, the field is read
   * from a copy of the body (form or JSON), so the handler can still read the request's own.
   */
  check(request: Request, context?: SessionHolder): Promise<CsrfError | undefined>;
  /** A fresh masked token for the request's session, creating its secret on first use. Needs `token`. */
  token(context: SessionHolder): string;
}

/**
 * `csrf()` for Fetch API handlers, with the same options and rules: the `Sec-Fetch-Site` /
 * `Origin` check, and with `token` a synchronizer token bound to the session (and to its ID, so
 * `rotate()` on login makes earlier tokens worthless). Use it inside `fetchSessions().wrap()`.
 *
 * @example
 * ```ts
 * import { fetchCsrf, fetchSessions } from 'coatcheck/fetch';
 *
 * const sessions = fetchSessions({ secret: process.env.SESSION_SECRET! });
 * const csrf = fetchCsrf({ token: { field: '_csrf' } });
 * export const handler = sessions.wrap(async (request, context) => {
 *   const refused = await csrf.check(request, context);
 *   if (refused) return new Response(refused.message, { status: refused.status });
 *   if (request.method === 'GET') return new Response(`<input name="_csrf" value="${csrf.token(context)}">`);
 *   return new Response('saved');
 * });
 * ```
 */
export function fetchCsrf(options: CsrfOptions = {}): FetchCsrf {
  const guard = csrfGuard(
    options,
    'a session: give check() and token() what holds it (the context of fetchSessions().wrap()), after the session middleware',
  );
  return {
    async check(request, context) {
      if (!(request instanceof Request)) throw new TypeError('fetchCsrf: check() takes a Fetch Request');
      if (isSafeMethod(request.method)) return undefined;
      const session = sessionOf(context);
      const view = {
        method: request.method,
        header: (name: string) =>
          request.headers.get(name) ?? (name === 'host' ? hostOf(request) : undefined),
        session: () => session,
        sessionId: () => session?.id,
      };
      const field = guard.token?.field;
      if (field === undefined || !guard.needsToken(view)) {
        const refused = guard.check(view);
        if (refused instanceof TypeError) throw refused;
        return refused;
      }
      const given = await bodyField(request, field);
      const refused = guard.check({ ...view, field: () => given });
      if (refused instanceof TypeError) throw refused;
      return refused;
    },
    token(context) {
      const session = sessionOf(context);
      return guard.tokenFor(session, session?.id);
    },
  };
}

/**
 * The host a Fetch `Request` was sent to: a server builds `request.url` from the `Host` header, and
 * a `Request` made in code (`app.request()`, tests) has no `Host` header at all, only its URL.
 */
function hostOf(request: Request): string | undefined {
  try {
    return new URL(request.url).host;
  } catch {
    return undefined;
  }
}

function sessionOf(context: SessionHolder | undefined): Record<string, unknown> | undefined {
  let session: unknown;
  try {
    session = context?.session;
  } catch {
    // fetchSessions' getter throws once the session was destroyed: there is none.
    return undefined;
  }
  return typeof session === 'object' && session !== null ? (session as Record<string, unknown>) : undefined;
}

/** The body's field `name`, from a copy of the body: a form (urlencoded or multipart) or a JSON object. */
async function bodyField(request: Request, name: string): Promise<unknown> {
  const type = request.headers.get('content-type')?.toLowerCase() ?? '';
  try {
    if (type.startsWith('application/x-www-form-urlencoded') || type.startsWith('multipart/form-data')) {
      const value = (await request.clone().formData()).get(name);
      return typeof value === 'string' ? value : undefined;
    }
    if (type.startsWith('application/json') || type.endsWith('+json')) {
      const body: unknown = await request.clone().json();
      if (typeof body !== 'object' || body === null || !Object.hasOwn(body, name)) return undefined;
      return (body as Record<string, unknown>)[name];
    }
  } catch {
    // A body that does not parse carries no token: refused as missing.
  }
  return undefined;
}
