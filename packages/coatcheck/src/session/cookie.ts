import { attributesFor, type CookieAttributes } from '../cookies/attributes.js';
import { serializeCookie } from '../cookies/serialize.js';
import { warn } from '../lib/warn.js';
import type { CookieJSON } from '../stores/contract.js';

/** `SameSite` values; `'auto'` means `None` on secure requests and `Lax` otherwise. */
export type SameSiteOption = boolean | 'lax' | 'strict' | 'none' | 'auto';

/** Options of the session cookie: express-session's `cookie` option, with safe defaults. */
export interface CookieOptions {
  /**
   * Lifetime in milliseconds; absent means a browser-session cookie. A `Date` (deprecated, as in
   * express-session) is taken as the expiry.
   */
  maxAge?: number | Date | null | undefined;
  /** Absolute expiry; prefer `maxAge`. */
  expires?: Date | null | undefined;
  /** Default `true`: scripts cannot read the session cookie. */
  httpOnly?: boolean | undefined;
  /** Default `'/'`. */
  path?: string | undefined;
  domain?: string | undefined;
  /**
   * Default `'auto'`: `Secure` exactly when the request came over HTTPS, decided anew for every
   * response (never stored with the session). Over plain HTTP, `'auto'` also drops what needs
   * `Secure`: `sameSite: 'none'` goes out as `Lax` and `partitioned` is left out, where a browser
   * would otherwise refuse the whole cookie.
   */
  secure?: boolean | 'auto' | undefined;
  /** Default `'lax'`. */
  sameSite?: SameSiteOption | undefined;
  partitioned?: boolean | undefined;
  priority?: 'low' | 'medium' | 'high' | undefined;
}

let warnedMaxAgeDate = false;

/** Once per process, as express-session's `depd` warns: a `Date` as `maxAge` is deprecated there. */
function warnMaxAgeDate(): void {
  if (warnedMaxAgeDate) return;
  warnedMaxAgeDate = true;
  warn('cookie.maxAge as a Date is deprecated; pass a number of milliseconds instead', {
    type: 'DeprecationWarning',
    code: 'COATCHECK_MAXAGE_DATE',
  });
}

/**
 * `req.session.cookie`: the session cookie's settings, as in express-session. Setting `maxAge`
 * on one session (for "remember me") changes that session's cookie and idle lifetime.
 *
 * @example
 * ```ts
 * if (req.body.remember) req.session.cookie.maxAge = 30 * 24 * 60 * 60 * 1000;
 * ```
 */
export class Cookie {
  path = '/';
  httpOnly = true;
  domain: string | undefined;
  secure: boolean | 'auto' | undefined;
  sameSite: SameSiteOption | undefined;
  partitioned: boolean | undefined;
  priority: 'low' | 'medium' | 'high' | undefined;
  /** The lifetime the cookie was given, in milliseconds, or `null` for a browser-session cookie. */
  originalMaxAge: number | null = null;
  #expires: Date | null = null;

  constructor(options: CookieOptions | CookieJSON = {}) {
    // express-session's check, and its wording, which code may match.
    if (options === null || typeof options !== 'object') {
      throw new TypeError('argument options must be an object');
    }
    if (options.path !== undefined) this.path = options.path;
    if (options.httpOnly !== undefined) this.httpOnly = options.httpOnly;
    this.domain = options.domain;
    this.secure = options.secure;
    this.sameSite = options.sameSite;
    this.partitioned = options.partitioned;
    this.priority = options.priority;
    if ('maxAge' in options && options.maxAge != null) {
      this.maxAge = options.maxAge;
    } else if (options.expires != null) {
      this.expires = options.expires instanceof Date ? options.expires : new Date(options.expires);
      if ('originalMaxAge' in options) this.originalMaxAge = options.originalMaxAge ?? null;
    } else if ('originalMaxAge' in options && options.originalMaxAge != null) {
      this.originalMaxAge = options.originalMaxAge;
    }
  }

  /** When the cookie expires, or `null` for a browser-session cookie. */
  get expires(): Date | null {
    return this.#expires;
  }
  set expires(date: Date | null) {
    this.#expires = date;
    this.originalMaxAge = this.maxAge;
  }

  /** Milliseconds until the cookie expires, or `null` for a browser-session cookie. */
  get maxAge(): number | null {
    return this.#expires ? this.#expires.getTime() - Date.now() : null;
  }
  /** A `Date` is taken as the expiry, as express-session takes it, with its deprecation warning. */
  set maxAge(ms: number | Date | null) {
    if (ms instanceof Date) {
      warnMaxAgeDate();
      this.expires = ms;
      return;
    }
    if (ms !== null && (typeof ms !== 'number' || !Number.isFinite(ms))) {
      throw new TypeError('cookie.maxAge must be a finite number of milliseconds or null');
    }
    this.expires = ms === null ? null : new Date(Date.now() + ms);
    // The expires setter reads the clock again, a millisecond later at times, and would record
    // `ms - 1`: a rolling session's resetMaxAge() would then shorten its cookie a millisecond at a
    // time, and the stored originalMaxAge would not be what the application gave.
    this.originalMaxAge = ms;
  }

  /** The attributes `serialize` uses. */
  get data(): Omit<CookieOptions, 'maxAge'> {
    return {
      expires: this.#expires,
      httpOnly: this.httpOnly,
      path: this.path,
      domain: this.domain,
      secure: this.secure,
      sameSite: this.sameSite,
      partitioned: this.partitioned,
      priority: this.priority,
    };
  }

  /**
   * The attributes of the `Set-Cookie` header for a response to a request that came over HTTPS
   * (`secureRequest`) or not: `'auto'` settings resolved for it, attributes that need `Secure`
   * dropped where it is absent (`SameSite=None` becomes `Lax`, `Partitioned` is left out), and the
   * expiry capped at the 400 days a browser keeps a cookie.
   */
  attributes(secureRequest: boolean): CookieAttributes {
    return attributesFor(
      {
        secure: this.secure,
        sameSite: this.sameSite,
        httpOnly: this.httpOnly,
        path: this.path,
        domain: this.domain,
        partitioned: this.partitioned,
        priority: this.priority,
        expires: this.#expires,
      },
      secureRequest,
    );
  }

  /**
   * A `Set-Cookie` value for `name=value` with this cookie's attributes, built by `serializeCookie`
   * (so it refuses what a browser would drop). `'auto'` settings are resolved for a request over
   * HTTPS unless `secureRequest` says otherwise.
   */
  serialize(name: string, value: string, secureRequest = true): string {
    return serializeCookie(name, value, this.attributes(secureRequest));
  }

  /** The form stored with the session, identical to express-session's. */
  toJSON(): CookieJSON {
    const json: CookieJSON = { originalMaxAge: this.originalMaxAge };
    if (this.partitioned !== undefined) json.partitioned = this.partitioned;
    if (this.priority !== undefined) json.priority = this.priority;
    json.expires = this.#expires ? this.#expires.toISOString() : null;
    if (this.secure !== undefined) json.secure = this.secure;
    json.httpOnly = this.httpOnly;
    if (this.domain !== undefined) json.domain = this.domain;
    json.path = this.path;
    if (this.sameSite !== undefined) json.sameSite = this.sameSite;
    return json;
  }
}
