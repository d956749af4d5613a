import { CookieTooLargeError } from '../errors.js';

/**
 * `cookie-name = token` (RFC 6265bis §4.1.1), with token from RFC 9110 §5.6.2:
 * `tchar = "!" / "#" / "$" / "%" / "&" / "'" / "*" / "+" / "-" / "." / "^" / "_" / "`" / "|" / "~" / DIGIT / ALPHA`.
 * Stricter than what browsers accept, on purpose: a name outside this set is the first step of the
 * attribute injection behind CVE-2024-47764.
 */
const COOKIE_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/**
 * `cookie-value = *cookie-octet / ( DQUOTE *cookie-octet DQUOTE )`,
 * `cookie-octet = %x21 / %x23-2B / %x2D-3A / %x3C-5B / %x5D-7E` (RFC 6265bis §4.1.1): no controls,
 * whitespace, DQUOTE, comma, semicolon or backslash.
 */
const COOKIE_VALUE =
  /^(?:[\x21\x23-\x2B\x2D-\x3A\x3C-\x5B\x5D-\x7E]*|"[\x21\x23-\x2B\x2D-\x3A\x3C-\x5B\x5D-\x7E]*")$/;

/**
 * `domain-value = <subdomain>` of RFC 1034 §3.5 as relaxed by RFC 1123 §2.1 (a label may start with
 * a digit): `label = let-dig [ *61let-dig-hyp let-dig ]`, labels joined by ".". One leading "." is
 * tolerated because user agents ignore it (RFC 6265bis §5.6.3); a trailing "." makes them ignore the
 * attribute, so it is refused.
 */
