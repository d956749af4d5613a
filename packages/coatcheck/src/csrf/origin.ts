import type { CsrfFailure } from '../errors.js';

/** The request headers the cross-origin check reads, lower-cased as Node gives them. */
export interface CrossOriginRequest {
  method: string;
  headers: {
    host?: string | undefined;
    origin?: string | undefined;
    referer?: string | undefined;
    'sec-fetch-site'?: string | string[] | undefined;
  };
}

/** A compiled policy for {@link checkCrossOrigin}. Build it with {@link crossOriginPolicy}. */
export interface CrossOriginPolicy {
  /** The application's own origins; when empty, the request's `Host` header stands for it. */
  readonly ownOrigins: ReadonlySet<string>;
  /** Other origins whose requests are accepted, such as an admin front-end on another host. */
  readonly trustedOrigins: ReadonlySet<string>;
  /** Accept requests that carry none of `Sec-Fetch-Site`, `Origin` and `Referer` (non-browser clients). */
  readonly allowMissingOrigin: boolean;
}

/** Options of {@link crossOriginPolicy}. */
export interface CrossOriginOptions {
  /**
   * The application's public origin(s), e.g. `'https://shop.example'`. Set it when a proxy rewrites
   * `Host`; by default the `Host` header of each request is the application's host.
   */
  origin?: string | readonly string[];
  /** Origins allowed to send unsafe requests across origins, e.g. `['https://admin.example']`. */
  trustedOrigins?: readonly string[];
  /**
   * Accept unsafe requests with no `Sec-Fetch-Site`, no `Origin` and no `Referer`. Browsers always
   * send at least one of them on a cross-origin POST, so such requests come from scripts and servers,
   * which CSRF does not concern; but leave it off unless such clients authenticate with cookies.
   * Default `false`.
   */
  allowMissingOrigin?: boolean;
}

/** RFC 9110 §9.2.1: methods that must not change state, and so need no protection. */
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** Whether `method` is safe (GET, HEAD, OPTIONS) and passes CSRF checks unconditionally. */
export function isSafeMethod(method: string | undefined): boolean {
  return method !== undefined && SAFE_METHODS.has(method.toUpperCase());
}

/** `scheme "://" host [ ":" port ]`, serialized as browsers send it in `Origin` (RFC 6454 §6.1). */
function normalizeOrigin(origin: string, option: string): string {
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    throw new TypeError(`${option}: ${JSON.stringify(origin)} is not an origin like "https://example.com"`);
  }
  if (
    url.origin === 'null' ||
    url.pathname !== '/' ||
    url.search !== '' ||
    url.hash !== '' ||
    url.username !== ''
  ) {
    throw new TypeError(`${option}: ${JSON.stringify(origin)} is not an origin like "https://example.com"`);
  }
  return url.origin;
}

/**
 * Validates and normalizes cross-origin options once, at construction: a bad origin is a `TypeError`.
 *
 * @example
 * ```ts
 * const policy = crossOriginPolicy({ trustedOrigins: ['https://admin.example'] });
 * ```
 */
export function crossOriginPolicy(options: CrossOriginOptions = {}): CrossOriginPolicy {
  const own =
    options.origin === undefined
      ? []
      : typeof options.origin === 'string'
        ? [options.origin]
        : options.origin;
  if (!Array.isArray(own)) throw new TypeError('origin must be a string or an array of strings');
  const trusted = options.trustedOrigins ?? [];
  if (!Array.isArray(trusted)) throw new TypeError('trustedOrigins must be an array of strings');
  return {
    ownOrigins: new Set(own.map((o) => normalizeOrigin(o, 'origin'))),
    trustedOrigins: new Set(trusted.map((o) => normalizeOrigin(o, 'trustedOrigins'))),
    allowMissingOrigin: options.allowMissingOrigin === true,
  };
}

/** The origin a request header names, or null for `null`, garbage, or a non-HTTP(S) URL. */
function originOf(value: string): string | null {
  if (!URL.canParse(value)) return null;
  const url = new URL(value);
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return null;
  return url.origin;
}

function isOwnOrigin(origin: string, request: CrossOriginRequest, policy: CrossOriginPolicy): boolean {
  if (policy.ownOrigins.size > 0) return policy.ownOrigins.has(origin);
  // Without a configured origin the scheme is unknown behind a proxy, so compare the host only, as
  // Go's net/http CrossOriginProtection does; Sec-Fetch-Site carries the full comparison anyway.
  const host = request.headers.host;
  if (typeof host !== 'string' || host.length === 0) return false;
  return new URL(origin).host === host.toLowerCase();
}

/**
 * The cross-origin half of CSRF protection, as a pure function over the request headers. Returns
 * why the request must be refused, or `null` when it may proceed.
 *
 * 1. Safe methods pass.
 * 2. `Sec-Fetch-Site: same-origin` or `none` (the user typed the URL) passes; `same-site` and
 *    `cross-site` are refused, unless `Origin` is a trusted origin.
 * 3. Without `Sec-Fetch-Site` (browsers before 2023, or non-browser clients), `Origin` must be the
 *    application's own origin or a trusted one; without `Origin`, the origin of `Referer`.
 * 4. With none of the three, the request is refused (`origin-missing`) unless `allowMissingOrigin`.
 *
 * @example
 * ```ts
 * const policy = crossOriginPolicy();
 * checkCrossOrigin({ method: 'POST', headers: { 'sec-fetch-site': 'cross-site' } }, policy); // 'cross-site'
 * ```
 */
export function checkCrossOrigin(request: CrossOriginRequest, policy: CrossOriginPolicy): CsrfFailure | null {
  if (isSafeMethod(request.method)) return null;
  const headers = request.headers;
  const origin = typeof headers.origin === 'string' ? headers.origin : undefined;
  const parsedOrigin = origin === undefined ? null : originOf(origin);
  const trusted = parsedOrigin !== null && policy.trustedOrigins.has(parsedOrigin);

  const site = headers['sec-fetch-site'];
  if (site !== undefined) {
    const value = typeof site === 'string' ? site.trim().toLowerCase() : '';
    if (value === 'same-origin' || value === 'none') return null;
    if (trusted) return null;
    return value === 'same-site' ? 'same-site' : 'cross-site';
  }

  if (origin !== undefined) {
    if (trusted) return null;
    return parsedOrigin !== null && isOwnOrigin(parsedOrigin, request, policy) ? null : 'origin-mismatch';
  }

  const referer = headers.referer;
  if (typeof referer === 'string' && referer.length > 0) {
    const parsed = originOf(referer);
    if (parsed !== null && (policy.trustedOrigins.has(parsed) || isOwnOrigin(parsed, request, policy)))
      return null;
    return 'origin-mismatch';
  }

  return policy.allowMissingOrigin ? null : 'origin-missing';
}
