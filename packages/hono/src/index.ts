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
import type { SessionOptions, SessionWithData } from 'coatcheck';
import { type FetchSessions, fetchSessions } from 'coatcheck/fetch';
import type { Context, MiddlewareHandler } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';

/** What the middleware puts on the context: `c.get('session')`. */
export interface SessionVariables {
  /** The request's session (typed by your `SessionData`); after `rotate()` or `regenerate()`, the new one. */
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
  extends MiddlewareHandler<SessionEnv>,
    Omit<FetchSessions, 'wrap' | 'handle' | 'open' | 'info' | 'ended'> {
  /** Timing of the request's session (see `session()`'s `info`). */
  info(c: Context): ReturnType<FetchSessions['info']>;
  /** Why the session the request's cookie named could not be used: `'expired'`, `'tampered'`, … */
  ended(c: Context): ReturnType<FetchSessions['ended']>;
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
  const middleware: MiddlewareHandler<SessionEnv> = async (c, next) => {
    let opened: Awaited<ReturnType<FetchSessions['open']>>;
    try {
      opened = await sessions.open(c.req.raw, (current) => {
        // After destroy() the destroyed session stays: its methods say it was destroyed.
        if (current) c.set('session', current);
      });
    } catch (err) {
      throw asHttpException(err);
    }
    await next();
    let response: Response;
    try {
      response = await opened.respond(c.res);
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
  const { wrap: _wrap, handle: _handle, open: _open, info, ended, ...manager } = sessions;
  return Object.assign(middleware, manager, {
    info: (c: Context) => info(c.req.raw),
    ended: (c: Context) => ended(c.req.raw),
  }) as HonoSessionMiddleware;
}
