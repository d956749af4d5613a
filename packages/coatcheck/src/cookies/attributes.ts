/**
 * The rules of a cookie's name and attributes, in one place: `serializeCookie` applies them to every
 * `Set-Cookie` it writes, and the middlewares apply the same ones to their cookie options at
 * construction ({@link checkCookieSettings}), so a setting a browser would drop is a `TypeError`
 * naming the option before any request, never a failure when a response is serialized.
 *
 * @module
 */

/**
 * `cookie-name = token` (RFC 6265bis §4.1.1), with token from RFC 9110 §5.6.2:
 * `tchar = "!" / "#" / "$" / "%" / "&" / "'" / "*" / "+" / "-" / "." / "^" / "_" / "`" / "|" / "~" / DIGIT / ALPHA`.
 * Stricter than what browsers accept, on purpose: a name outside this set is the first step of the
 * attribute injection behind CVE-2024-47764.
 */
const COOKIE_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

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

/**
 * Whether `name` is a valid cookie name (`cookie-name = token`, RFC 6265bis §4.1.1): what every
 * option naming a cookie is checked with.
 *
 * @example
 * ```ts
 * isCookieName('connect.sid'); // true
 * isCookieName('a;b');         // false
 * ```
 */
export function isCookieName(name: unknown): name is string {
  return typeof name === 'string' && COOKIE_NAME.test(name);
}

/**
 * Words a refused attribute: which option (`attribute`) and what is wrong with it (`problem`).
 * `serializeCookie` says `cookie "sid": …`; a middleware checking its options at construction names
 * the option instead (`session option cookie.domain: …`).
 */
export type DescribeProblem = (attribute: string, problem: string) => string;

/**
 * Checks attributes for the cookie `name` by the rules `serializeCookie` applies, throwing the
 * same `TypeError`s worded by `describe`.
 */
export function checkCookieAttributes(
  name: string,
  attributes: CookieAttributes,
  describe: DescribeProblem,
): void {
  formatAttributes(name, attributes, describe);
}

/** The `; Attribute=value` part of a `Set-Cookie` header, each attribute checked. */
export function formatAttributes(name: string, opts: CookieAttributes, describe: DescribeProblem): string {
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
    } else {
      throw refuse('sameSite', `sameSite is invalid: ${JSON.stringify(opts.sameSite)}`);
    }
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

/**
 * A middleware's cookie settings, before they meet a response: `secure` and `sameSite` may be
 * `'auto'`, decided for each response by whether its request came over HTTPS.
 */
export interface CookieSettings {
  /** `'auto'`: `Secure` exactly when the request came over HTTPS. */
  secure?: boolean | 'auto' | undefined;
  /** `'auto'`: `None` on secure requests and `Lax` otherwise. */
  sameSite?: SameSite | 'auto' | undefined;
  httpOnly?: boolean | undefined;
  path?: string | undefined;
  domain?: string | undefined;
  partitioned?: boolean | undefined;
  priority?: CookiePriority | undefined;
  expires?: Date | null | undefined;
}

const MAX_COOKIE_AGE_MS = MAX_COOKIE_AGE * 1000;

/**
 * The attributes of the `Set-Cookie` header for a response to a request that came over HTTPS
 * (`secureRequest`) or not: `'auto'` settings resolved for it, attributes that need `Secure` dropped
 * where it is absent (`SameSite=None` becomes `Lax`, `Partitioned` is left out, where a browser would
 * otherwise refuse the whole cookie), and the expiry capped at the 400 days a browser keeps a cookie.
 *
 * @example
 * ```ts
 * attributesFor({ secure: 'auto', sameSite: 'none', path: '/' }, false);
 * // { httpOnly: undefined, path: '/', secure: false, sameSite: 'lax' }
 * ```
 */
export function attributesFor(settings: CookieSettings, secureRequest: boolean): CookieAttributes {
  const secure = settings.secure === 'auto' ? secureRequest : settings.secure === true;
  let sameSite = sameSiteFor(settings.sameSite, secure);
  if (!secure && typeof sameSite === 'string' && sameSite.toLowerCase() === 'none') sameSite = 'lax';
  const attributes: CookieAttributes = { httpOnly: settings.httpOnly, path: settings.path, secure };
  const expires = settings.expires;
  if (expires != null) {
    const latest = Date.now() + MAX_COOKIE_AGE_MS;
    attributes.expires = expires.getTime() > latest ? new Date(latest) : expires;
  }
  if (settings.domain !== undefined) attributes.domain = settings.domain;
  if (sameSite !== undefined) attributes.sameSite = sameSite;
  if (settings.partitioned && secure) attributes.partitioned = true;
  if (settings.priority !== undefined) attributes.priority = settings.priority;
  return attributes;
}

