import type { IncomingMessage, ServerResponse } from 'node:http';
import type { TLSSocket } from 'node:tls';
import type { DeviceBoundHook } from '../../device-bound/hook.js';
import type { Exchange, ExchangeDeviceHooks } from '../engine/exchange.js';
import type { ParsedCookies } from '../persistence.js';
import type { Session } from '../session.js';

/** A request as the middleware extends it. */
export interface SessionRequest extends IncomingMessage {
  session?: Session | null | undefined;
  sessionID?: string;
  sessionStore?: unknown;
  secure?: boolean;
  originalUrl?: string;
}

/**
 * Whether a node:http request came over HTTPS: an encrypted socket always; else, with `proxy: true`,
 * the first `X-Forwarded-Proto`; with `proxy` unset, Express's `req.secure` (its `trust proxy`).
 */
export function isSecureRequest(req: SessionRequest, proxy: boolean | undefined): boolean {
  if ((req.socket as TLSSocket | undefined)?.encrypted) return true;
  if (proxy === false) return false;
  if (proxy !== true) return req.secure === true;
  const header = req.headers['x-forwarded-proto'];
  const first = (Array.isArray(header) ? header[0] : header)?.split(',')[0]?.trim().toLowerCase();
  return first === 'https';
}

/** The request's path, without its query: Express's `originalUrl` when mounted, else `url`. */
export function pathOf(req: SessionRequest): string {
  const url = req.originalUrl ?? req.url ?? '/';
  const query = url.indexOf('?');
  // An empty path is the root, as express-session reads it.
  return (query === -1 ? url : url.slice(0, query)) || '/';
}

/**
 * The engine's {@link Exchange} over node:http's request and response (and so Express 4 and 5):
 * the session lives on `req.session` and `req.sessionID`, as with express-session.
 */
export class NodeExchange implements Exchange, ExchangeDeviceHooks {
  readonly request: SessionRequest;
  readonly #res: ServerResponse;
  readonly #hook: DeviceBoundHook | undefined;

  constructor(req: SessionRequest, res: ServerResponse, hook: DeviceBoundHook | undefined) {
    this.request = req;
    this.#res = res;
    this.#hook = hook;
  }

  cookieHeader(): string | undefined {
    return this.request.headers.cookie;
  }

  isSecure(proxy: boolean | undefined): boolean {
    return isSecureRequest(this.request, proxy);
  }

  get session(): Session | null | undefined {
    return this.request.session;
  }

  set session(session: Session | null | undefined) {
    this.request.session = session;
  }

  get sessionId(): unknown {
    return this.request.sessionID;
  }

  set sessionId(id: unknown) {
    this.request.sessionID = id as string;
  }

  dropSession(): void {
    this.request.session = undefined;
    delete this.request.session;
  }

  headersSent(): boolean {
    return this.#res.headersSent;
  }

  appendSetCookie(values: readonly string[]): void {
    const res = this.#res;
    const previous = res.getHeader('Set-Cookie');
    const list = previous === undefined ? [] : Array.isArray(previous) ? previous : [String(previous)];
    res.setHeader('Set-Cookie', [...list, ...values]);
  }

  setHeaderUnlessPresent(name: string, value: string): void {
    if (!this.#res.hasHeader(name)) this.#res.setHeader(name, value);
  }

  parsedCookies(): ParsedCookies {
    return this.request as SessionRequest & ParsedCookies;
  }

  get device(): ExchangeDeviceHooks | undefined {
    return this.#hook ? this : undefined;
  }

  admits(session: Session, now: number): boolean {
    return (this.#hook as DeviceBoundHook).admits(this.request, session, now);
  }

  respond(
    session: Session,
    user: string | undefined,
    secure: boolean,
    arrivedWith: string | undefined,
  ): void {
    (this.#hook as DeviceBoundHook).respond(this.request, this.#res, session, user, secure, arrivedWith);
  }
}
