import type { DeviceRequest, DeviceResponse } from '../device-bound/hook.js';
import type { DeviceBindingInfo } from '../device-bound/middleware.js';
import type { StoreError } from '../errors.js';
import { type CookieSessionOptions, resolveCookieSession } from './cookie-session.js';
import { coversPath } from './engine/cookie-decision.js';
import type { Exchange, ExchangeDeviceHooks } from './engine/exchange.js';
import { RequestSession } from './engine/request-session.js';
import {
  type SessionManager,
  type SessionMiddleware,
  sharedManagerOf,
  storeManagerOf,
  storeRefusal,
} from './middleware.js';
import { type ResolvedOptions, resolveOptions, type SessionOptions } from './options.js';

/** One request's session, opened by {@link SessionEngine.open}. */
export interface OpenedRequest {
  /**
   * Saves what the request changed and decides its cookie, through the exchange: call it once, when
   * the response is about to be sent and its headers can still change. Rejects (and sets no cookie)
   * when the session could not be kept: a `StoreError` (status 503) to answer with.
   */
  commit(): Promise<void>;
}

/**
 * The session engine of `session()`, for a framework adapter: `open()` a request through the
 * adapter's {@link Exchange}, let the application run, `commit()` before the response goes. Also
 * what manages sessions outside a request, as on `session()`'s middleware; `info` and `ended` take
 * the exchange's `request`.
 */
export interface SessionEngine
  extends CookieSessionEngine,
    Pick<SessionMiddleware, 'store' | 'listByUser' | 'revoke' | 'revokeAll'> {
  /**
   * Device binding, with the `deviceBound` option, for an adapter that declared
   * `{ deviceBound: true }`; `undefined` otherwise.
   */
  readonly device: AdapterDeviceBinding | undefined;
}

/** A framework's response headers, as {@link ReplyDeviceResponse} reaches them. */
export interface ReplyHeaders {
  get(name: string): number | string | string[] | undefined;
  set(name: string, value: number | string | readonly string[]): void;
  has(name: string): boolean;
}

/**
 * A {@link DeviceResponse} over a framework's reply: headers go through the framework, so they are
 * sent with its own, and `end()` keeps the body for the adapter to send once the session is saved.
 */
export class ReplyDeviceResponse implements DeviceResponse {
  readonly #headers: ReplyHeaders;
  statusCode = 200;
  body = '';

  constructor(headers: ReplyHeaders) {
    this.#headers = headers;
  }

  getHeader(name: string) {
    return this.#headers.get(name);
  }

  setHeader(name: string, value: number | string | readonly string[]): void {
    this.#headers.set(name, value);
  }

  hasHeader(name: string): boolean {
    return this.#headers.has(name);
  }

  end(body?: string): void {
    this.body = body ?? '';
  }
}

/** What an adapter may declare it can do, beyond an {@link Exchange}. */
export interface EngineSupport {
  /**
   * The adapter gives device binding a {@link DeviceRequest} per request (node's request itself, or a
   * view of a Fetch `Request`) and stands in for the response's headers ({@link DeviceResponse}):
   * `deviceBound` is allowed.
   */
  deviceBound?: boolean;
}

/**
 * Device-bound sessions (DBSC) for an adapter: the exchange's two hooks, and the
 * registration and refresh endpoints, which the adapter serves once the request's session is
 * loaded, never passing the request on. `res` stands in for the framework's reply: its headers go
 * out with the response, and `end(body)` gives the body to answer with.
 */
export interface AdapterDeviceBinding {
  /** The hooks of one request's exchange. */
  hooks(req: DeviceRequest, res: DeviceResponse): ExchangeDeviceHooks;
  /** The endpoint a request is for, if any. */
  endpointOf(req: DeviceRequest): 'registration' | 'refresh' | undefined;
  /** Answers a registration or refresh request into `res`. */
  serve(
    endpoint: 'registration' | 'refresh',
    req: DeviceRequest,
    res: DeviceResponse,
    session: unknown,
  ): void;
  /** `session()`'s `bindDevice(req)`: asks for a registration on this request's response. */
  bindDevice(req: DeviceRequest, options?: { authorization?: string | undefined }): void;
  /** `session()`'s `deviceBinding(req)`, with the request's session given. */
  info(req: DeviceRequest, session: unknown): DeviceBindingInfo | undefined;
}

