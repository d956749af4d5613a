import type { KeyObject } from 'node:crypto';
import { type Secrets, signingKeys, unsign } from './sign.js';

const JSON_PREFIX = 'j:';
const SIGNED_PREFIX = 's:';

/**
 * cookie-parser's `JSONCookie`: what a `j:` JSON cookie holds, or `undefined` for anything else
 * (not a string, no `j:` prefix, or JSON that does not parse).
 *
 * @example
 * ```ts
 * import { JSONCookie } from 'coatcheck';
 * JSONCookie('j:{"items":[42]}'); // { items: [42] }
 * JSONCookie('plain');            // undefined
 * ```
 */
export function JSONCookie(value: unknown): unknown {
  if (typeof value !== 'string' || !value.startsWith(JSON_PREFIX)) return undefined;
  try {
    return JSON.parse(value.slice(JSON_PREFIX.length));
  } catch {
    return undefined;
  }
}

/**
 * cookie-parser's `JSONCookies`: replaces, in place, each value of `cookies` that is a `j:` JSON
 * cookie holding something truthy by what it holds, and returns the same object.
 *
 * @example
 * ```ts
 * import { JSONCookies } from 'coatcheck';
 * JSONCookies({ cart: 'j:[1,2]', theme: 'dark' }); // { cart: [1, 2], theme: 'dark' }
 * ```
 */
export function JSONCookies<T extends Record<string, unknown>>(cookies: T): T {
  const target = cookies as Record<string, unknown>;
  for (const name of Object.keys(target)) {
    const parsed = JSONCookie(target[name]);
    if (parsed) target[name] = parsed;
  }
  return cookies;
}

/** Keys for the helpers, built once per distinct secret argument (they are called per request). */
const keysCache = new WeakMap<object, readonly KeyObject[]>();
const stringKeys = new Map<string, readonly KeyObject[]>();
const MAX_CACHED_STRINGS = 64;

function keysOf(secret: Secrets | undefined | null | ''): readonly KeyObject[] {
  if (secret === undefined || secret === null || secret === '') return [];
  if (typeof secret === 'string') {
    let keys = stringKeys.get(secret);
    if (!keys) {
      keys = signingKeys(secret);
      if (stringKeys.size >= MAX_CACHED_STRINGS) stringKeys.clear();
      stringKeys.set(secret, keys);
    }
    return keys;
  }
  if (Array.isArray(secret) && secret.length === 0) return [];
  let keys = keysCache.get(secret as object);
  if (!keys) {
    keys = signingKeys(secret);
    keysCache.set(secret as object, keys);
  }
  return keys;
}

/**
 * cookie-parser's `signedCookie`: the value of an `s:` signed cookie when a secret verifies it,
 * `false` when none does, the string itself when it is not signed, and `undefined` for a value that
 * is not a string. `secret` is one secret or several (any one verifies).
 *
 * @example
 * ```ts
 * import { signedCookie } from 'coatcheck';
 * signedCookie(req.cookies.remember, [process.env.COOKIE_SECRET!]); // 'yes', or false if forged
 * ```
 */
export function signedCookie(value: unknown, secret: Secrets | undefined): string | false | undefined {
  if (typeof value !== 'string') return undefined;
  if (!value.startsWith(SIGNED_PREFIX)) return value;
  const result = unsign(value.slice(SIGNED_PREFIX.length), keysOf(secret));
  return result.valid ? result.value : false;
}

/**
 * cookie-parser's `signedCookies`: moves every signed cookie out of `cookies` (in place) into the
 * object returned, as its value or `false` when no secret verifies it; unsigned ones stay.
 *
 * @example
 * ```ts
 * import { signedCookies } from 'coatcheck';
 * const plain = { theme: 'dark', remember: 's:yes.N5r0…' };
 * signedCookies(plain, secret); // { remember: 'yes' }; plain is now { theme: 'dark' }
 * ```
 */
export function signedCookies(
  cookies: Record<string, unknown>,
  secret: Secrets | undefined,
): Record<string, string | false | undefined> {
  const signed: Record<string, string | false | undefined> = Object.create(null);
  for (const name of Object.keys(cookies)) {
    const value = cookies[name];
    const verified = signedCookie(value, secret);
    if (verified !== value) {
      signed[name] = verified;
      delete cookies[name];
    }
  }
  return signed;
}
