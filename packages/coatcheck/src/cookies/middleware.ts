import type { KeyObject } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { MIN_SECRET_BYTES, shortSecrets } from '../lib/secrets.js';
import { settleShapes } from '../lib/shape.js';
import { parseCookie } from './parse.js';
import { JSONCookie, JSONCookies, signedCookie, signedCookies } from './parser-helpers.js';
import { SEAL_PREFIX, type SealingKey, seal, sealingKeys, unseal } from './seal.js';
import { type CookieAttributes, type CookieOptionsArgument, serializeCookie } from './serialize.js';
import { type Secret, type Secrets, sign, signingKeys, unsign } from './sign.js';

/** A cookie value as the application sees it: text, or what a `j:` JSON cookie held. */
export type CookieValue = string | number | boolean | object;

/** Options of {@link cookies}. */
export interface CookiesOptions {
  /** Decodes raw cookie values. Default: `decodeURIComponent`, falling back to the raw value. */
  decode?: (value: string) => string;
  /** The purpose sealing keys are derived for (see {@link sealingKeys}). Default `'cookie'`. */
  sealPurpose?: string;
}

/** Options of `res.setCookie`: the `Set-Cookie` attributes, and how to protect the value. */
export interface SetCookieOptions extends CookieAttributes {
  /** Sign the value (`s:` format of cookie-parser and Express): readable by the client, not forgeable. */
  signed?: boolean;
  /** Seal the value (AES-256-GCM, bound to the name, expiring with `maxAge`/`expires`): neither readable nor forgeable. */
  sealed?: boolean;
  /** Encodes the value. Default `encodeURIComponent`. */
  encode?: (value: string) => string;
}

/** What {@link cookies} adds to the request. */
export interface CookiesRequest {
  /** Plain cookies; `j:` JSON cookies parsed. Signed and sealed ones are moved out. */
  cookies: Record<string, CookieValue>;
  /** Cookies in the `s:` signed format: the value, or `false` when the signature does not verify. */
  signedCookies: Record<string, CookieValue | false>;
  /** Sealed cookies: the value, or `false` when the seal does not open (forged, expired, other name). */
  sealedCookies: Record<string, CookieValue | false>;
  /** The first secret, where Express's `res.cookie(…, { signed: true })` looks for it. */
  secret?: Secret;
}

/** What {@link cookies} adds to the response. */
export interface CookiesResponse {
  /**
   * Appends a `Set-Cookie` header. A value that is not a string is stored as JSON (`j:` prefix, as
   * Express does). `maxAge` is in seconds. The prefix rules of {@link serializeCookie} apply at
   * compile time and at run time.
   */
  setCookie<Name extends string>(
    name: Name,
    value: CookieValue,
    ...options: CookieOptionsArgument<Name, SetCookieOptions>
  ): this;
  /** Appends a `Set-Cookie` header that deletes the cookie; pass the same `path` and `domain` it was set with. */
  deleteCookie(name: string, options?: CookieAttributes): this;
}

type Next = (error?: unknown) => void;

const SIGNED_PREFIX = 's:';
const JSON_PREFIX = 'j:';

/**
 * Parses cookies onto the request, verifies signed ones and opens sealed ones, and adds response
 * helpers to set them. A drop-in for cookie-parser with the same signature: `req.cookies`,
 * `req.signedCookies` (cookie-parser's and Express's `s:` format; `false` when forged), `j:` JSON
 * cookies, `req.secret` for Express's `res.cookie(…, { signed: true })`, and an array of secrets for
 * rotation (the first signs, all verify).
 *
 * Sealing needs every secret to be at least 32 bytes; with shorter secrets the middleware still
 * signs and verifies, and `res.setCookie(…, { sealed: true })` throws a `TypeError`.
 *
 * Works with Express 4 and 5 and with plain `node:http` (call it with a `next` callback).
 *
 * @example
 * ```ts
 * app.use(cookies([process.env.COOKIE_SECRET!, process.env.OLD_COOKIE_SECRET!]));
 * app.get('/', (req, res) => {
 *   const theme = req.signedCookies.theme || 'light';
 *   res.setCookie('theme', theme, { signed: true, httpOnly: true, sameSite: 'lax', maxAge: 86400 });
 *   res.setCookie('cart', { items: [42] }, { sealed: true, httpOnly: true, maxAge: 3600 });
 *   res.send(theme);
 * });
 * ```
 */
