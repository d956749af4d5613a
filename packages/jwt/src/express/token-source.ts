import type { IncomingHttpHeaders } from 'node:http';
import { findCookie, isCookieName } from 'coatcheck/cookies';
import { UnauthorizedError } from '../errors.js';

/** Where the middleware looks for the token: the `Authorization` header, or one named cookie. */
export type TokenLocation = 'header' | { cookie: string };

const BAD_FORMAT = { message: 'Format is Authorization: Bearer [token]' };

/**
 * What {@link tokenFromAuthorization} answers for another scheme (`Basic …`) when credentials are
 * optional: the request passes without `req.auth`. A symbol, so that nothing a user's `getToken`
 * returns (`null` included) can be mistaken for it.
 */
export const OTHER_SCHEME: unique symbol = Symbol('@coatcheck/jwt other authorization scheme');

/**
 * The bearer token of an `Authorization` header, with express-jwt's rules: `undefined` without the
 * header; `credentials_bad_format` unless it is exactly two space-separated parts;
 * `credentials_bad_scheme` (or {@link OTHER_SCHEME} when credentials are optional) for a scheme other
 * than `Bearer`. `headers` may be missing or carry `Authorization` capitalised (serverless adapters
 * build such requests), as express-jwt accepts.
 */
export function tokenFromAuthorization(
  headers: IncomingHttpHeaders | undefined,
  credentialsRequired: boolean,
): string | typeof OTHER_SCHEME | undefined {
  if (headers === undefined || headers === null) return undefined;
  const value = 'Authorization' in headers ? headers.Authorization : headers.authorization;
  if (!value) return undefined;
  const parts = String(value).split(' ');
  if (parts.length !== 2) throw new UnauthorizedError('credentials_bad_format', BAD_FORMAT);
  if (!/^Bearer$/i.test(parts[0]!)) {
    if (credentialsRequired) throw new UnauthorizedError('credentials_bad_scheme', BAD_FORMAT);
    return OTHER_SCHEME;
  }
  return parts[1];
}

/**
 * The value of cookie `name` in a `Cookie` header, read by coatcheck's one cookie scanner (the
 * first one wins, SP/HTAB trimmed, quotes as express-session reads them), or `undefined` for none
 * or an empty one. Values are taken as they are: a JWT is already cookie-safe, and percent-decoding
 * would only give an attacker a second spelling of the same token.
 */
export function tokenFromCookieHeader(cookieHeader: string | undefined, name: string): string | undefined {
  return findCookie(cookieHeader, name, { decode: false }) || undefined;
}

/** Checks a `from` option at construction and returns the cookie name, or `undefined` for the header. */
export function parseTokenLocation(from: unknown): string | undefined {
  if (from === undefined || from === 'header') return undefined;
  if (
    typeof from === 'object' &&
    from !== null &&
    typeof (from as { cookie?: unknown }).cookie === 'string'
  ) {
    const name = (from as { cookie: string }).cookie;
    if (!isCookieName(name)) throw new TypeError('@coatcheck/jwt: `from.cookie` must be a valid cookie name');
    return name;
  }
  throw new TypeError("@coatcheck/jwt: `from` must be 'header' or { cookie: 'name' }");
}
