import { CookieTooLargeError } from '../errors.js';
import { type CookieAttributes, formatAttributes, isCookieName } from './attributes.js';

export {
  type CookieAttributes,
  type CookiePriority,
  checkCookieAttributes,
  type DescribeProblem,
  hasCookiePrefix,
  MAX_COOKIE_AGE,
  type SameSite,
} from './attributes.js';

/**
 * `cookie-value = *cookie-octet / ( DQUOTE *cookie-octet DQUOTE )`,
 * `cookie-octet = %x21 / %x23-2B / %x2D-3A / %x3C-5B / %x5D-7E` (RFC 6265bis §4.1.1): no controls,
 * whitespace, DQUOTE, comma, semicolon or backslash.
 */
const COOKIE_VALUE =
  /^(?:[\x21\x23-\x2B\x2D-\x3A\x3C-\x5B\x5D-\x7E]*|"[\x21\x23-\x2B\x2D-\x3A\x3C-\x5B\x5D-\x7E]*")$/;

/** RFC 6265bis §5.7: user agents drop a cookie whose name and value together exceed 4096 bytes. */
export const MAX_COOKIE_SIZE = 4096;

/** Options of {@link serializeCookie}. */
export interface SerializeCookieOptions extends CookieAttributes {
  /** Turns the value into a `cookie-value`. Defaults to `encodeURIComponent`. */
  encode?: (value: string) => string;
}

/** A cookie name with the `__Host-` prefix: Secure, `Path=/`, no Domain (RFC 6265bis §4.1.3.2). */
export type HostPrefixedName = `__Host-${string}`;
/** A cookie name with the `__Secure-` prefix: Secure (RFC 6265bis §4.1.3.1). */
export type SecurePrefixedName = `__Secure-${string}`;
/** A cookie name with the `__Http-` prefix: Secure and HttpOnly. */
export type HttpPrefixedName = `__Http-${string}`;
/** A cookie name with the `__Host-Http-` prefix: the `__Host-` rules and HttpOnly. */
export type HostHttpPrefixedName = `__Host-Http-${string}`;

/**
 * The options a cookie named `Name` accepts: the prefix rules checked at compile time. A name only
 * known at run time (`string`) gets the plain options; the same rules are checked at run time, where
 * prefixes also match case-insensitively as browsers do.
 */
export type CookieOptionsFor<
  Name extends string,
  Options = SerializeCookieOptions,
> = Name extends HostHttpPrefixedName
  ? Options & { secure: true; httpOnly: true; path: '/'; domain?: undefined }
  : Name extends HostPrefixedName
    ? Options & { secure: true; path: '/'; domain?: undefined }
    : Name extends HttpPrefixedName
      ? Options & { secure: true; httpOnly: true }
      : Name extends SecurePrefixedName
        ? Options & { secure: true }
        : Options;

/** Options are required exactly when the name's prefix demands attributes. */
export type CookieOptionsArgument<Name extends string, Options = SerializeCookieOptions> = Name extends
  | HostPrefixedName
  | SecurePrefixedName
  | HttpPrefixedName
  ? [options: CookieOptionsFor<Name, Options>]
  : [options?: Options];

/**
 * Builds a `Set-Cookie` header value. Refuses, with a `TypeError` naming the bad value, anything a
 * browser would drop or read differently from what was asked: an invalid name, value, domain or
 * path, an attribute over 1024 bytes, a prefixed name (`__Secure-`, `__Host-`, `__Http-`,
 * `__Host-Http-`) without its required attributes, `SameSite=None` or `Partitioned` without
 * `Secure`, a lifetime over 400 days. Name and value over 4096 bytes together is a
 * {@link CookieTooLargeError}.
 *
 * `maxAge` is in seconds, as in the header.
 *
 * @example
 * ```ts
 * res.appendHeader('Set-Cookie', serializeCookie('__Host-sid', id, {
 *   secure: true, path: '/', httpOnly: true, sameSite: 'lax', maxAge: 3600,
 * }));
 * // '__Host-sid=…; Max-Age=3600; Path=/; HttpOnly; Secure; SameSite=Lax'
 * ```
 */
export function serializeCookie<Name extends string>(
  name: Name,
  value: string,
  ...[options]: CookieOptionsArgument<Name>
): string {
  const opts: SerializeCookieOptions = options ?? {};
  if (!isCookieName(name)) {
    throw new TypeError(`cookie name is invalid: ${JSON.stringify(name)}`);
  }
  if (typeof value !== 'string') throw new TypeError(`cookie "${name}": value must be a string`);
  const encoded = opts.encode === undefined ? encodeURIComponent(value) : opts.encode(value);
  if (typeof encoded !== 'string' || !COOKIE_VALUE.test(encoded)) {
    throw new TypeError(`cookie "${name}": value is invalid after encoding ${describeBadValue(encoded)}`);
  }
  // Both are ASCII here, so string length is byte length.
  const size = name.length + encoded.length;
  if (size > MAX_COOKIE_SIZE) throw new CookieTooLargeError(name, size, MAX_COOKIE_SIZE);

  return `${name}=${encoded}${formatAttributes(name, opts, (_attribute, problem) => `cookie "${name}": ${problem}`)}`;
}

// The value may be a secret (a session ID, a token), so the message points at the offending
// character instead of quoting the value.
function describeBadValue(encoded: unknown): string {
  if (typeof encoded !== 'string') return `(encode returned ${typeof encoded})`;
  const inner = encoded.length >= 2 && encoded.startsWith('"') && encoded.endsWith('"') ? 1 : 0;
  for (let i = inner; i < encoded.length - inner; i++) {
    const code = encoded.charCodeAt(i);
    const octet =
      code === 0x21 || (code >= 0x23 && code <= 0x7e && code !== 0x2c && code !== 0x3b && code !== 0x5c);
    if (!octet) return `(character ${JSON.stringify(encoded[i])} at index ${i})`;
  }
  return '';
}
