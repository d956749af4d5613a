import type { DeviceRequest } from '../../device-bound/hook.js';
import type { DeviceBindingInfo } from '../../device-bound/middleware.js';
import type { SessionWithData } from '../../index.js';
import {
  type AdapterDeviceBinding,
  type CookieSessionEngine,
  cookieSessionEngine,
  ReplyDeviceResponse,
  sessionEngine,
} from '../adapter.js';
import type { CookieSessionOptions } from '../cookie-session.js';
import type { CurrentSessionInfo, SessionManager, SessionMiddleware } from '../middleware.js';
import type { SessionOptions } from '../options.js';
import { Session } from '../session.js';
import { deviceRequestOf, FetchExchange, HeldHeaders } from './exchange.js';

/**
 * A request's session, opened by {@link FetchSessions.open}, until its response is ready.
 * `rotate()` and `regenerate()` move the `Session` object to its new ID, so one kept from before
 * them is still the request's session.
 */
export interface OpenedSession {
  /** The request's session (the same object after `regenerate()` or `rotate()`, under its new ID). */
  readonly session: SessionWithData;
  /**
   * Saves the session and returns `response` with its cookie: `Set-Cookie` added to those the
   * response has, and `Cache-Control: no-store` unless it sets a `Cache-Control`. Rejects, and
   * adds nothing, when the session could not be kept (a `StoreError`, status 503): answer with an
   * error instead. Call once.
   */
  respond(response: Response): Promise<Response>;
  /**
   * With `deviceBound`, on a `POST` to its registration or refresh path: device binding's answer,
   * made once the session was loaded. Give it to `respond()` instead of running the handler (`wrap`
   * and `handle` do so). `undefined` on every other request.
   */
  readonly deviceAnswer: Response | undefined;
}

/** A Fetch handler that is given the request's session, as `context.session`. */
export type SessionHandler<Rest extends unknown[] = []> = (
  request: Request,
  context: OpenedSession,
  ...rest: Rest
) => Response | Promise<Response>;

/**
 * Sessions for Fetch API handlers (`(request: Request) => Response`), with the options, stores,
 * `Session` API and guarantees of `session()`; see {@link fetchSessions}.
 */
export interface FetchSessions
  extends FetchCookieSessions,
    Pick<SessionMiddleware, 'store' | 'listByUser' | 'revoke' | 'revokeAll'> {
  /**
   * With `deviceBound`: asks the browser, on this request's response, to bind the session to a
   * device key (`start: 'manual'`, or after sign-in without a `userKey`), as `session()`'s
   * `bindDevice`. `request` is one being handled (in `wrap` or `handle`, or between `open()` and
   * `respond()`).
   */
  bindDevice(request: Request, options?: { authorization?: string | undefined }): void;
  /** With `deviceBound`: the binding of the request's session (for a "this device" page), or `undefined`. */
  deviceBinding(request: Request): DeviceBindingInfo | undefined;
}

/** Sessions sealed into the cookie for Fetch API handlers, with no store; see {@link fetchCookieSessions}. */
export interface FetchCookieSessions extends Omit<SessionManager, 'info' | 'ended' | 'on' | 'once' | 'off'> {
  /** Wraps a handler: it is given the request's session, and its response gets the session's cookie. */
  wrap<Rest extends unknown[]>(
    handler: SessionHandler<Rest>,
  ): (request: Request, ...rest: Rest) => Promise<Response>;
  /** Runs `handler` with the request's session and returns its response with the session's cookie. */
  handle(
    request: Request,
    handler: (context: OpenedSession) => Response | Promise<Response>,
  ): Promise<Response>;
  /**
   * The primitive under `wrap` and `handle`, for adapters: loads the session; `respond()` saves it.
   * `onSession` hears each session put in place (the loaded one, again after `rotate()` or
   * `regenerate()`, `undefined` after `destroy()`), for an adapter that keeps it somewhere else.
   */
  open(request: Request, onSession?: (session: Session | undefined) => void): Promise<OpenedSession>;
  /** Timing of the request's session (see `session()`'s `info`), while the request is being handled. */
  info(request: Request): CurrentSessionInfo | undefined;
  /** Why the session the request's cookie named could not be used (see `session()`'s `ended`). */
  ended(request: Request): ReturnType<SessionManager['ended']>;
  on: SessionManager['on'];
  once: SessionManager['once'];
  off: SessionManager['off'];
}

/**
 * Sessions for any Fetch API handler, `(request: Request) => Response | Promise<Response>`: the
 * session from the request's cookie, `Set-Cookie` on the response, every `session()` option and
 * store (MemoryStore, the store packages, express-session stores), and the same guarantees (no lost
 * updates, a logout never undone, idle and absolute timeouts, `rotate()`). Only the handlers you wrap
 * have a session, so there is no cookie path to skip.
 *
 * With `deviceBound` (on a runtime with node:crypto: Node.js, Bun, Deno), wrapped handlers answer
 * the registration and refresh endpoints themselves, and `bindDevice(request)` and
 * `deviceBinding(request)` work as on `session()`. For a session sealed into the cookie instead of
 * a store, see {@link fetchCookieSessions}.
 *
 * @example
 * ```ts
 * import { fetchSessions } from 'coatcheck/fetch';
 *
 * const sessions = fetchSessions({ secret: process.env.SESSION_SECRET! });
 * export const handler = sessions.wrap(async (request, context) => {
 *   const views = Number(context.session.views ?? 0) + 1;
 *   context.session.views = views;
 *   return Response.json({ views });
 * });
 * ```
 */
