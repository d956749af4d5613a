/**
 * The `node:crypto` backend of contract.ts: synchronous, the calls coatcheck made before the
 * interface existed, and `Buffer` for encodings. Picked by the `node` export condition (Node.js,
 * Bun, Deno).
 *
 * @module
 */
import * as nodeCrypto from 'node:crypto';
import {
  createCipheriv,
  createDecipheriv,
  createHmac,
  createSecretKey,
  hkdfSync,
  type KeyObject,
  randomBytes as nodeRandomBytes,
  randomFillSync,
  timingSafeEqual,
} from 'node:crypto';
import type { KeygripDigest, Maybe, OpenedBody } from './contract.js';

export const backend = 'node:crypto';
export const nodeOnly: typeof nodeCrypto = nodeCrypto;

const IV_BYTES = 12;
const TAG_BYTES = 16;
const TIMES_BYTES = 12;
const MAC_CHARS = 43;

function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

export function utf8(text: string): Uint8Array {
  return Buffer.from(text, 'utf8');
}

export function utf8Length(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}

export function base64url(bytes: Uint8Array): string {
  return asBuffer(bytes).toString('base64url');
}

export function fromBase64url(text: string): Uint8Array {
  return Buffer.from(text, 'base64url');
}

// A call to node's randomBytes costs about 3 µs however few bytes it returns (OpenSSL's generator
// is entered once per call), more than sealing the rest of a cookie. Seal IVs, session IDs and CSRF
// secrets (12 to 48 bytes) therefore come from a pool filled from the same generator 4 KiB at a
// time. Each byte is handed out once and wiped from the pool as it goes, so the pool never holds
// an ID or secret already issued.
const POOL_BYTES = 4096;
/** Larger requests go to randomBytes directly: the per-call cost no longer matters there. */
const POOLED_AT_MOST = 256;
const pool = Buffer.allocUnsafe(POOL_BYTES);
let poolAt = POOL_BYTES;

/** The offset in {@link pool} of `length` fresh bytes, which the caller copies out and then wipes. */
function take(length: number): number {
  if (poolAt + length > POOL_BYTES) {
    randomFillSync(pool);
    poolAt = 0;
  }
  const at = poolAt;
  poolAt += length;
  return at;
}

export function randomBytes(length: number): Uint8Array {
  if (length > POOLED_AT_MOST) return nodeRandomBytes(length);
  const at = take(length);
  const bytes = Buffer.allocUnsafe(length);
  pool.copy(bytes, 0, at, at + length);
  pool.fill(0, at, at + length);
  return bytes;
}

export function randomBase64url(length: number): string {
  if (length > POOLED_AT_MOST) return nodeRandomBytes(length).toString('base64url');
  const at = take(length);
  const text = pool.toString('base64url', at, at + length);
  pool.fill(0, at, at + length);
  return text;
}

export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

export function equalText(a: string, b: string): boolean {
  const x = Buffer.from(a, 'utf8');
  const y = Buffer.from(b, 'utf8');
  return x.length === y.length && timingSafeEqual(x, y);
}

export function hmacKey(secret: Uint8Array): KeyObject {
  return createSecretKey(Buffer.from(secret));
}

export function hmac(key: KeyObject | Uint8Array, data: string): Uint8Array {
  return createHmac('sha256', key).update(data).digest();
}

export function hmacBase64url(key: KeyObject | Uint8Array, data: string): string {
  return createHmac('sha256', key).update(data).digest('base64url');
}

export function macBase64(key: KeyObject, data: string): string {
  return createHmac('sha256', key).update(data).digest('base64').slice(0, MAC_CHARS);
}

export function hkdf(
  secret: KeyObject | Uint8Array,
  salt: Uint8Array,
  info: string,
  length: number,
): Uint8Array {
  return Buffer.from(hkdfSync('sha256', secret, salt, info, length));
}

export function aesKey(raw: Uint8Array): KeyObject {
  return createSecretKey(Buffer.from(raw));
}

// sealBody and openBody answer at once here; their types are the contract's, since callers are
// typed against this module and must handle the Web Crypto backend's promises as well.
export function sealBody(
  key: KeyObject,
  aad: string,
  issuedAt: number,
  expiresAt: number,
  value: string,
): Maybe<string> {
  const plaintext = Buffer.allocUnsafe(TIMES_BYTES + Buffer.byteLength(value, 'utf8'));
  plaintext.writeUIntBE(Math.floor(issuedAt), 0, 6);
  plaintext.writeUIntBE(Math.floor(expiresAt), 6, 6);
  plaintext.write(value, TIMES_BYTES, 'utf8');
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
  cipher.setAAD(Buffer.from(aad, 'utf8'));
  const body = Buffer.concat([iv, cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
  return body.toString('base64url');
}

export function openBody(key: KeyObject, aad: string, body: Uint8Array): Maybe<OpenedBody | undefined> {
  const iv = body.subarray(0, IV_BYTES);
  const ciphertext = body.subarray(IV_BYTES, body.length - TAG_BYTES);
  const tag = body.subarray(body.length - TAG_BYTES);
  let plaintext: Buffer;
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
    decipher.setAAD(Buffer.from(aad, 'utf8'));
    decipher.setAuthTag(tag);
    plaintext = Buffer.concat([decipher.update(ciphertext), decipher.final()]);
  } catch {
    return undefined;
  }
  return {
    issuedAt: plaintext.readUIntBE(0, 6),
    expiresAt: plaintext.readUIntBE(6, 6),
    value: plaintext.toString('utf8', TIMES_BYTES),
  };
}

export function keygripMac(digest: KeygripDigest, key: string | Uint8Array, data: string): string {
  return createHmac(digest, key).update(data).digest('base64url');
}
