import { createCipheriv, createDecipheriv, type KeyObject, randomBytes } from 'node:crypto';
import { deriveSealingKey } from '../keys.js';
import type { Secrets } from './sign.js';

/** One key prepared by {@link sealingKeys}: an AES-256-GCM key and the short ID written into each seal. */
export interface SealingKey {
  /** 8 base64url characters derived from the secret and the purpose; says nothing about the key. */
  readonly id: string;
  readonly key: KeyObject;
}

/** Options of {@link sealingKeys}. */
export interface SealingKeysOptions {
  /**
   * What the keys seal, mixed into the key derivation so that one secret yields unrelated keys per
   * use: a seal made for `'cookie'` does not open as a `'session'`. Default `'cookie'`.
   */
  purpose?: string;
  /** The option name used in `TypeError` messages. Default `'secret'`. */
  option?: string;
  /**
   * Take secrets shorter than 32 bytes, telling `onShort` which ones, instead of refusing them: for
   * keys an application already protects its cookies with (cookie-session's `keys`) while it moves.
   */
  onShort?: (where: string) => void;
}

/** Options of {@link seal}. */
export interface SealOptions {
  /** The cookie name the seal is bound to; it does not open under any other name. */
  name: string;
  /** Seconds until the seal expires. Default 400 days, the longest a browser keeps a cookie. */
  maxAge?: number;
  /** When the seal expires, if `maxAge` is not given (as in browsers, `maxAge` wins). */
  expires?: Date | number;
  /**
   * When the sealed data was first issued, in milliseconds since the epoch. Default now. A caller
   * that re-seals the same data (a rolling session) passes the original time, so that revocation
   * ("reject everything issued before T") still sees it.
   */
  issuedAt?: number;
  /** The current time in milliseconds, for tests. Default `Date.now()`. */
  now?: number;
}

/** Options of {@link unseal}. */
export interface UnsealOptions {
  /** The name of the cookie the sealed value was read from. */
  name: string;
  /** The current time in milliseconds, for tests. Default `Date.now()`. */
  now?: number;
}

/** Why {@link unseal} refused a value. Only `'expired'` comes from an authenticated seal. */
export type UnsealFailure = 'malformed' | 'unknown-key' | 'forged' | 'expired';

/** What {@link unseal} found. */
export type UnsealResult =
  | {
      valid: true;
      value: string;
      /** True when an older key opened the seal: seal again to move it to the newest key. */
      renew: boolean;
      /** Milliseconds since the epoch. */
      issuedAt: number;
      /** Milliseconds since the epoch. */
      expiresAt: number;
      /** The ID of the key that opened the seal. */
      keyId: string;
    }
  | { valid: false; reason: UnsealFailure; value?: undefined; renew: false };

/** Format version, and the prefix by which a sealed cookie is recognised. */
export const SEAL_PREFIX = 'cc1.';

const MIN_SECRET_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;
/** Two 48-bit big-endian millisecond times: issued-at and expires-at. */
const TIMES_BYTES = 12;
const KEY_ID_CHARS = 8;
const DEFAULT_MAX_AGE = 400 * 24 * 60 * 60;
const BASE64URL = /^[A-Za-z0-9_-]+$/;
/** Largest time a 48-bit field holds: year 10889. */
const MAX_TIME = 2 ** 48 - 1;

const failures: Record<UnsealFailure, UnsealResult> = {
  malformed: Object.freeze({ valid: false, reason: 'malformed', renew: false }),
  'unknown-key': Object.freeze({ valid: false, reason: 'unknown-key', renew: false }),
  forged: Object.freeze({ valid: false, reason: 'forged', renew: false }),
  expired: Object.freeze({ valid: false, reason: 'expired', renew: false }),
};

/**
 * Derives sealing keys from secrets: the first seals, every one opens. Each secret must be at
 * least 32 bytes, since it is the whole strength of the seal. Keys come from HKDF-SHA256 with the
 * purpose in the `info` (keys.ts), so the same secret can sign cookies and seal sessions without the
 * two uses ever sharing a key.
 *
 * @example
 * ```ts
 * const keys = sealingKeys([process.env.COOKIE_SECRET!, process.env.OLD_COOKIE_SECRET!], { purpose: 'session' });
 * ```
 */
export function sealingKeys(secrets: Secrets, options: SealingKeysOptions = {}): readonly SealingKey[] {
  const option = options.option ?? 'secret';
  const purpose = options.purpose ?? 'cookie';
  if (typeof purpose !== 'string' || purpose.length === 0) {
    throw new TypeError('sealingKeys: purpose must be a non-empty string');
  }
  const list = Array.isArray(secrets) ? secrets : [secrets];
  if (list.length === 0) throw new TypeError(`${option} must not be an empty array`);
  return list.map((secret, index) => {
    const where = Array.isArray(secrets) ? `${option}[${index}]` : option;
    let bytes: Buffer;
    if (typeof secret === 'string') bytes = Buffer.from(secret, 'utf8');
    else if (secret instanceof Uint8Array) bytes = Buffer.from(secret);
    else throw new TypeError(`${where} must be a string or a Buffer`);
    if (bytes.byteLength < MIN_SECRET_BYTES && options.onShort) options.onShort(where);
    else if (bytes.byteLength < MIN_SECRET_BYTES) {
      throw new TypeError(`${where} must be at least ${MIN_SECRET_BYTES} bytes to seal with`);
    }
    return deriveSealingKey(bytes, purpose);
  });
}

function additionalData(keyId: string, name: string): Buffer {
  // The version and key ID are authenticated with the cookie name, so none of them can be swapped.
  return Buffer.from(`${SEAL_PREFIX}${keyId}.${name}`, 'utf8');
}