export function fetchSessions(options: SessionOptions): FetchSessions {
  const engine = sessionEngine(options, 'fetchSessions', { deviceBound: true });
  const device = engine.device;
  // The view of each request being handled, for bindDevice() and deviceBinding(): weak, so a
  // request never responded to is not kept.
  const views = new WeakMap<Request, { view: DeviceRequest; session: () => unknown }>();
  const viewOf = (request: Request, call: string) => {
    if (!device) throw new TypeError(`fetchSessions: ${call}() needs the session option deviceBound`);
    const held = views.get(request);
    if (!held) {
      throw new TypeError(`fetchSessions: ${call}() takes a request being handled (in wrap() or handle())`);
    }
    return { device, ...held };
  };
  return Object.assign(fetchSessionsOn(engine, 'fetchSessions', device && { device, views }), {
    bindDevice(request: Request, bindOptions?: { authorization?: string | undefined }) {
      const held = viewOf(request, 'bindDevice');
      held.device.bindDevice(held.view, bindOptions);
    },
    deviceBinding(request: Request) {
      const held = viewOf(request, 'deviceBinding');
      return held.device.info(held.view, held.session());
    },
  }) as FetchSessions;
}

/**
 * {@link fetchSessions} with the whole session sealed into the cookie, as `cookieSession()`: no
 * store, the same `wrap`, `handle` and `open`, and `cookieSession()`'s options (`maxSize`,
 * `notBefore`, …). For runtimes with no database driver, such as edge functions.
 *
 * @example
 * ```ts
 * import { fetchCookieSessions } from 'coatcheck/fetch';
 *
 * const sessions = fetchCookieSessions({ secret: process.env.SESSION_SECRET! });
 * export const handler = sessions.wrap(async (request, { session }) => {
 *   session.views = Number(session.views ?? 0) + 1;
 *   return Response.json({ views: session.views });
 * });
 * ```
 */
export function fetchCookieSessions(options: CookieSessionOptions): FetchCookieSessions {
  return fetchSessionsOn(cookieSessionEngine(options, 'fetchCookieSessions'), 'fetchCookieSessions');
}

/** Device binding for {@link fetchSessionsOn}: the engine's, and where each open request's view is kept. */
interface FetchDeviceBinding {
  device: AdapterDeviceBinding;
  views: WeakMap<Request, { view: DeviceRequest; session: () => unknown }>;
}

/** `wrap`, `handle` and `open` over either engine; `label` names the caller in errors. */
function fetchSessionsOn(
  engine: CookieSessionEngine,
  label: string,
  binding?: FetchDeviceBinding,
): FetchCookieSessions {
  async function open(
    request: Request,
    onSession?: (session: Session | undefined) => void,
  ): Promise<OpenedSession> {
    if (!(request instanceof Request)) {
      throw new TypeError(`${label}: open(), handle() and wrap() take a Fetch Request`);
    }
    const view = binding && deviceRequestOf(request);
    const headers = binding && new HeldHeaders();
    const reply = headers && new ReplyDeviceResponse(headers);
    const exchange = new FetchExchange(
      request,
      onSession,
      binding && view && headers && reply ? { hooks: binding.device.hooks(view, reply), headers } : undefined,
    );
    const opened = await engine.open(exchange);
    let deviceAnswer: Response | undefined;
    if (binding && view && reply) {
      binding.views.set(request, { view, session: () => exchange.session });
      const endpoint = binding.device.endpointOf(view);
      if (endpoint !== undefined) {
        // A registration or refresh: answered here, once the session is loaded; its headers are
        // held with the rest of device binding's and put on this response by respond().
        binding.device.serve(endpoint, view, reply, exchange.session);
        deviceAnswer = new Response(reply.body === '' ? null : reply.body, { status: reply.statusCode });
      }
    }
    let responded = false;
    return {
      deviceAnswer,
      get session() {
        const session = exchange.session;
        if (!(session instanceof Session)) {
          throw new TypeError(`${label}: the session was destroyed; respond() to clear its cookie`);
        }
        return session;
      },
      async respond(response: Response): Promise<Response> {
        if (!(response instanceof Response)) throw new TypeError(`${label}: respond() takes a Response`);
        if (responded) throw new TypeError(`${label}: respond() was called twice`);
        responded = true;
        try {
          await opened.commit();
        } finally {
          binding?.views.delete(request);
        }
        return exchange.applyTo(response);
      },
    };
  }

  const { open: _open, covers: _covers, ...manager } = engine;
  return {
    ...manager,
    info: (request: Request) => engine.info(request as never),
    ended: (request: Request) => engine.ended(request as never),
    open,
    async handle(request: Request, handler: (context: OpenedSession) => Response | Promise<Response>) {
      const opened = await open(request);
      return opened.respond(opened.deviceAnswer ?? (await handler(opened)));
    },
    wrap<Rest extends unknown[]>(handler: SessionHandler<Rest>) {
      return async (request: Request, ...rest: Rest) => {
        const opened = await open(request);
        return opened.respond(opened.deviceAnswer ?? (await handler(request, opened, ...rest)));
      };
    },
  } as FetchCookieSessions;
}
