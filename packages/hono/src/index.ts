/**
 * `@coatcheck/hono`: coatcheck sessions in Hono's idiom. `app.use(session(options))`, then
 * `c.get('session')` in any handler, typed through Hono's `Variables`; every `session()` option,
 * every coatcheck store (and express-session stores), and the same guarantees, on the engine of
 * `coatcheck/fetch`.
 *
 * @example
 * ```ts
 * import { Hono } from 'hono';
 * import { type SessionEnv, session } from '@coatcheck/hono';
 *
 * const app = new Hono<SessionEnv>();
 * app.use(session({ secret: process.env.SESSION_SECRET! }));
 * app.get('/', (c) => {
 *   const s = c.get('session');
 *   s.views = Number(s.views ?? 0) + 1;
 *   return c.text(`${s.views} views`);
 * });
 * ```
 *
 * @module
 */
import type { CookieSessionOptions, SessionOptions, SessionWithData } from 'coatcheck';
import type { CsrfOptions } from 'coatcheck/csrf';
import {
  type FetchCookieSessions,
  type FetchSessions,
  fetchCookieSessions,
  fetchCsrf,
  fetchSessions,
} from 'coatcheck/fetch';
import type { Context, MiddlewareHandler } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';

/** What the middleware puts on the context: `c.get('session')`. */
export interface SessionVariables {
  /** The request's session (typed by your `SessionData`); `rotate()` moves this object to its new ID. */
  session: SessionWithData;
}

/** Hono's `Env` for an app or route with the session middleware: `new Hono<SessionEnv>()`. */
export interface SessionEnv {
  Variables: SessionVariables;
}

/**
 * The middleware, and what manages sessions outside a request (as `session()` in the core): the
 * store, a user's sessions, revoking them, handles and events. `info` and `ended` take the context.
 */
export interface HonoSessionMiddleware
  extends HonoCookieSessionMiddleware,
    Pick<FetchSessions, 'store' | 'listByUser' | 'revoke' | 'revokeAll'> {
  /**
   * With `deviceBound`: asks the browser, on this response, to bind the session to a device key
   * (`start: 'manual'`, or after sign-in without a `userKey`), as `session()`'s `bindDevice`.
   */
  bindDevice(c: Context, options?: { authorization?: string | undefined }): void;
  /** With `deviceBound`: the binding of the request's session (for a "this device" page), or `undefined`. */
  deviceBinding(c: Context): ReturnType<FetchSessions['deviceBinding']>;
}

/**
 * A coatcheck error with a status (a store outage is 503, a session gone during `rotate()` 404) as
 * Hono's `HTTPException`, so `app.onError` and Hono's default answer with that status rather than
 * 500; the message is coatcheck's, which never holds a secret or a session ID.
 */
function asHttpException(err: unknown): unknown {
  if (err instanceof HTTPException || !(err instanceof Error)) return err;
  const status = (err as { status?: unknown }).status;
  if (typeof status !== 'number' || status < 400 || status > 599) return err;
  return new HTTPException(status as ContentfulStatusCode, { message: err.message, cause: err });
}

/**
 * Session middleware for Hono: loads the session from the request's cookie before the handlers
 * run, saves it after them and puts its cookie on `c.res`. Mount it on the routes that need a
 * session (`app.use('/account/*', sessions)`); only those read the store.
 *
 * @example
 * ```ts
 * const sessions = session({ secret, store, userKey: 'userId' });
 * app.use(sessions);
 * app.post('/login', async (c) => {
 *   await c.get('session').rotate(); // a new ID for the signed-in session, same data
 *   c.get('session').userId = 'ada';
 *   return c.redirect('/');
 * });
 * app.post('/logout-everywhere', async (c) => {
 *   await sessions.revokeAll(String(c.get('session').userId));
 *   return c.redirect('/');
 * });
 * ```
 */
export function session(options: SessionOptions): HonoSessionMiddleware {
  const sessions = fetchSessions(options);
  const { bindDevice, deviceBinding } = sessions;
  return Object.assign(middlewareOn(sessions), {
    bindDevice: (c: Context, bindOptions?: { authorization?: string | undefined }) =>
      bindDevice(c.req.raw, bindOptions),
    deviceBinding: (c: Context) => deviceBinding(c.req.raw),
  }) as HonoSessionMiddleware;
}