/**
 * The engine of a cookie session ({@link cookieSessionEngine}): requests, handles, `info`, `ended`
 * and events, and no store.
 */
export interface CookieSessionEngine extends Omit<SessionManager, never> {
  open(exchange: Exchange): Promise<OpenedRequest>;
  /** Whether a request to `path` (without its query) gets a session: under the session cookie's `path`. */
  covers(path: string): boolean;
}

/**
 * The engine behind every adapter but node:http's (which hooks the response itself):
 * `coatcheck/fetch`, `@coatcheck/hono`, `@coatcheck/koa`. `adapter` names the caller in errors.
 * `deviceBound` is refused with a `TypeError` unless the adapter declares `{ deviceBound: true }`;
 * then `engine.device` has the hooks and endpoints to wire.
 *
 * @example
 * ```ts
 * const engine = sessionEngine(options, '@coatcheck/koa');
 * const opened = await engine.open(exchange); // exchange.session is now the request's session
 * await next();
 * await opened.commit(); // Set-Cookie and Cache-Control went through exchange.appendSetCookie()
 * ```
 */
export function sessionEngine(
  options: SessionOptions,
  adapter: string,
  support: EngineSupport = {},
): SessionEngine {
  if (options !== null && typeof options === 'object' && options.deviceBound && !support.deviceBound) {
    throw new TypeError(`${adapter}: deviceBound is not supported by this adapter`);
  }
  const resolved = resolveOptions(options);
  const bound = resolved.deviceBound;
  const device: AdapterDeviceBinding | undefined = bound && {
    hooks: (req, res) => ({
      admits: (session, now) => bound.admits(req, session, now),
      respond: (session, user, secure, arrivedWith) =>
        bound.respond(req, res, session, user, secure, arrivedWith),
    }),
    endpointOf: (req) => bound.endpointOf(req),
    serve: (endpoint, req, res, session) => bound.serve(endpoint, req, res, session),
    bindDevice: (req, bindOptions) => bound.bindDevice(req, bindOptions),
    info: (req, session) => bound.info(req, session),
  };
  return {
    ...requestsOf(resolved, storeRefusal(resolved)),
    ...storeManagerOf(resolved),
    device,
  } as SessionEngine;
}

/**
 * The engine of `cookieSession()` for a framework adapter: the whole session sealed into the
 * cookie, no store. Opens and commits requests as {@link sessionEngine} does; with no store there
 * is nothing to list or revoke (`notBefore` logs a user out everywhere).
 *
 * @example
 * ```ts
 * const engine = cookieSessionEngine({ secret, userKey: 'userId' }, '@coatcheck/koa');
 * const opened = await engine.open(exchange);
 * await opened.commit(); // the sealed cookie went through exchange.appendSetCookie()
 * ```
 */
export function cookieSessionEngine(options: CookieSessionOptions, adapter: string): CookieSessionEngine {
  return requestsOf(resolveCookieSession(options, adapter).resolved, undefined);
}

/** What both engines share: opening requests, the path rule, handles, `info`, `ended` and events. */
function requestsOf(
  resolved: ResolvedOptions,
  refusal: (() => StoreError | undefined) | undefined,
): CookieSessionEngine {
  // The exchange of each request being handled, for info(): weak, so a request never committed
  // (the application threw) is not kept.
  const current = new WeakMap<object, Exchange>();
  const shared = sharedManagerOf(resolved, (request) => current.get(request)?.session);
  return {
    ...shared,
    covers: (path: string) => coversPath(resolved.cookie, path),
    async open(exchange: Exchange): Promise<OpenedRequest> {
      const engine = new RequestSession(resolved, exchange);
      const refused = refusal?.();
      if (refused && resolved.onStoreError !== 'continue') throw refused;
      if (refused) engine.loadOffline(refused);
      else await engine.load();
      current.set(exchange.request, exchange);
      return {
        async commit() {
          try {
            await engine.commit();
            engine.finish();
          } finally {
            current.delete(exchange.request);
          }
        },
      };
    },
  } as CookieSessionEngine;
}
