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
import type { SessionOptions, SessionWithData } from 'coatcheck';
import {
  type Exchange,
  isSecureRequest,
  type SessionEngine,
  type SessionRequest,
  sessionEngine,
} from 'coatcheck/adapter';
import type { FastifyInstance, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';

/** What manages sessions outside a request; `info` and `ended` take the request. */
export interface FastifySessions extends Omit<SessionEngine, 'open' | 'covers' | 'info' | 'ended'> {
  /** Timing of the request's session (see `session()`'s `info`). */
  info(request: FastifyRequest): ReturnType<SessionEngine['info']>;
  /** Why the session the request's cookie named could not be used: `'expired'`, `'tampered'`, … */
  ended(request: FastifyRequest): ReturnType<SessionEngine['ended']>;
}

declare module 'fastify' {
  interface FastifyRequest {
    /**
     * The request's session (coatcheck), in the contexts where `@coatcheck/fastify` is registered;
     * after `rotate()` or `regenerate()`, the new one.
     */
    session: SessionWithData;
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
  sessionId: unknown;

  constructor(request: FastifyRequest, reply: FastifyReply) {
    this.#request = request;
    this.#reply = reply;
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
  const engine = sessionEngine(sessionOptions as SessionOptions, '@coatcheck/fastify');
  const { open: _open, covers: _covers, info, ended, ...manager } = engine;
  fastify.decorate('sessions', {
    ...manager,
    info: (request: FastifyRequest) => info(request.raw),
    ended: (request: FastifyRequest) => ended(request.raw),
  } as FastifySessions);
  fastify.decorateRequest('session', null as unknown as SessionWithData);
  fastify.decorateRequest(OPENED, null);
  fastify.addHook('onRequest', async (request, reply) => {
    if (!engine.covers(request.url.split('?')[0] ?? '/')) return;
    const opened = await engine.open(new FastifyExchange(request, reply));
    (request as unknown as Record<symbol, unknown>)[OPENED] = opened;
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
};

// Fastify's own way to say "not encapsulated" (what fastify-plugin sets): the hooks and decorators
// apply to the context that registers the plugin, and to its children, not only inside the plugin.
(plugin as unknown as Record<symbol, unknown>)[Symbol.for('skip-override')] = true;
(plugin as unknown as Record<symbol, unknown>)[Symbol.for('fastify.display-name')] = '@coatcheck/fastify';

/** The plugin; `fastify.register(session, options)` with `session()`'s options. */
export const session = plugin;
export default plugin;