const DOMAIN_VALUE = /^\.?[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$/i;

/**
 * `path-value = *av-octet`, `av-octet = %x20-3A / %x3C-7E` (RFC 6265bis §4.1.1), and it must start
 * with "/": user agents replace any other path with the default path (§5.6.4), which is not what the
 * caller asked for.
 */
const PATH_VALUE = /^\/[\x20-\x3A\x3C-\x7E]*$/;

/** RFC 6265bis §5.5: user agents cap a cookie's lifetime at 400 days. */
export const MAX_COOKIE_AGE = 400 * 24 * 60 * 60;

/** RFC 6265bis §5.7: user agents drop a cookie whose name and value together exceed 4096 bytes. */
export const MAX_COOKIE_SIZE = 4096;

/** RFC 6265bis §5.7: user agents ignore an attribute value longer than 1024 bytes. */
const MAX_ATTRIBUTE_SIZE = 1024;

/** The `SameSite` attribute; `true` means `Strict` and `false` leaves it out, as in express-session. */
export type SameSite = 'strict' | 'lax' | 'none' | 'Strict' | 'Lax' | 'None' | boolean;

/** The `Priority` attribute (Chromium). */
export type CookiePriority = 'low' | 'medium' | 'high' | 'Low' | 'Medium' | 'High';

/** The attributes of a `Set-Cookie` header (RFC 6265bis §4.1, plus `Partitioned` and `Priority`). */
export interface CookieAttributes {
  /** Seconds until the cookie expires; 0 or less deletes it. At most 400 days. */
  maxAge?: number;
  /** When the cookie expires. At most 400 days ahead. */
  expires?: Date;
  /** The hosts the cookie is sent to: this domain and its subdomains. Leave it out for this host only. */
  domain?: string;
  /** The path prefix the cookie is sent for; must start with `/`. */
  path?: string;
  /** Send the cookie over HTTPS only. Required by the `__Secure-` and `__Host-` prefixes, `SameSite=None` and `Partitioned`. */
  secure?: boolean;
  /** Hide the cookie from `document.cookie`. */
  httpOnly?: boolean;
  /** When the cookie is sent on cross-site requests. */
  sameSite?: SameSite;
  /** CHIPS: key the cookie to the top-level site it was set under. Requires `secure`. */
  partitioned?: boolean;
  /** Which cookies the browser evicts last. */
  priority?: CookiePriority;
}

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
  if (typeof name !== 'string' || !COOKIE_NAME.test(name)) {
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

  return `${name}=${encoded}${attributesOf(name, opts, (_attribute, problem) => `cookie "${name}": ${problem}`)}`;
}

/**
 * Words a refused attribute: which option (`attribute`) and what is wrong with it (`problem`).
 * `serializeCookie` says `cookie "sid": …`; a middleware checking its options at construction names
 * the option instead (`session option cookie.domain: …`).
 */
export type DescribeProblem = (attribute: string, problem: string) => string;

/**
 * Checks attributes for the cookie `name` by the rules {@link serializeCookie} applies, throwing the
 * same `TypeError`s worded by `describe`: for middleware that checks its cookie options once, at
 * construction, so that they never fail when a response is serialized.
 */
export function checkCookieAttributes(
  name: string,
  attributes: CookieAttributes,
  describe: DescribeProblem,
): void {
  attributesOf(name, attributes, describe);
}

/** The `; Attribute=value` part of a `Set-Cookie` header, each attribute checked. */
function attributesOf(name: string, opts: CookieAttributes, describe: DescribeProblem): string {
  const refuse = (attribute: string, problem: string) => new TypeError(describe(attribute, problem));
  let header = '';

  if (opts.maxAge !== undefined) {
    const maxAge = opts.maxAge;
    if (typeof maxAge !== 'number' || !Number.isInteger(maxAge)) {
      throw refuse('maxAge', `maxAge must be an integer number of seconds, got ${String(maxAge)}`);
    }
    if (maxAge > MAX_COOKIE_AGE) {
      throw refuse('maxAge', `maxAge ${maxAge} is over 400 days (${MAX_COOKIE_AGE} seconds)`);
    }
    header += `; Max-Age=${maxAge}`;
  }

  if (opts.domain !== undefined) {
    const domain = opts.domain;
    if (typeof domain !== 'string' || domain.length > 253 || !DOMAIN_VALUE.test(domain)) {
      throw refuse('domain', `domain is invalid: ${JSON.stringify(domain)}`);
    }
    header += `; Domain=${domain}`;
  }

  if (opts.path !== undefined) {
    const path = opts.path;
    if (typeof path !== 'string' || path.length > MAX_ATTRIBUTE_SIZE || !PATH_VALUE.test(path)) {
      throw refuse('path', `path is invalid: ${JSON.stringify(path)}`);
    }
    header += `; Path=${path}`;
  }

  if (opts.expires !== undefined) {
    const expires = opts.expires;
    const time = expires instanceof Date ? expires.getTime() : Number.NaN;
    if (!Number.isFinite(time)) throw refuse('expires', 'expires must be a valid Date');
    if (time > Date.now() + MAX_COOKIE_AGE * 1000) {
      throw refuse('expires', `expires ${expires.toISOString()} is more than 400 days ahead`);
    }
    header += `; Expires=${expires.toUTCString()}`;
  }

  if (opts.httpOnly) header += '; HttpOnly';
  if (opts.secure) header += '; Secure';
  if (opts.partitioned) {
    if (!opts.secure) throw refuse('partitioned', 'partitioned requires secure');
    header += '; Partitioned';
  }

  if (opts.priority !== undefined) {
    const priority = typeof opts.priority === 'string' ? opts.priority.toLowerCase() : undefined;
    if (priority === 'low') header += '; Priority=Low';
    else if (priority === 'medium') header += '; Priority=Medium';
    else if (priority === 'high') header += '; Priority=High';
    else throw refuse('priority', `priority is invalid: ${JSON.stringify(opts.priority)}`);
  }

  if (opts.sameSite !== undefined && opts.sameSite !== false) {
    const sameSite = typeof opts.sameSite === 'string' ? opts.sameSite.toLowerCase() : opts.sameSite;
    if (sameSite === true || sameSite === 'strict') header += '; SameSite=Strict';
    else if (sameSite === 'lax') header += '; SameSite=Lax';
    else if (sameSite === 'none') {
      // Chromium and Firefox reject SameSite=None without Secure.
      if (!opts.secure) throw refuse('sameSite', 'sameSite "none" requires secure');
      header += '; SameSite=None';
    } else throw refuse('sameSite', `sameSite is invalid: ${JSON.stringify(opts.sameSite)}`);
  }

  checkPrefix(name, opts, describe);
  return header;
}

/** Whether `name` has a prefix browsers enforce (`__Secure-`, `__Host-`, `__Http-`, `__Host-Http-`), in any case. */
export function hasCookiePrefix(name: string): boolean {
  if (name.charCodeAt(0) !== 0x5f || name.charCodeAt(1) !== 0x5f) return false;
  const lower = name.toLowerCase();
  return lower.startsWith('__host-') || lower.startsWith('__secure-') || lower.startsWith('__http-');
}

/**
 * RFC 6265bis §4.1.3 and §5.7 step 20+: user agents match the prefixes case-insensitively and drop
 * the cookie when the attributes do not fit, so a mismatch here would be a silent loss.
 */
function checkPrefix(name: string, opts: CookieAttributes, describe: DescribeProblem): void {
  if (!hasCookiePrefix(name)) return;
  const lower = name.toLowerCase();
  const host = lower.startsWith('__host-');
  const http = lower.startsWith('__http-') || lower.startsWith('__host-http-');
  if (!opts.secure) throw new TypeError(describe('secure', 'its prefix requires secure'));
  if (http && !opts.httpOnly) throw new TypeError(describe('httpOnly', 'its prefix requires httpOnly'));
  if (host) {
    if (opts.domain !== undefined)
      throw new TypeError(describe('domain', 'a __Host- cookie must not have a domain'));
    if (opts.path !== '/') throw new TypeError(describe('path', 'a __Host- cookie needs path "/"'));
  }
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
