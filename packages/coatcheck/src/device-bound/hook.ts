import type { Session } from '../session/session.js';

/**
 * The part of a request device binding reads: a node:http `DeviceRequest` itself (Express, Koa,
 * Fastify), or, for a Fetch `Request`, a view of it made once per request (session/fetch/). Only the
 * method, the URL and three headers are read (`cookie`, `secure-session-response`,
 * `sec-secure-session-id`), by lower-case name as node:http gives them. The object is also the key
 * of the request's binding state, so an adapter passes the same one for the whole request.
 */
export interface DeviceRequest {
  readonly method?: string | undefined;
  /** The path and query. */
  readonly url?: string | undefined;
  /** Express's URL before a router mounted the app elsewhere; preferred to `url` when present. */
  readonly originalUrl?: string | undefined;
  readonly headers: {
    readonly cookie?: string | undefined;
    readonly [name: string]: string | string[] | undefined;
  };
}

/**
 * The part of a node:http response device binding writes: a `ServerResponse` itself under Express,
 * or an adapter's stand-in over its framework's reply (Koa's `ctx`, Fastify's `reply`), so that its
 * headers go out with the framework's own and `end()` only records the body to send.
 */
export interface DeviceResponse {
  statusCode: number;
  getHeader(name: string): number | string | string[] | undefined;
  setHeader(name: string, value: number | string | readonly string[]): unknown;
  hasHeader(name: string): boolean;
  end(body?: string): unknown;
}

/**
 * What the session engine asks of device binding, at the two points it matters; everything else
 * (the endpoints, the protocol) stays in device-bound/. The engine stores `SessionState.binding`
 * under {@link BINDING_KEY} when `bindingChanged` says so, and carries it through `rotate()`.
 */
export interface DeviceBoundHook {
  /** A live record was loaded for this request: may it serve it? `false` gives the request a fresh session. */
  admits(req: DeviceRequest, session: Session, now: number): boolean;
  /**
   * The response is about to be saved: start a registration or renew the bound cookie, if due.
   * `arrivedWith` is the session ID the request's cookie named. Once per request.
   */
  respond(
    req: DeviceRequest,
    res: DeviceResponse,
    session: Session,
    user: string | undefined,
    secure: boolean,
    arrivedWith: string | undefined,
  ): void;
}
