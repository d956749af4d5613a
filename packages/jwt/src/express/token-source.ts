import type { IncomingHttpHeaders } from 'node:http';
import { UnauthorizedError } from '../errors.js';

/** Where the middleware looks for the token: the `Authorization` header, or one named cookie. */
export type TokenLocation = 'header' | { cookie: string };

const BAD_FORMAT = { message: 'Format is Authorization: Bearer [token]' };

/**
 * The bearer token of an `Authorization` header, with express-jwt's rules: `undefined` without the
 * header; `credentials_bad_format` unless it is exactly two space-separated parts;
 * `credentials_bad_scheme` (or `null`, to let the request through, when credentials are optional)
 * for a scheme other than `Bearer`.
 */
export function tokenFromAuthorization(
  headers: IncomingHttpHeaders,
  credentialsRequired: boolean,
): string | null | undefined {
  const value = headers.authorization;
  if (!value) return undefined;
  const parts = value.split(' ');
  if (parts.length !== 2) throw new UnauthorizedError('credentials_bad_format', BAD_FORMAT);
  if (!/^Bearer$/i.test(parts[0]!)) {
    if (credentialsRequired) throw new UnauthorizedError('credentials_bad_scheme', BAD_FORMAT);
    return null;
  }
  return parts[1];
}

/**
 * The value of cookie `name` in a `Cookie` header (RFC 6265 §5.4 order: the first one wins), or
 * `undefined`. Values are taken as they are: a JWT is already cookie-safe, and percent-decoding
 * would only give an attacker a second spelling of the same token.
 */
export function tokenFromCookieHeader(cookieHeader: string | undefined, name: string): string | undefined {
  if (!cookieHeader) return undefined;
  for (const pair of cookieHeader.split(';')) {
    const eq = pair.indexOf('=');
    if (eq === -1 || pair.slice(0, eq).trim() !== name) continue;
    let value = pair.slice(eq + 1).trim();
    if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1);
    return value || undefined;
  }
  return undefined;
}

const COOKIE_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/** Checks a `from` option at construction and returns the cookie name, or `undefined` for the header. */
export function parseTokenLocation(from: unknown): string | undefined {
  if (from === undefined || from === 'header') return undefined;
  if (
    typeof from === 'object' &&
    from !== null &&
    typeof (from as { cookie?: unknown }).cookie === 'string'
  ) {
    const name = (from as { cookie: string }).cookie;
    if (!COOKIE_NAME.test(name))
      throw new TypeError('@coatcheck/jwt: `from.cookie` must be a valid cookie name');
    return name;
  }
  throw new TypeError("@coatcheck/jwt: `from` must be 'header' or { cookie: 'name' }");
}
