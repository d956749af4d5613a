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
import type { CookieSessionOptions, SessionOptions, SessionWithData } from 'coatcheck';
import {
  type AdapterDeviceBinding,
  type CookieSessionEngine,
  cookieSessionEngine,
  type DeviceBindingInfo,
  type Exchange,
  type ExchangeDeviceHooks,
  isSecureRequest,
  ReplyDeviceResponse,
  type SessionEngine,
  type SessionRequest,
  sessionEngine,
} from 'coatcheck/adapter';
import { type CsrfOptions, csrfGuard } from 'coatcheck/csrf';
import type { Context, Middleware } from 'koa';

declare module 'koa' {
  interface ExtendableContext {
    /**
     * The request's session (coatcheck), where `@coatcheck/koa`'s middleware ran; `rotate()` and
     * `regenerate()` move this object to its new ID.
     */
    session: SessionWithData;
    /**
     * A fresh CSRF token for the request's session, where `@coatcheck/koa`'s `csrf({ token })` ran:
     * put it in forms (the `field`) or send it back in the header.
     */
    csrfToken(): string;
  }
}

/** Where the session lives in Koa: on the context. */
class KoaExchange implements Exchange {
  readonly #ctx: Context;
  readonly device: ExchangeDeviceHooks | undefined;
  sessionId: unknown;

