import type { Exchange } from '../engine/exchange.js';
import type { Session } from '../session.js';

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

  constructor(request: Request, onSession?: (session: Session | undefined) => void) {
    this.request = request;
    this.#onSession = onSession;
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
    if (this.#setCookies.length === 0 && this.#defaults.length === 0) return response;
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
    for (const value of this.#setCookies) headers.append('Set-Cookie', value);
    for (const [name, value] of missing) headers.set(name, value);
  }
}
