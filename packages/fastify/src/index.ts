/**
 * `@coatcheck/fastify`: coatcheck sessions as a Fastify 5 plugin. `fastify.register(session,
 * options)`, then `request.session` in every route of that context, typed through your
 * `SessionData`; `fastify.sessions` manages sessions outside a request. Every option of coatcheck's
 * `session()`, every coatcheck store (and express-session stores), and the same guarantees.
 *
 * @example
 * ```ts
 * import Fastify from 'fastify';
 * import { session } from '@coatcheck/fastify';
 *
 * const app = Fastify();
 * await app.register(session, { secret: process.env.SESSION_SECRET! });
 * app.get('/', async (request) => {
 *   request.session.views = Number(request.session.views ?? 0) + 1;
 *   return `${request.session.views} views`;
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
import type { FastifyInstance, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';

/** What manages sessions outside a request; `info` and `ended` take the request. */
export interface FastifySessions
  extends Omit<SessionEngine, 'open' | 'covers' | 'info' | 'ended' | 'device'> {
  /** Timing of the request's session (see `session()`'s `info`). */
  info(request: FastifyRequest): ReturnType<SessionEngine['info']>;
  /** Why the session the request's cookie named could not be used: `'expired'`, `'tampered'`, … */
  ended(request: FastifyRequest): ReturnType<SessionEngine['ended']>;
  /**
   * With `deviceBound`: asks the browser, on this request's reply, to bind the session to a device
   * key (`start: 'manual'`, or after sign-in without a `userKey`), as `session()`'s `bindDevice`.
   */
  bindDevice(request: FastifyRequest, options?: { authorization?: string | undefined }): void;
  /** With `deviceBound`: the request's session binding (for a "this device" page), or `undefined`. */
  deviceBinding(request: FastifyRequest): DeviceBindingInfo | undefined;
}

declare module 'fastify' {
  interface FastifyRequest {
    /**
     * The request's session (coatcheck), in the contexts where `@coatcheck/fastify` is registered;
     * `rotate()` and `regenerate()` move this object to its new ID.
     */
    session: SessionWithData;
    /**
     * A fresh CSRF token for the request's session, in the contexts where `@coatcheck/fastify`'s
     * `csrf` plugin is registered with `token`.
     */
    csrfToken(): string;
  }
  interface FastifyInstance {
    /** coatcheck's session manager: a user's sessions, revoking them, handles, events. */
    sessions: FastifySessions;
  }
}

/** The session on Fastify's request, its cookie on Fastify's reply. */
class FastifyExchange implements Exchange {
  readonly #request: FastifyRequest;
  readonly #reply: FastifyReply;
  readonly device: ExchangeDeviceHooks | undefined;
  sessionId: unknown;

  constructor(request: FastifyRequest, reply: FastifyReply, device?: ExchangeDeviceHooks) {
    this.#request = request;
    this.#reply = reply;
    this.device = device;
  }

  /** Node's request: what `genid`, a `cookie` function and `ended()` get, as under `session()`. */
  get request(): object {
    return this.#request.raw;
  }

  cookieHeader(): string | undefined {
    return this.#request.headers.cookie;
  }

  isSecure(proxy: boolean | undefined): boolean {
    // Unset: what Fastify concluded (`request.protocol`, which honours `trustProxy`).
    const { socket, headers } = this.#request.raw;
    const secure = this.#request.protocol === 'https';
    return isSecureRequest({ socket, headers, secure } as SessionRequest, proxy);
  }

