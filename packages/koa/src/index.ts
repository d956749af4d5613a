/**
 * `@coatcheck/koa`: coatcheck sessions in Koa's idiom. `app.use(session(options))`, then
 * `ctx.session` in any middleware after it, typed through your `SessionData`; every `session()`
 * option, every coatcheck store (and express-session stores), and the same guarantees. Works on
 * Koa 2 and 3.
 *
 * @example
 * ```ts
 * import Koa from 'koa';
 * import { session } from '@coatcheck/koa';
 *
 * const app = new Koa();
 * app.use(session({ secret: process.env.SESSION_SECRET! }));
 * app.use((ctx) => {
 *   ctx.session.views = Number(ctx.session.views ?? 0) + 1;
 *   ctx.body = `${ctx.session.views} views`;
 * });
 * ```
 *
 * @module
 */
import type { SessionOptions, SessionWithData } from 'coatcheck';
import {
  type Exchange,
  isSecureRequest,
  type SessionEngine,
  type SessionRequest,
  sessionEngine,
} from 'coatcheck/adapter';
import type { Context, Middleware } from 'koa';

declare module 'koa' {
  interface ExtendableContext {
    /**
     * The request's session (coatcheck), where `@coatcheck/koa`'s middleware ran; after `rotate()` or
     * `regenerate()`, the new one.
     */
    session: SessionWithData;
  }
}

/** Where the session lives in Koa: on the context. */
class KoaExchange implements Exchange {
  readonly #ctx: Context;
  sessionId: unknown;

  constructor(ctx: Context) {
    this.#ctx = ctx;
  }

  /** Node's request: what `genid`, a `cookie` function and `ended()` get, as under `session()`. */
  get request(): object {
    return this.#ctx.req;
  }

  cookieHeader(): string | undefined {
    return this.#ctx.req.headers.cookie;
  }

  isSecure(proxy: boolean | undefined): boolean {
    // Unset: what Koa concluded (`ctx.secure`, which reads X-Forwarded-Proto when `app.proxy` is on).
    const { socket, headers } = this.#ctx.req;
    return isSecureRequest({ socket, headers, secure: this.#ctx.secure } as SessionRequest, proxy);
  }

  get session(): SessionWithData | undefined {
    return (this.#ctx as { session?: SessionWithData }).session;
  }

  set session(session: SessionWithData | null | undefined) {
    (this.#ctx as { session?: SessionWithData | null | undefined }).session = session;
  }

  dropSession(): void {
    (this.#ctx as { session?: unknown }).session = undefined;
  }

  headersSent(): boolean {
    return this.#ctx.headerSent;
  }

  appendSetCookie(values: readonly string[]): void {
    this.#ctx.append('Set-Cookie', [...values]);
  }

  setHeaderUnlessPresent(name: string, value: string): void {
    if (!this.#ctx.response.get(name)) this.#ctx.set(name, value);
  }
}

/**
 * The middleware, and what manages sessions outside a request (as coatcheck's `session()`): the
 * store, a user's sessions, revoking them, handles, events; `info` and `ended` take the context.
 */
export interface KoaSessionMiddleware
  extends Middleware,
    Omit<SessionEngine, 'open' | 'covers' | 'info' | 'ended'> {
  /** Timing of the request's session (see `session()`'s `info`). */
  info(ctx: Context): ReturnType<SessionEngine['info']>;
  /** Why the session the request's cookie named could not be used: `'expired'`, `'tampered'`, … */
  ended(ctx: Context): ReturnType<SessionEngine['ended']>;
}

/**
 * Session middleware for Koa: loads the session before the middleware after it, and saves it when
 * they are done (also when they threw, as koa-session commits), before Koa writes the response.
 * Requests outside the session cookie's `path` get no session. A coatcheck error has a `status`
 * (503 when the store is down), which Koa answers with.
 *
 * @example
 * ```ts
 * const sessions = session({ secret, store, userKey: 'userId' });
 * app.use(sessions);
 * router.post('/login', async (ctx) => {
 *   await ctx.session.rotate(); // a new ID for the signed-in session, the same data
 *   ctx.session.userId = user.id;
 *   ctx.redirect('/');
 * });
 * router.post('/logout-everywhere', async (ctx) => {
 *   await sessions.revokeAll(String(ctx.session.userId));
 *   ctx.redirect('/');
 * });
 * ```
 */
export function session(options: SessionOptions): KoaSessionMiddleware {
  const engine = sessionEngine(options, '@coatcheck/koa');
  const middleware: Middleware = async (ctx, next) => {
    if ((ctx as { session?: unknown }).session !== undefined || !engine.covers(ctx.path)) {
      await next();
      return;
    }
    const opened = await engine.open(new KoaExchange(ctx));
    try {
      await next();
    } finally {
      await opened.commit();
    }
  };
  const { open: _open, covers: _covers, info, ended, ...manager } = engine;
  return Object.assign(middleware, manager, {
    info: (ctx: Context) => info(ctx.req),
    ended: (ctx: Context) => ended(ctx.req),
  }) as KoaSessionMiddleware;
}
