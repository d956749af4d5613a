import type { DeviceRequest } from '../../device-bound/hook.js';
import type { ReplyHeaders } from '../adapter.js';
import type { Exchange, ExchangeDeviceHooks } from '../engine/exchange.js';
import type { Session } from '../session.js';

/** The request headers device binding reads (device-bound/hook.ts). */
const DEVICE_HEADERS = ['cookie', 'secure-session-response', 'sec-secure-session-id'] as const;

/**
 * Device binding's view of a Fetch `Request`: its method, path and query, and the three headers it
 * reads. Made once per request, since device binding keys the request's state by this object.
 */
export function deviceRequestOf(request: Request): DeviceRequest {
  const headers: Record<string, string> = {};
  for (const name of DEVICE_HEADERS) {
    const value = request.headers.get(name);
    if (value !== null) headers[name] = value;
  }
  let url = '/';
  try {
    const parsed = new URL(request.url);
    url = parsed.pathname + parsed.search;
  } catch {
    // A Request always has an absolute URL; '/' only guards a stand-in.
  }
  return { method: request.method, url, headers };
}

/** Headers added by both device binding and the handler: device binding's are added to the handler's. */
const ADDED = new Set(['set-cookie', 'secure-session-registration']);

/**
 * The headers device binding sets on a Fetch response, held until there is a `Response` to put them
 * on ({@link FetchExchange.applyTo}): `Set-Cookie` and `Secure-Session-Registration` are added to
 * the handler's, `Cache-Control` is set only if the handler chose none, and the rest (the endpoints'
 * `Content-Type` and `Secure-Session-Challenge`) replace the response's.
 */
export class HeldHeaders implements ReplyHeaders {
  readonly #values = new Map<string, string | string[]>();

  get(name: string): string | string[] | undefined {
    return this.#values.get(name.toLowerCase());
  }

  set(name: string, value: number | string | readonly string[]): void {
    this.#values.set(
      name.toLowerCase(),
      typeof value === 'number' ? String(value) : typeof value === 'string' ? value : [...value],
    );
  }

  has(name: string): boolean {
    return this.#values.has(name.toLowerCase());
  }

  get size(): number {
    return this.#values.size;
  }

  /** Puts them on `headers`, by the rules above. */
  writeTo(headers: Headers): void {
    // Read before any write: the handler's own Cache-Control, not one set here, is what wins.
    const handlerCaching = headers.has('cache-control');
    for (const [name, value] of this.#values) {
      if (ADDED.has(name)) {
        for (const one of Array.isArray(value) ? value : [value]) headers.append(name, one);
      } else if (name !== 'cache-control' || !handlerCaching) {
        headers.set(name, Array.isArray(value) ? value.join(', ') : value);
      }
    }
  }
}

/**
 * Whether a Fetch `Request` came over HTTPS: with `proxy: true`, the first `X-Forwarded-Proto`;
 * otherwise the scheme of `request.url` (a Fetch server builds it from the connection, and there is
 * no framework setting to trust a proxy by).
 */
export function isSecureFetchRequest(request: Request, proxy: boolean | undefined): boolean {
  if (proxy === true) {
    const first = request.headers.get('x-forwarded-proto')?.split(',')[0]?.trim().toLowerCase();
    return first === 'https';
  }
  return request.url.startsWith('https:');
}

/** The path of a Fetch `Request`'s URL, without its query. */
export function fetchPathOf(request: Request): string {
  try {
    return new URL(request.url).pathname || '/';
  } catch {
    return '/';
  }
}

/**
 * The engine's {@link Exchange} over a Fetch `Request` and the `Response` the handler returns. The
 * response does not exist while the handler runs, so what the engine sets is held here and put on
 * the response by {@link FetchExchange.applyTo}, after the session is saved.
 */
export class FetchExchange implements Exchange {
  readonly request: Request;
  sessionId: unknown;
  #session: Session | null | undefined;
  /** Told of each session the engine puts in place (again after `rotate()`), for adapters that hold it. */
  readonly #onSession: ((session: Session | undefined) => void) | undefined;
  readonly #setCookies: string[] = [];
  readonly #defaults: Array<[string, string]> = [];
  #sent = false;
  /** Device binding's hooks for this request (`deviceBound`). */
  readonly device: ExchangeDeviceHooks | undefined;
  /** What device binding set, for the response. */
  readonly #deviceHeaders: HeldHeaders | undefined;

  constructor(
    request: Request,
    onSession?: (session: Session | undefined) => void,
    device?: { hooks: ExchangeDeviceHooks; headers: HeldHeaders },
  ) {
    this.request = request;
    this.#onSession = onSession;
    this.device = device?.hooks;
    this.#deviceHeaders = device?.headers;
  }

  get session(): Session | null | undefined {
    return this.#session;
  }

  set session(session: Session | null | undefined) {
    this.#session = session;
    this.#onSession?.(session ?? undefined);
  }

  cookieHeader(): string | undefined {
    return this.request.headers.get('cookie') ?? undefined;
  }

  isSecure(proxy: boolean | undefined): boolean {
    return isSecureFetchRequest(this.request, proxy);
  }

  dropSession(): void {
    this.session = undefined;
  }

  headersSent(): boolean {
    return this.#sent;
  }

  appendSetCookie(values: readonly string[]): void {
    this.#setCookies.push(...values);
  }

  setHeaderUnlessPresent(name: string, value: string): void {
    this.#defaults.push([name, value]);
  }

  /**
   * `response` with what the engine set: its `Set-Cookie` values appended to any the handler set,
   * and `Cache-Control: no-store` unless the handler chose a `Cache-Control`. A response whose
   * headers are immutable (`Response.redirect()`, a `fetch()` result) is copied first; a network
   * error (`Response.error()`) goes as it is.
   */
  applyTo(response: Response): Response {
    this.#sent = true;
    if (this.#setCookies.length === 0 && this.#defaults.length === 0 && !this.#deviceHeaders?.size) {
      return response;
    }
    let target = response;
    try {
      this.#write(target.headers);
    } catch {
      // A network error (`Response.error()`, status 0) cannot be copied, and reaches no browser.
      if (response.status < 200) return response;
      target = new Response(response.body, {
        status: response.status,
        statusText: response.statusText,
        headers: response.headers,
      });
      this.#write(target.headers);
    }
    return target;
  }

  #write(headers: Headers): void {
    // Checked before any change, so that an immutable set of headers fails before it is half-written.
    const missing = this.#defaults.filter(([name]) => !headers.has(name));
    if (this.#deviceHeaders?.size) this.#deviceHeaders.writeTo(headers);
    for (const value of this.#setCookies) headers.append('Set-Cookie', value);
    for (const [name, value] of missing) headers.set(name, value);
  }
}