/**
 * Encrypts and authenticates `value` with AES-256-GCM under the first key, bound to the cookie name
 * and to an expiry: `cc1.<key id>.<base64url(iv ‖ ciphertext ‖ tag)>`. The plaintext carries the
 * issued-at and expiry times in front of the value. The result is a valid cookie value as is.
 *
 * @example
 * ```ts
 * const keys = sealingKeys(process.env.COOKIE_SECRET!);
 * const value = seal(JSON.stringify({ cart: [42] }), keys, { name: 'cart', maxAge: 3600 });
 * unseal(value, keys, { name: 'cart' }); // { valid: true, value: '{"cart":[42]}', renew: false, … }
 * ```
 */
export function seal(value: string, keys: readonly SealingKey[], options: SealOptions): string {
  const current = keys[0];
  if (current === undefined) throw new TypeError('seal needs at least one key');
  if (typeof value !== 'string') throw new TypeError('seal: value must be a string');
  if (typeof options?.name !== 'string') throw new TypeError('seal: options.name must be the cookie name');
  const now = options.now ?? Date.now();
  const issuedAt = options.issuedAt ?? now;
  let expiresAt: number;
  if (options.maxAge === undefined && options.expires !== undefined) {
    expiresAt = typeof options.expires === 'number' ? options.expires : options.expires.getTime();
  } else {
    const maxAge = options.maxAge ?? DEFAULT_MAX_AGE;
    if (!Number.isFinite(maxAge))
      throw new TypeError(`seal: maxAge must be a number of seconds, got ${maxAge}`);
    expiresAt = now + maxAge * 1000;
  }
  checkTime(issuedAt, 'issuedAt');
  checkTime(expiresAt, 'expires');

  const plaintext = Buffer.allocUnsafe(TIMES_BYTES + Buffer.byteLength(value, 'utf8'));
  plaintext.writeUIntBE(Math.floor(issuedAt), 0, 6);
  plaintext.writeUIntBE(Math.floor(expiresAt), 6, 6);
  plaintext.write(value, TIMES_BYTES, 'utf8');

  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', current.key, iv, { authTagLength: TAG_BYTES });
  cipher.setAAD(additionalData(current.id, options.name));
  const body = Buffer.concat([iv, cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
  return `${SEAL_PREFIX}${current.id}.${body.toString('base64url')}`;
}

function checkTime(time: number, option: string): void {
  if (!Number.isFinite(time) || time < 0 || time > MAX_TIME) {
    throw new TypeError(`seal: ${option} is not a valid time: ${time}`);
  }
}

/**
 * Opens a value made by {@link seal}, for the cookie `name`, with whichever key its ID names.
 * Never throws on request data: anything that does not authenticate is `{ valid: false }`, and a
 * seal past its expiry is `{ valid: false, reason: 'expired' }`. `renew` says an older key opened
 * it.
 *
 * @example
 * ```ts
 * const opened = unseal(req.cookies.cart, keys, { name: 'cart' });
 * if (opened.valid) {
 *   const cart = JSON.parse(opened.value);
 *   if (opened.renew) res.setCookie('cart', seal(opened.value, keys, { name: 'cart', expires: opened.expiresAt }));
 * }
 * ```
 */
export function unseal(sealed: string, keys: readonly SealingKey[], options: UnsealOptions): UnsealResult {
  if (typeof sealed !== 'string' || !sealed.startsWith(SEAL_PREFIX)) return failures.malformed;
  const idEnd = SEAL_PREFIX.length + KEY_ID_CHARS;
  if (sealed.charCodeAt(idEnd) !== 0x2e /* . */) return failures.malformed;
  const encoded = sealed.slice(idEnd + 1);
  if (!BASE64URL.test(encoded)) return failures.malformed;
  const body = Buffer.from(encoded, 'base64url');
  if (body.length < IV_BYTES + TIMES_BYTES + TAG_BYTES) return failures.malformed;
  // One spelling per seal: base64url ignores the unused bits of the last character, so without this
  // several strings would open the same seal.
  if (body.toString('base64url') !== encoded) return failures.malformed;
  const keyId = sealed.slice(SEAL_PREFIX.length, idEnd);
  const name = typeof options?.name === 'string' ? options.name : '';

  const iv = body.subarray(0, IV_BYTES);
  const ciphertext = body.subarray(IV_BYTES, body.length - TAG_BYTES);
  const tag = body.subarray(body.length - TAG_BYTES);
  let known = false;
  for (let i = 0; i < keys.length; i++) {
    const candidate = keys[i] as SealingKey;
    // IDs are 48 bits, so two keys can share one; then each of them is tried.
    if (candidate.id !== keyId) continue;
    known = true;
    let plaintext: Buffer;
    try {
      const decipher = createDecipheriv('aes-256-gcm', candidate.key, iv, { authTagLength: TAG_BYTES });
      decipher.setAAD(additionalData(keyId, name));
      decipher.setAuthTag(tag);
      plaintext = Buffer.concat([decipher.update(ciphertext), decipher.final()]);
    } catch {
      continue;
    }
    const issuedAt = plaintext.readUIntBE(0, 6);
    const expiresAt = plaintext.readUIntBE(6, 6);
    if ((options?.now ?? Date.now()) >= expiresAt) return failures.expired;
    return {
      valid: true,
      value: plaintext.toString('utf8', TIMES_BYTES),
      renew: i > 0,
      issuedAt,
      expiresAt,
      keyId,
    };
  }
  return known ? failures.forged : failures['unknown-key'];
}
