/**
 * The Web Crypto backend of contract.ts, for runtimes with no `node:` modules (Cloudflare's workerd,
 * Vercel's edge runtime, browsers): `crypto.getRandomValues` for randomness, `crypto.subtle` for
 * AES-256-GCM (so sealing and opening return promises), and sha256.ts for HMAC and HKDF, which the
 * engine needs synchronously. It uses no `Buffer` and no `process`.
 *
 * @module
 */
import type * as nodeCrypto from 'node:crypto';
import type { KeyObject, webcrypto } from 'node:crypto';
import { base64, base64url, fromBase64url, fromUtf8, utf8, utf8Length } from './base64.js';
import type { KeygripDigest, OpenedBody } from './contract.js';
import { type Sha256HmacKey, sha256Hmac, sha256HmacKey } from './sha256.js';

// Web Crypto's types, from @types/node (the same interfaces as the DOM's): the project has no DOM lib.
type Crypto = webcrypto.Crypto;
type CryptoKey = webcrypto.CryptoKey;
type BufferSource = webcrypto.BufferSource;

export { base64url, fromBase64url, utf8, utf8Length };

export const backend = 'web-crypto';

const IV_BYTES = 12;
const TIMES_BYTES = 12;
const TAG_BITS = 128;
/** getRandomValues fills at most 65,536 bytes a call. */
const RANDOM_CHUNK = 65_536;

/** What a "KeyObject" is on this backend: the raw secret (HKDF's input) and its prepared HMAC key. */
interface WebHmacKey extends Sha256HmacKey {
  readonly raw: Uint8Array;
}

/** An AES key: the raw bytes, imported into Web Crypto on first use (importing is asynchronous too). */
interface WebAesKey {
  readonly raw: Uint8Array;
  imported?: Promise<CryptoKey>;
}

const webCrypto = (globalThis as { crypto?: Crypto }).crypto;

function crypto(): Crypto {
  if (webCrypto?.subtle === undefined) {
    throw new TypeError('coatcheck: this runtime has neither node:crypto nor Web Crypto (globalThis.crypto)');
  }
  return webCrypto;
}

export function randomBytes(length: number): Uint8Array {
  const bytes = new Uint8Array(length);
  for (let at = 0; at < length; at += RANDOM_CHUNK) {
    crypto().getRandomValues(bytes.subarray(at, Math.min(length, at + RANDOM_CHUNK)));
  }
  return bytes;
}

export function randomBase64url(length: number): string {
  return base64url(randomBytes(length));
}

export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let difference = 0;
  for (let i = 0; i < a.length; i++) difference |= (a[i] as number) ^ (b[i] as number);
  return difference === 0;
}

export function equalText(a: string, b: string): boolean {
  return equalBytes(utf8(a), utf8(b));
}

function prepared(key: KeyObject | Uint8Array): WebHmacKey {
  return key instanceof Uint8Array ? webHmacKey(key) : (key as unknown as WebHmacKey);
}

function webHmacKey(secret: Uint8Array): WebHmacKey {
  return { raw: secret.slice(), ...sha256HmacKey(secret) };
}

export function hmacKey(secret: Uint8Array): KeyObject {
  return webHmacKey(secret) as unknown as KeyObject;
}

export function hmac(key: KeyObject | Uint8Array, data: string): Uint8Array {
  return sha256Hmac(prepared(key), utf8(data));
}

export function hmacBase64url(key: KeyObject | Uint8Array, data: string): string {
  return base64url(hmac(key, data));
}

export function macBase64(key: KeyObject, data: string): string {
  return base64(hmac(key, data));
}

export function hkdf(
  secret: KeyObject | Uint8Array,
  salt: Uint8Array,
  info: string,
  length: number,
): Uint8Array {
  if (length > 255 * 32) throw new RangeError('hkdf: at most 8160 bytes');
  const ikm = secret instanceof Uint8Array ? secret : prepared(secret).raw;
  // Extract (RFC 5869 §2.2): PRK = HMAC(salt, IKM).
  const prk = sha256HmacKey(sha256Hmac(sha256HmacKey(salt), ikm));
  // Expand (§2.3): T(i) = HMAC(PRK, T(i-1) ‖ info ‖ i).
  const label = utf8(info);
  const out = new Uint8Array(length);
  let previous = new Uint8Array(0);
  for (let block = 1, at = 0; at < length; block++) {
    const input = new Uint8Array(previous.length + label.length + 1);
    input.set(previous);
    input.set(label, previous.length);
    input[input.length - 1] = block;
    previous = sha256Hmac(prk, input) as Uint8Array<ArrayBuffer>;
    out.set(previous.subarray(0, length - at), at);
    at += previous.length;
  }
  return out;
}

