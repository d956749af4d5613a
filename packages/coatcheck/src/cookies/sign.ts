import type { KeyObject } from 'node:crypto';
import { equalText, hmacKey, macBase64, utf8, utf8Length } from '#crypto';

/** A signing secret: text or bytes. */
export type Secret = string | Buffer | Uint8Array;

/**
 * One secret, or several for rotation: the first signs, every one verifies.
 */
export type Secrets = Secret | readonly Secret[];

/** What {@link unsign} found. */
export type UnsignResult =
  | { valid: true; value: string; renew: boolean }
  | { valid: false; value?: undefined; renew: false };

const INVALID: UnsignResult = Object.freeze({ valid: false, renew: false });

/**
 * Secrets prepared once for HMAC: validated, and turned into key objects so that each request skips
 * key setup. Built at construction time by the middleware; a bad secret is a `TypeError` there.
 *
 * @example
 * ```ts
 * const keys = signingKeys(['new secret …', 'old secret …'], 'secret');
 * const cookie = sign('abc', keys);
 * unsign(cookie, keys); // { valid: true, value: 'abc', renew: false }
 * ```
 */
export function signingKeys(secrets: Secrets, option = 'secret'): readonly KeyObject[] {
  const list = Array.isArray(secrets) ? secrets : [secrets];
  if (list.length === 0) throw new TypeError(`${option} must not be an empty array`);
  return list.map((secret, index) => {
    const where = Array.isArray(secrets) ? `${option}[${index}]` : option;
    if (typeof secret === 'string') {
      if (secret.length === 0) throw new TypeError(`${where} must not be empty`);
      return hmacKey(utf8(secret));
    }
    if (secret instanceof Uint8Array) {
      if (secret.byteLength === 0) throw new TypeError(`${where} must not be empty`);
      return hmacKey(secret);
    }
    throw new TypeError(`${where} must be a string or a Buffer`);
  });
}

/** The byte length of a secret, for the "shorter than 32 bytes" warning. */
export function secretLength(secret: Secret): number {
  return typeof secret === 'string' ? utf8Length(secret) : secret.byteLength;
}

/** 32 bytes of HMAC-SHA256 in base64 are 43 characters and one `=` of padding. */
const MAC_CHARS = 43;

/**
 * Signs `value` with the first key: `value + '.' + base64(HMAC-SHA256)` without padding, the format
 * of cookie-signature, cookie-parser and express-session.
 *
 * @example
 * ```ts
 * sign('hello', signingKeys('a long random secret')); // 'hello.x3nO…'
 * ```
 */
export function sign(value: string, keys: readonly KeyObject[]): string {
  const key = keys[0];
  if (key === undefined) throw new TypeError('sign needs at least one key');
  // cookie-signature's format: standard base64 with the padding removed.
  return `${value}.${macBase64(key, value)}`;
}

/**
 * Verifies a value made by {@link sign} with any of the keys, in constant time per key. `renew` is
 * true when a key other than the first matched, so the caller can re-sign with the newest key.
 * Never throws: anything that does not verify is `{ valid: false }`.
 *
 * @example
 * ```ts
 * const result = unsign(cookieValue, keys);
 * if (result.valid) useSessionId(result.value);
 * ```
 */
export function unsign(signed: string, keys: readonly KeyObject[]): UnsignResult {
  if (typeof signed !== 'string') return INVALID;
  const dot = signed.lastIndexOf('.');
  // A MAC of the wrong length cannot match; checking the length first (it is public) spares an HMAC
  // per key on garbage.
  if (dot < 0 || signed.length - dot - 1 !== MAC_CHARS) return INVALID;
  const value = signed.slice(0, dot);
  const given = signed.slice(dot + 1);
  for (let i = 0; i < keys.length; i++) {
    if (equalText(macBase64(keys[i] as KeyObject, value), given)) {
      return { valid: true, value, renew: i > 0 };
    }
  }
  return INVALID;
}