export function cookies(
  secret?: Secrets,
  options: CookiesOptions = {},
): (req: IncomingMessage, res: ServerResponse, next: Next) => void {
  const secrets: readonly Secret[] =
    secret === undefined || secret === '' ? [] : Array.isArray(secret) ? secret : [secret as Secret];
  const signing: readonly KeyObject[] | undefined =
    secrets.length > 0 ? signingKeys(secret as Secrets) : undefined;
  if (signing !== undefined) {
    for (const where of shortSecrets(secret as Secrets)) {
      process.emitWarning(
        `coatcheck cookies(): ${where} is shorter than ${MIN_SECRET_BYTES} bytes; use a long random one`,
        { type: 'CoatcheckWarning', code: 'COATCHECK_OPTIONS' },
      );
    }
  }
  let sealing: readonly SealingKey[] | undefined;
  let sealingProblem = 'cookies(): sealing needs a secret';
  if (secrets.length > 0) {
    try {
      sealing = sealingKeys(secret as Secrets, { purpose: options.sealPurpose ?? 'cookie' });
    } catch (error) {
      sealingProblem = `cookies(): cannot seal: ${(error as Error).message}`;
    }
  }
  const decode = options.decode;
  if (decode !== undefined && typeof decode !== 'function')
    throw new TypeError('options.decode must be a function');

  function setCookie(
    this: ServerResponse,
    name: string,
    value: CookieValue,
    attributes: SetCookieOptions = {},
  ) {
    const { signed, sealed, ...serializeOptions } = attributes;
    let text = typeof value === 'string' ? value : JSON_PREFIX + JSON.stringify(value);
    if (sealed) {
      if (sealing === undefined) throw new TypeError(sealingProblem);
      text = seal(text, sealing, {
        name,
        maxAge: serializeOptions.maxAge,
        expires: serializeOptions.expires,
      });
    } else if (signed) {
      if (signing === undefined) throw new TypeError('cookies(): signed cookies need a secret');
      text = SIGNED_PREFIX + sign(text, signing);
    }
    this.appendHeader('Set-Cookie', serializeCookie(name, text, serializeOptions));
    return this;
  }

  function deleteCookie(this: ServerResponse, name: string, attributes: CookieAttributes = {}) {
    const { maxAge: _maxAge, expires: _expires, ...rest } = attributes;
    this.appendHeader('Set-Cookie', serializeCookie(name, '', { ...rest, expires: new Date(0) }));
    return this;
  }

  return function cookiesMiddleware(req, res, next) {
    const request = req as IncomingMessage & Partial<CookiesRequest>;
    const response = res as ServerResponse & Partial<CookiesResponse>;
    settleShapes(req, res);
    response.setCookie = setCookie as unknown as CookiesResponse['setCookie'];
    response.deleteCookie = deleteCookie as unknown as CookiesResponse['deleteCookie'];
    // Another parser ran first (cookie-parser, or this middleware mounted twice): keep its work.
    if (request.cookies !== undefined) return next();

    request.secret = secrets[0];
    const plain: Record<string, CookieValue> = parseCookie(
      req.headers.cookie,
      decode ? { decode } : undefined,
    );
    const signedCookies: Record<string, CookieValue | false> = Object.create(null);
    const sealedCookies: Record<string, CookieValue | false> = Object.create(null);

    for (const name in plain) {
      const value = plain[name] as string;
      if (signing !== undefined && value.startsWith(SIGNED_PREFIX)) {
        const result = unsign(value.slice(SIGNED_PREFIX.length), signing);
        signedCookies[name] = result.valid ? parseJsonCookie(result.value) : false;
        delete plain[name];
      } else if (value.startsWith(SEAL_PREFIX)) {
        if (sealing === undefined) continue;
        const result = unseal(value, sealing, { name });
        sealedCookies[name] = result.valid ? parseJsonCookie(result.value) : false;
        delete plain[name];
      } else {
        plain[name] = parseJsonCookie(value);
      }
    }

    request.cookies = plain;
    request.signedCookies = signedCookies;
    request.sealedCookies = sealedCookies;
    next();
  };
}

// cookie-parser's helpers, where cookie-parser has them: on the middleware function itself.
cookies.JSONCookie = JSONCookie;
cookies.JSONCookies = JSONCookies;
cookies.signedCookie = signedCookie;
cookies.signedCookies = signedCookies;

/**
 * cookie-parser's `j:` convention: a value that parses as JSON to something truthy is replaced by
 * it; anything else stays the string it was.
 */
function parseJsonCookie(value: string): CookieValue {
  return (JSONCookie(value) as CookieValue | undefined) || value;
}