  constructor(ctx: Context, device?: ExchangeDeviceHooks) {
    this.#ctx = ctx;
    this.device = device;
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

/** Device binding's view of Koa's response: Node's response's headers, which Koa sends with its own. */
const koaReply = (ctx: Context) =>
  new ReplyDeviceResponse({
    get: (name) => ctx.res.getHeader(name),
    set: (name, value) => ctx.res.setHeader(name, value),
    has: (name) => ctx.res.hasHeader(name),
  });

/**
 * The middleware, and what manages sessions outside a request (as coatcheck's `session()`): the
 * store, a user's sessions, revoking them, handles, events; `info` and `ended` take the context.
 */
export interface KoaSessionMiddleware
  extends KoaCookieSessionMiddleware,
    Pick<SessionEngine, 'store' | 'listByUser' | 'revoke' | 'revokeAll'> {
  /**
   * With `deviceBound`: asks the browser, on this response, to bind the session to a device key
   * (`start: 'manual'`, or after sign-in without a `userKey`), as `session()`'s `bindDevice`.
   */
  bindDevice(ctx: Context, options?: { authorization?: string | undefined }): void;
  /** With `deviceBound`: the request's session binding (for a "this device" page), or `undefined`. */
  deviceBinding(ctx: Context): DeviceBindingInfo | undefined;
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
  const engine = sessionEngine(options, '@coatcheck/koa', { deviceBound: true });
  const { device } = engine;
  const needed = (): AdapterDeviceBinding => {
    if (!device) throw new TypeError('bindDevice() and deviceBinding() need the session option deviceBound');
    return device;
  };
  return Object.assign(middlewareOn(engine, device), {
    bindDevice: (ctx: Context, bindOptions?: { authorization?: string | undefined }) =>
      needed().bindDevice(ctx.req, bindOptions),
    deviceBinding: (ctx: Context) => needed().info(ctx.req, (ctx as { session?: unknown }).session),
  }) as KoaSessionMiddleware;
}

/** {@link session}'s middleware with the session sealed into the cookie: no store, nothing to list or revoke. */
export interface KoaCookieSessionMiddleware
  extends Middleware,
    Omit<CookieSessionEngine, 'open' | 'covers' | 'info' | 'ended'> {
  /** Timing of the request's session (see `session()`'s `info`). */
  info(ctx: Context): ReturnType<CookieSessionEngine['info']>;
  /** Why the session the request's cookie named could not be used: `'expired'`, `'tampered'`, … */
  ended(ctx: Context): ReturnType<CookieSessionEngine['ended']>;
}

/**
 * Cookie sessions for Koa (coatcheck's `cookieSession()`): the whole session sealed (AES-256-GCM)
 * into the cookie, with no store, and the same `ctx.session` as {@link session}. Takes
 * `cookieSession()`'s options: `secret`, `maxSize`, `notBefore` (log a user out everywhere), ….
 *
 * @example
 * ```ts
 * app.use(cookieSession({ secret: process.env.SESSION_SECRET!, idleTimeout: 30 * 60 * 1000 }));
 * app.use((ctx) => {
 *   ctx.session.views = Number(ctx.session.views ?? 0) + 1;
 *   ctx.body = `${ctx.session.views} views`;
 * });
 * ```
 */
export function cookieSession(options: CookieSessionOptions): KoaCookieSessionMiddleware {
  return middlewareOn(cookieSessionEngine(options, '@coatcheck/koa cookieSession'));
}

function middlewareOn(
  engine: CookieSessionEngine,
  device?: AdapterDeviceBinding,
): KoaCookieSessionMiddleware {
  const middleware: Middleware = async (ctx, next) => {
    if ((ctx as { session?: unknown }).session !== undefined || !engine.covers(ctx.path)) {
      await next();
      return;
    }
    const reply = device && koaReply(ctx);
    const opened = await engine.open(new KoaExchange(ctx, reply && device?.hooks(ctx.req, reply)));
    try {
      const endpoint = device?.endpointOf(ctx.req);
      if (endpoint !== undefined && device && reply) {
        // A registration or refresh: answered here, once the session is loaded, never passed on.
        device.serve(endpoint, ctx.req, reply, (ctx as { session?: unknown }).session);
        ctx.status = reply.statusCode;
        ctx.body = reply.body;
        return;
      }
      await next();
    } finally {
      await opened.commit();
    }
  };
  const { open: _open, covers: _covers, info, ended, device: _device, ...manager } = engine as SessionEngine;
  return Object.assign(middleware, manager, {
    info: (ctx: Context) => info(ctx.req),
    ended: (ctx: Context) => ended(ctx.req),
  }) as KoaCookieSessionMiddleware;
}

/**
 * CSRF protection for Koa, after the session middleware: coatcheck's `csrf()` with the same options
 * and rules. Unsafe requests pass when `Sec-Fetch-Site` (or else `Origin`/`Referer`) says they come
 * from the application's own origin; with `token`, a token from `ctx.csrfToken()` is required too,
 * bound to the session and its ID (so `rotate()` on login makes earlier tokens worthless). A
 * refused request throws a `CsrfError` (status 403, `code` `'ERR_CSRF'`), which Koa answers with.
 * With `token.field`, a body parser (`@koa/bodyparser`) must run first: the field is read from
 * `ctx.request.body`.
 *
 * @example
 * ```ts
 * app.use(session({ secret }));
 * app.use(csrf({ token: { field: '_csrf' } }));
 * app.use((ctx) => {
 *   ctx.body = `<form method="post"><input type="hidden" name="_csrf" value="${ctx.csrfToken()}"></form>`;
 * });
 * ```
 */
export function csrf(options: CsrfOptions = {}): Middleware {
  const guard = csrfGuard(options, 'ctx.session: mount session() or cookieSession() before csrf()');
  return async (ctx, next) => {
    const session = () => {
      const current = (ctx as { session?: unknown }).session;
      return typeof current === 'object' && current !== null
        ? (current as Record<string, unknown>)
        : undefined;
    };
    if (guard.token !== undefined) ctx.csrfToken = () => guard.tokenFor(session(), session()?.id);
    const refused = guard.check({
      method: ctx.method,
      header: (name) => ctx.req.headers[name],
      session,
      sessionId: () => session()?.id,
      field: (name) => {
        const body = (ctx.request as { body?: unknown }).body;
        if (typeof body !== 'object' || body === null || !Object.hasOwn(body, name)) return undefined;
        return (body as Record<string, unknown>)[name];
      },
    });
    if (refused !== undefined) throw refused;
    await next();
  };
}