function sameSiteFor(sameSite: CookieSettings['sameSite'], secure: boolean): SameSite | undefined {
  if (typeof sameSite === 'string' && sameSite.toLowerCase() === 'auto') return secure ? 'none' : 'lax';
  return sameSite as SameSite | undefined;
}

/**
 * Checks a middleware's cookie settings for the cookie `name`, at construction, by the rules every
 * `Set-Cookie` is serialized with, for the strictest response: over HTTPS, where `'auto'` means
 * `Secure` (over plain HTTP, {@link attributesFor} drops what needs it instead). `option` names the
 * setting in messages (`session option cookie.path`). A `maxAge` is in milliseconds here, as the
 * session options take it (a `Date` is express-session's deprecated spelling of an expiry). A
 * prefixed name (`__Secure-`, `__Host-`, `__Http-`, in any case, as browsers match them) turns
 * `secure: 'auto'` into `true`, since such a cookie is never sent over plain HTTP: the settings to
 * use are returned.
 *
 * @example
 * ```ts
 * checkCookieSettings('sid', { path: 'app' }, (key) => `cookie.${key}`);
 * // TypeError: cookie.path: path is invalid: "app"
 * ```
 */
export function checkCookieSettings<Settings extends CookieSettings & { maxAge?: unknown }>(
  name: string,
  settings: Settings,
  option: (key: string) => string,
): Settings {
  const refuse = (key: string, problem: string) => new TypeError(`${option(key)} ${problem}`);
  const maxAge = settings.maxAge;
  if (maxAge != null) {
    if (maxAge instanceof Date) {
      if (!Number.isFinite(maxAge.getTime())) throw refuse('maxAge', 'must be a valid Date');
    } else if (typeof maxAge !== 'number' || !Number.isFinite(maxAge)) {
      throw refuse('maxAge', 'must be a number of milliseconds');
    } else if (maxAge > MAX_COOKIE_AGE_MS) {
      throw refuse(
        'maxAge',
        `${maxAge} is over 400 days (${MAX_COOKIE_AGE_MS} ms), the most a browser keeps a cookie`,
      );
    }
  }
  if (settings.expires != null && !(settings.expires instanceof Date))
    throw refuse('expires', 'must be a Date');
  if (settings.secure !== undefined && typeof settings.secure !== 'boolean' && settings.secure !== 'auto') {
    throw refuse('secure', 'must be a boolean or "auto"');
  }
  for (const key of ['httpOnly', 'partitioned'] as const) {
    if (settings[key] !== undefined && typeof settings[key] !== 'boolean')
      throw refuse(key, 'must be a boolean');
  }
  const sameSite =
    typeof settings.sameSite === 'string' ? settings.sameSite.toLowerCase() : settings.sameSite;
  if (sameSite !== undefined && !SAME_SITE.has(sameSite)) {
    throw refuse('sameSite', 'must be true, false, "lax", "strict", "none" or "auto"');
  }
  if (settings.priority !== undefined && !PRIORITY.has(String(settings.priority).toLowerCase())) {
    throw refuse('priority', 'must be "low", "medium" or "high"');
  }
  const checked =
    hasCookiePrefix(name) && settings.secure === 'auto' ? { ...settings, secure: true } : settings;
  const secure = checked.secure !== false;
  checkCookieAttributes(
    name,
    {
      secure,
      httpOnly: checked.httpOnly,
      path: checked.path,
      domain: checked.domain,
      expires: checked.expires ?? undefined,
      sameSite: sameSiteFor(checked.sameSite, secure),
      partitioned: checked.partitioned,
      priority: checked.priority,
    },
    (key, problem) => `${option(key)}: ${problem}`,
  );
  return checked;
}

const SAME_SITE = new Set<unknown>([true, false, 'lax', 'strict', 'none', 'auto']);
const PRIORITY = new Set(['low', 'medium', 'high']);