/** {@link session}'s middleware with the session sealed into the cookie: no store, nothing to list or revoke. */
export interface HonoCookieSessionMiddleware
  extends MiddlewareHandler<SessionEnv>,
    Omit<FetchCookieSessions, 'wrap' | 'handle' | 'open' | 'info' | 'ended'> {
  /** Timing of the request's session (see `session()`'s `info`). */
  info(c: Context): ReturnType<FetchCookieSessions['info']>;
  /** Why the session the request's cookie named could not be used: `'expired'`, `'tampered'`, … */
  ended(c: Context): ReturnType<FetchCookieSessions['ended']>;
}

/**
 * Cookie sessions for Hono (coatcheck's `cookieSession()`): the whole session sealed (AES-256-GCM)
 * into the cookie, with no store, so it runs wherever Hono does; the same `c.get('session')` as
 * {@link session}, and `cookieSession()`'s options (`secret`, `maxSize`, `notBefore`, …).
 *
 * @example
 * ```ts
 * const app = new Hono<SessionEnv>();
 * app.use(cookieSession({ secret: process.env.SESSION_SECRET! }));
 * app.get('/', (c) => {
 *   const s = c.get('session');
 *   s.views = Number(s.views ?? 0) + 1;
 *   return c.text(`${s.views} views`);
 * });
 * ```
 */
export function cookieSession(options: CookieSessionOptions): HonoCookieSessionMiddleware {
  return middlewareOn(fetchCookieSessions(options));
}

function middlewareOn(sessions: FetchCookieSessions): HonoCookieSessionMiddleware {
  const middleware: MiddlewareHandler<SessionEnv> = async (c, next) => {
    let opened: Awaited<ReturnType<FetchCookieSessions['open']>>;
    try {
      opened = await sessions.open(c.req.raw, (current) => {
        // After destroy() the destroyed session stays: its methods say it was destroyed.
        if (current) c.set('session', current);
      });
    } catch (err) {
      throw asHttpException(err);
    }
    // A device-binding registration or refresh (`deviceBound`) is answered here, never passed on.
    const answer = opened.deviceAnswer;
    if (answer === undefined) await next();
    let response: Response;
    try {
      response = await opened.respond(answer ?? c.res);
    } catch (err) {
      throw asHttpException(err);
    }
    if (response !== c.res) {
      // A copy (the handler's response had immutable headers). Hono's `c.res` setter would copy the
      // old response's headers over it, Set-Cookie included, and so drop the session's cookie:
      // clearing it first makes the copy the response as it is.
      c.res = undefined as unknown as Response;
      c.res = response;
    }
  };
  const {
    wrap: _wrap,
    handle: _handle,
    open: _open,
    bindDevice: _bindDevice,
    deviceBinding: _deviceBinding,
    info,
    ended,
    ...manager
  } = sessions as FetchSessions;
  return Object.assign(middleware, manager, {
    info: (c: Context) => info(c.req.raw),
    ended: (c: Context) => ended(c.req.raw),
  }) as HonoCookieSessionMiddleware;
}

/** What {@link csrf} puts on the context: `c.get('csrfToken')()`. */
export interface CsrfVariables {
  /** A fresh CSRF token for the request's session (with `csrf({ token })`). */
  csrfToken: () => string;
}

/** Hono's `Env` for routes with both middlewares: `new Hono<SessionCsrfEnv>()`. */
export interface SessionCsrfEnv {
  Variables: SessionVariables & CsrfVariables;
}

/**
 * CSRF protection for Hono, after the session middleware: coatcheck's `csrf()` with the same
 * options and rules (Hono's own `csrf` checks `Origin` only, with no tokens). Unsafe requests pass
 * when `Sec-Fetch-Site` (or else `Origin`/`Referer`) says they come from the application's own
 * origin; with `token`, a token from `c.get('csrfToken')()` is required too, bound to the session
 * and its ID. A refused request is an `HTTPException` 403 whose `cause` is the `CsrfError`. With
 * `token.field` the field is read from a copy of the form or JSON body, so the handler still reads
 * the body itself.
 *
 * @example
 * ```ts
 * const app = new Hono<SessionCsrfEnv>();
 * app.use(session({ secret }));
 * app.use(csrf({ token: { field: '_csrf' } }));
 * app.get('/form', (c) => c.html(`<input type="hidden" name="_csrf" value="${c.get('csrfToken')()}">`));
 * ```
 */
export function csrf(options: CsrfOptions = {}): MiddlewareHandler<SessionCsrfEnv> {
  const guard = fetchCsrf(options);
  return async (c, next) => {
    const holder = {
      get session(): object {
        return c.get('session');
      },
    };
    c.set('csrfToken', () => guard.token(holder));
    const refused = await guard.check(c.req.raw, holder);
    if (refused !== undefined) throw asHttpException(refused);
    await next();
  };
}