  get session(): SessionWithData | undefined {
    return (this.#request as { session?: SessionWithData }).session ?? undefined;
  }

  set session(session: SessionWithData | null | undefined) {
    (this.#request as { session?: SessionWithData | null }).session = session ?? null;
  }

  dropSession(): void {
    (this.#request as { session?: unknown }).session = null;
  }

  headersSent(): boolean {
    return this.#reply.sent || this.#reply.raw.headersSent;
  }

  appendSetCookie(values: readonly string[]): void {
    const existing = this.#reply.getHeader('set-cookie');
    const all = [
      ...(existing === undefined ? [] : Array.isArray(existing) ? existing.map(String) : [String(existing)]),
      ...values,
    ];
    this.#reply.removeHeader('set-cookie');
    this.#reply.header('set-cookie', all);
  }

  setHeaderUnlessPresent(name: string, value: string): void {
    if (!this.#reply.hasHeader(name)) this.#reply.header(name, value);
  }
}

/**
 * Device binding's view of Fastify's reply: headers through `reply.header()`, so they are sent with
 * Fastify's own (a header set on the raw response would lose to a reply header of the same name).
 */
const fastifyReply = (reply: FastifyReply) =>
  new ReplyDeviceResponse({
    get: (name) => reply.getHeader(name) as number | string | string[] | undefined,
    set: (name, value) => reply.header(name, value),
    has: (name) => reply.hasHeader(name),
  });

const OPENED = Symbol('coatcheck session');

/**
 * The plugin: register it where routes need a session (the whole app, or one encapsulated
 * context). The session is loaded in `onRequest` and saved in `onSend`, before the reply's headers
 * go, so a redirect or a stream gets its cookie too. Requests outside the session cookie's `path`
 * get none. A coatcheck error has a `statusCode` (503 when the store is down), which Fastify's
 * error handler answers with.
 *
 * @example
 * ```ts
 * await app.register(session, { secret, store, userKey: 'userId' });
 * app.post('/login', async (request, reply) => {
 *   await request.session.rotate(); // a new ID for the signed-in session, the same data
 *   request.session.userId = user.id;
 *   return reply.redirect('/');
 * });
 * app.post('/logout-everywhere', async (request) => {
 *   await app.sessions.revokeAll(String(request.session.userId));
 *   return 'signed out everywhere';
 * });
 * ```
 */
const plugin: FastifyPluginAsync<SessionOptions> = async (fastify: FastifyInstance, options) => {
  const { prefix: _prefix, ...sessionOptions } = options as SessionOptions & { prefix?: string };
  const engine = sessionEngine(sessionOptions as SessionOptions, '@coatcheck/fastify', { deviceBound: true });
  const { device } = engine;
  const needed = (): AdapterDeviceBinding => {
    if (!device) throw new TypeError('bindDevice() and deviceBinding() need the session option deviceBound');
    return device;
  };
  hooksOn(
    fastify,
    engine,
    {
      bindDevice: (request, bindOptions) => needed().bindDevice(request.raw, bindOptions),
      deviceBinding: (request) => needed().info(request.raw, (request as { session?: unknown }).session),
    },
    device,
  );
};

/**
 * The plugin with the session sealed into the cookie (coatcheck's `cookieSession()`): no store, the
 * same `request.session`, and `cookieSession()`'s options (`secret`, `maxSize`, `notBefore`, …).
 * `fastify.sessions` has handles, `info`, `ended` and events; with no store, `listByUser`, `revoke`
 * and `revokeAll` throw a `TypeError` (use `notBefore`).
 *
 * @example
 * ```ts
 * await app.register(cookieSession, { secret: process.env.SESSION_SECRET! });
 * app.get('/', async (request) => {
 *   request.session.views = Number(request.session.views ?? 0) + 1;
 *   return `${request.session.views} views`;
 * });
 * ```
 */
const cookiePlugin: FastifyPluginAsync<CookieSessionOptions> = async (fastify, options) => {
  const { prefix: _prefix, ...sessionOptions } = options as CookieSessionOptions & { prefix?: string };
  const engine = cookieSessionEngine(sessionOptions, '@coatcheck/fastify cookieSession');
  // fastify.sessions has one type for both plugins: what needs a store says why it is missing.
  const noStore = (): never => {
    throw new TypeError(
      '@coatcheck/fastify cookieSession: cookie sessions have no store to list or revoke; use notBefore to log a user out everywhere',
    );
  };
  const noDevice = (): never => {
    throw new TypeError(
      '@coatcheck/fastify cookieSession: device binding needs the session plugin with deviceBound',
    );
  };
  hooksOn(fastify, engine, {
    listByUser: noStore,
    revoke: noStore,
    revokeAll: noStore,
    bindDevice: noDevice,
    deviceBinding: noDevice,
  });
};

/**
 * `fastify.sessions`, `request.session`, and the two hooks that load and save it. With device
 * binding, the registration and refresh endpoints are answered in `onRequest`, once the session is
 * loaded, before any route: they need none (register the plugin at the root, where requests that
 * match no route are handled too).
 */
function hooksOn(
  fastify: FastifyInstance,
  engine: CookieSessionEngine,
  extra: Partial<FastifySessions> = {},
  device?: AdapterDeviceBinding,
): void {
  const { open: _open, covers: _covers, info, ended, device: _device, ...manager } = engine as SessionEngine;
  fastify.decorate('sessions', {
    ...extra,
    ...manager,
    info: (request: FastifyRequest) => info(request.raw),
    ended: (request: FastifyRequest) => ended(request.raw),
  } as FastifySessions);
  fastify.decorateRequest('session', null as unknown as SessionWithData);
  fastify.decorateRequest(OPENED, null);
  fastify.addHook('onRequest', async (request, reply) => {
    if (!engine.covers(request.url.split('?')[0] ?? '/')) return;
    const answer = device && fastifyReply(reply);
    const hooks = answer && device?.hooks(request.raw, answer);
    const opened = await engine.open(new FastifyExchange(request, reply, hooks));
    (request as unknown as Record<symbol, unknown>)[OPENED] = opened;
    const endpoint = device?.endpointOf(request.raw);
    if (endpoint !== undefined && device && answer) {
      device.serve(endpoint, request.raw, answer, (request as { session?: unknown }).session);
      return reply.code(answer.statusCode).send(answer.body);
    }
    return undefined;
  });
  fastify.addHook('onSend', async (request, _reply, payload) => {
    const holder = request as unknown as Record<symbol, { commit(): Promise<void> } | null>;
    const opened = holder[OPENED];
    if (opened) {
      holder[OPENED] = null;
      await opened.commit();
    }
    return payload;
  });
}

/**
 * CSRF protection as a Fastify plugin, registered after the session plugin: coatcheck's `csrf()`
 * with the same options and rules, checked in a `preHandler` hook (after the body is parsed).
 * Unsafe requests pass when `Sec-Fetch-Site` (or else `Origin`/`Referer`) says they come from the
 * application's own origin; with `token`, a token from `request.csrfToken()` is required too, bound
 * to the session and its ID. A refused request fails with a `CsrfError` (`statusCode` 403, `code`
 * `'ERR_CSRF'`), which Fastify's error handler answers with. With `token.field` the field is read
 * from `request.body` (a form body needs `@fastify/formbody`).
 *
 * @example
 * ```ts
 * await app.register(session, { secret });
 * await app.register(csrf, { token: { field: '_csrf' } });
 * app.get('/form', async (request, reply) =>
 *   reply.type('text/html').send(`<input type="hidden" name="_csrf" value="${request.csrfToken()}">`),
 * );
 * ```
 */
const csrfPlugin: FastifyPluginAsync<CsrfOptions> = async (fastify, options) => {
  const { prefix: _prefix, ...csrfOptions } = options as CsrfOptions & { prefix?: string };
  const guard = csrfGuard(
    csrfOptions,
    'request.session: register session or cookieSession before csrf, in the same context',
  );
  const sessionOf = (request: FastifyRequest) => {
    const current: unknown = (request as { session?: unknown }).session;
    return typeof current === 'object' && current !== null ? (current as Record<string, unknown>) : undefined;
  };
  fastify.decorateRequest('csrfToken', function (this: FastifyRequest) {
    return guard.tokenFor(sessionOf(this), sessionOf(this)?.id);
  });
  fastify.addHook('preHandler', async (request) => {
    const refused = guard.check({
      method: request.method,
      header: (name) => request.headers[name],
      session: () => sessionOf(request),
      sessionId: () => sessionOf(request)?.id,
      field: (name) => {
        const body: unknown = request.body;
        if (typeof body !== 'object' || body === null || !Object.hasOwn(body, name)) return undefined;
        return (body as Record<string, unknown>)[name];
      },
    });
    if (refused !== undefined) throw refused;
  });
};

// Fastify's own way to say "not encapsulated" (what fastify-plugin sets): the hooks and decorators
// apply to the context that registers the plugin, and to its children, not only inside the plugin.
for (const [registered, name] of [
  [plugin, '@coatcheck/fastify'],
  [cookiePlugin, '@coatcheck/fastify cookieSession'],
  [csrfPlugin, '@coatcheck/fastify csrf'],
] as const) {
  (registered as unknown as Record<symbol, unknown>)[Symbol.for('skip-override')] = true;
  (registered as unknown as Record<symbol, unknown>)[Symbol.for('fastify.display-name')] = name;
}

/** The plugin; `fastify.register(session, options)` with `session()`'s options. */
export const session = plugin;
/** The cookie-session plugin; `fastify.register(cookieSession, options)` with `cookieSession()`'s options. */
export const cookieSession = cookiePlugin;
/** The CSRF plugin; `fastify.register(csrf, options)` with `csrf()`'s options. */
export const csrf = csrfPlugin;
export default plugin;
