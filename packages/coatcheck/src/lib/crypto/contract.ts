/**
 * The crypto coatcheck's engine needs, behind one small interface with two backends:
 *
 * - `node.ts`, on `node:crypto` and `Buffer`: synchronous, the very calls the modules made before
 *   this interface existed, so Node.js (and Bun and Deno, which provide `node:crypto`) lose nothing.
 * - `web.ts`, on Web Crypto (`crypto.subtle`, `crypto.getRandomValues`) and plain TypeScript, for
 *   runtimes with no `node:` modules (Cloudflare's workerd, Vercel's edge runtime, browsers).
 *   Sealing (AES-256-GCM) is asynchronous there, so {@link CryptoBackend.sealBody} and
 *   {@link CryptoBackend.openBody} may return a promise; HMAC and HKDF are synchronous (sha256.ts
 *   says why).
 *
 * Modules import it as `#crypto`; packages/coatcheck/package.json's `imports` picks the backend by
 * export condition (`workerd`, `edge-light`, `worker` and `browser` get Web Crypto, `node` gets
 * node:crypto, anything else Web Crypto, which every runtime of today has). A bundler for an edge
 * target never sees `node:crypto` that way, and Node never loads the Web Crypto code.
 *
 * Both backends give the same bytes for the same inputs, so a cookie signed or sealed on one opens
 * on the other (test/crypto checks it): an application can move between Node and the edge without
 * logging anyone out.
 *
 * @module
 */
import type * as nodeCrypto from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import type * as node from './node.js';
import type * as web from './web.js';

/** A value, or a promise of it where the backend is asynchronous. */
export type Maybe<T> = T | Promise<T>;

/**
 * A prepared key. Under node:crypto it is a `KeyObject`; under Web Crypto a record of coatcheck's
 * own that only this interface reads. The public types say `KeyObject` (what Node users get).
 */
export type SecretKey = KeyObject;

/** What {@link CryptoBackend.openBody} found inside an authentic seal. */
export interface OpenedBody {
  issuedAt: number;
  expiresAt: number;
  value: string;
}

/** The keygrip digests (cookie-session's signatures, only ever verified). */
export type KeygripDigest = 'sha1' | 'sha256' | 'sha512';

export interface CryptoBackend {
  /** Which backend this is, for tests and error messages. */
  readonly backend: 'node:crypto' | 'web-crypto';
  utf8(text: string): Uint8Array;
  /** `Buffer.byteLength(text)`, without encoding. */
  utf8Length(text: string): number;
  base64url(bytes: Uint8Array): string;
  fromBase64url(text: string): Uint8Array;
  randomBytes(length: number): Uint8Array;
  /** `length` random bytes as base64url: session IDs and CSRF secrets. */
  randomBase64url(length: number): string;
  /** Constant-time comparison; the lengths are compared first (they are public). */
  equalBytes(a: Uint8Array, b: Uint8Array): boolean;
  /** Constant-time comparison of two strings' UTF-8 bytes; the lengths are compared first. */
  equalText(a: string, b: string): boolean;
  /** `secret` prepared for HMAC-SHA256 (and as HKDF input keying material). */
  hmacKey(secret: Uint8Array): SecretKey;
  hmac(key: SecretKey | Uint8Array, data: string): Uint8Array;
  hmacBase64url(key: SecretKey | Uint8Array, data: string): string;
  /** HMAC-SHA256 as cookie-signature writes it: standard base64 without its padding, 43 characters. */
  macBase64(key: SecretKey, data: string): string;
  /** HKDF-SHA256 (RFC 5869), extract and expand. */
  hkdf(secret: SecretKey | Uint8Array, salt: Uint8Array, info: string, length: number): Uint8Array;
  /** A 32-byte AES-256-GCM key. */
  aesKey(raw: Uint8Array): SecretKey;
  /**
   * base64url(iv ‖ AES-256-GCM(issued-at ‖ expires-at ‖ value) ‖ tag) under a fresh 96-bit IV,
   * authenticating `aad`: the body of a `cc1.` seal (cookies/seal.ts has the format).
   */
  sealBody(key: SecretKey, aad: string, issuedAt: number, expiresAt: number, value: string): Maybe<string>;
  /** Opens a body made by {@link sealBody}; `undefined` when it does not authenticate under `key`. */
  openBody(key: SecretKey, aad: string, body: Uint8Array): Maybe<OpenedBody | undefined>;
  /** keygrip's signature (base64url): `sha256` on every backend, `sha1` and `sha512` on node:crypto only. */
  keygripMac(digest: KeygripDigest, key: string | Uint8Array, data: string): string;
  /**
   * node:crypto itself, for the device-bound sessions (public-key proofs), which need it. Under Web
   * Crypto every function of it throws: `deviceBound` is refused before any is called.
   */
  readonly nodeOnly: typeof nodeCrypto;
}

// Both backends must be the whole interface, with the same signatures: a compile error here says
// which one drifted.
type Implements<T extends CryptoBackend> = T;
export type Backends = [Implements<typeof node>, Implements<typeof web>];