export function aesKey(raw: Uint8Array): KeyObject {
  const key: WebAesKey = { raw: raw.slice() };
  return key as unknown as KeyObject;
}

function imported(key: KeyObject): Promise<CryptoKey> {
  const aes = key as unknown as WebAesKey;
  aes.imported ??= crypto().subtle.importKey('raw', aes.raw as BufferSource, 'AES-GCM', false, [
    'encrypt',
    'decrypt',
  ]);
  return aes.imported as Promise<CryptoKey>;
}

/** A time as six big-endian bytes (48 bits: up to year 10889), as `Buffer.writeUIntBE(time, at, 6)`. */
function writeTime(target: Uint8Array, at: number, time: number): void {
  const high = Math.floor(time / 0x100000000);
  const low = time >>> 0;
  target[at] = high >>> 8;
  target[at + 1] = high;
  target[at + 2] = low >>> 24;
  target[at + 3] = low >>> 16;
  target[at + 4] = low >>> 8;
  target[at + 5] = low;
}

function readTime(source: Uint8Array, at: number): number {
  const high = ((source[at] as number) << 8) | (source[at + 1] as number);
  const low =
    (((source[at + 2] as number) << 24) |
      ((source[at + 3] as number) << 16) |
      ((source[at + 4] as number) << 8) |
      (source[at + 5] as number)) >>>
    0;
  return high * 0x100000000 + low;
}

export async function sealBody(
  key: KeyObject,
  aad: string,
  issuedAt: number,
  expiresAt: number,
  value: string,
): Promise<string> {
  const text = utf8(value);
  const plaintext = new Uint8Array(TIMES_BYTES + text.length);
  writeTime(plaintext, 0, Math.floor(issuedAt));
  writeTime(plaintext, 6, Math.floor(expiresAt));
  plaintext.set(text, TIMES_BYTES);
  const iv = randomBytes(IV_BYTES);
  // Web Crypto returns the ciphertext with the tag after it: the layout node:crypto's seal writes.
  const sealed = await crypto().subtle.encrypt(
    {
      name: 'AES-GCM',
      iv: iv as BufferSource,
      additionalData: utf8(aad) as BufferSource,
      tagLength: TAG_BITS,
    },
    await imported(key),
    plaintext as BufferSource,
  );
  const body = new Uint8Array(IV_BYTES + sealed.byteLength);
  body.set(iv);
  body.set(new Uint8Array(sealed), IV_BYTES);
  return base64url(body);
}

export async function openBody(
  key: KeyObject,
  aad: string,
  body: Uint8Array,
): Promise<OpenedBody | undefined> {
  let plaintext: Uint8Array;
  try {
    const opened = await crypto().subtle.decrypt(
      {
        name: 'AES-GCM',
        iv: body.subarray(0, IV_BYTES) as BufferSource,
        additionalData: utf8(aad) as BufferSource,
        tagLength: TAG_BITS,
      },
      await imported(key),
      body.subarray(IV_BYTES) as BufferSource,
    );
    plaintext = new Uint8Array(opened);
  } catch {
    return undefined;
  }
  return {
    issuedAt: readTime(plaintext, 0),
    expiresAt: readTime(plaintext, 6),
    value: fromUtf8(plaintext.subarray(TIMES_BYTES)),
  };
}

export function keygripMac(digest: KeygripDigest, key: string | Uint8Array, data: string): string {
  if (digest !== 'sha256') {
    throw new TypeError(
      `coatcheck: keygrip signatures with ${digest} need node:crypto; this runtime has Web Crypto only`,
    );
  }
  return hmacBase64url(typeof key === 'string' ? utf8(key) : key, data);
}

/** Every function of node:crypto throws here; see contract.ts. */
export const nodeOnly = new Proxy({} as typeof nodeCrypto, {
  get(_target, name) {
    return () => {
      throw new TypeError(
        `coatcheck: node:crypto's ${String(name)} is needed here (device-bound sessions), and this runtime has Web Crypto only`,
      );
    };
  },
});
