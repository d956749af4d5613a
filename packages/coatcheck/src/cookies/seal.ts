import type { KeyObject } from 'node:crypto';
import { base64url, fromBase64url, openBody, sealBody, utf8 } from '#crypto';
import { deriveSealingKey } from '../keys.js';
import type { Maybe, OpenedBody } from '../lib/crypto/contract.js';
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
    let bytes: Uint8Array;
    if (typeof secret === 'string') bytes = utf8(secret);
    else if (secret instanceof Uint8Array) bytes = secret.slice();
    else throw new TypeError(`${where} must be a string or a Buffer`);
    if (bytes.byteLength < MIN_SECRET_BYTES && options.onShort) options.onShort(where);
    else if (bytes.byteLength < MIN_SECRET_BYTES) {
      throw new TypeError(`${where} must be at least ${MIN_SECRET_BYTES} bytes to seal with`);
    }
    return deriveSealingKey(bytes, purpose);
  });
}

function additionalData(keyId: string, name: string): string {
  // The version and key ID are authenticated with the cookie name, so none of them can be swapped.
  return `${SEAL_PREFIX}${keyId}.${name}`;
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
  const sealed = sealMaybe(value, keys, options);
  if (typeof sealed !== 'string') throw synchronousOnly('seal', sealed);
  return sealed;
}

/**
 * {@link seal} on every runtime: on Node.js (and Bun and Deno) the seal is made at once; where
 * only Web Crypto is available (Cloudflare Workers, Vercel's edge runtime) AES-GCM is asynchronous.
 *
 * @example
 * ```ts
 * const keys = sealingKeys(process.env.COOKIE_SECRET!);
 * const value = await sealAsync(JSON.stringify({ cart: [42] }), keys, { name: 'cart', maxAge: 3600 });
 * ```
 */
export async function sealAsync(
  value: string,
  keys: readonly SealingKey[],
  options: SealOptions,
): Promise<string> {
  return sealMaybe(value, keys, options);
}

/** {@link unseal} on every runtime; see {@link sealAsync}. */
export async function unsealAsync(
  sealed: string,
  keys: readonly SealingKey[],
  options: UnsealOptions,
): Promise<UnsealResult> {
  return unsealMaybe(sealed, keys, options);
}

/** A promise where `seal()` or `unseal()` must answer at once: this runtime's AES-GCM is Web Crypto's. */
function synchronousOnly(name: string, pending: Promise<unknown>): TypeError {
  // The promise is dropped: keep its rejection (if any) from being reported as unhandled.
  pending.catch(() => {});
  return new TypeError(
    `${name}() is synchronous on node:crypto only; on this runtime (Web Crypto) use ${name}Async()`,
  );
}

/** {@link seal}, synchronous under node:crypto and a promise under Web Crypto: what sessions call. */
export function sealMaybe(value: string, keys: readonly SealingKey[], options: SealOptions): Maybe<string> {
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

  const body = sealBody(current.key, additionalData(current.id, options.name), issuedAt, expiresAt, value);
  const prefix = `${SEAL_PREFIX}${current.id}.`;
  return typeof body === 'string' ? prefix + body : body.then((encoded) => prefix + encoded);
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
  const opened = unsealMaybe(sealed, keys, options);
  if (opened instanceof Promise) throw synchronousOnly('unseal', opened);
  return opened;
}

/** {@link unseal}, synchronous under node:crypto and a promise under Web Crypto: what sessions call. */
export function unsealMaybe(
  sealed: string,
  keys: readonly SealingKey[],
  options: UnsealOptions,
): Maybe<UnsealResult> {
  if (typeof sealed !== 'string' || !sealed.startsWith(SEAL_PREFIX)) return failures.malformed;
  const idEnd = SEAL_PREFIX.length + KEY_ID_CHARS;
  if (sealed.charCodeAt(idEnd) !== 0x2e /* . */) return failures.malformed;
  const encoded = sealed.slice(idEnd + 1);
  if (!BASE64URL.test(encoded)) return failures.malformed;
  const body = fromBase64url(encoded);
  if (body.length < IV_BYTES + TIMES_BYTES + TAG_BYTES) return failures.malformed;
  // One spelling per seal: base64url ignores the unused bits of the last character, so without this
  // several strings would open the same seal.
  if (base64url(body) !== encoded) return failures.malformed;
  const keyId = sealed.slice(SEAL_PREFIX.length, idEnd);
  const aad = additionalData(keyId, typeof options?.name === 'string' ? options.name : '');
  const now = options?.now;
  let known = false;
  for (let i = 0; i < keys.length; i++) {
    const candidate = keys[i] as SealingKey;
    // IDs are 48 bits, so two keys can share one; then each of them is tried.
    if (candidate.id !== keyId) continue;
    known = true;
    const opened = openBody(candidate.key, aad, body);
    if (opened instanceof Promise) return openedLater(opened, i, keys, keyId, aad, body, now);
    if (opened !== undefined) return unsealed(opened, i, keyId, now);
  }
  return known ? failures.forged : failures['unknown-key'];
}

/** The rest of {@link unsealMaybe}'s search where opening is asynchronous (Web Crypto). */
async function openedLater(
  first: Promise<OpenedBody | undefined>,
  index: number,
  keys: readonly SealingKey[],
  keyId: string,
  aad: string,
  body: Uint8Array,
  now: number | undefined,
): Promise<UnsealResult> {
  let found = await first;
  let i = index;
  while (found === undefined) {
    i++;
    while (i < keys.length && (keys[i] as SealingKey).id !== keyId) i++;
    if (i >= keys.length) return failures.forged;
    found = await openBody((keys[i] as SealingKey).key, aad, body);
  }
  return unsealed(found, i, keyId, now);
}

function unsealed(opened: OpenedBody, index: number, keyId: string, now: number | undefined): UnsealResult {
  if ((now ?? Date.now()) >= opened.expiresAt) return failures.expired;
  return {
    valid: true,
    value: opened.value,
    renew: index > 0,
    issuedAt: opened.issuedAt,
    expiresAt: opened.expiresAt,
    keyId,
  };
}
