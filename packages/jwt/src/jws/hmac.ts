/**
 * HMAC signatures checked with node:crypto, synchronously. jose 6 verifies only through WebCrypto,
 * where every check is an asynchronous job; for HS256 that job costs several times the HMAC itself
 * (packages/jwt/README.md, Performance), so for the HMAC family alone this step is not jose's. It is
 * the node:crypto form of jose's `crypto.subtle.verify('HMAC', key, signature, signingInput)`: the
 * HMAC of the exact signing input, compared in constant time, a signature of another length refused.
 *
 * @module
 */
import { createHmac, type KeyObject, timingSafeEqual } from 'node:crypto';
import type { Algorithm } from '../algorithms.js';

const HASH: Readonly<Record<string, string>> = { HS256: 'sha256', HS384: 'sha384', HS512: 'sha512' };

/** True when `signature` is `alg`'s HMAC of `signingInput` under `key`. Never throws. */
export function hmacMatches(
  alg: Algorithm,
  key: KeyObject,
  signingInput: string,
  signature: Buffer,
): boolean {
  const hash = HASH[alg];
  if (hash === undefined) return false;
  const expected = createHmac(hash, key).update(signingInput).digest();
  return expected.length === signature.length && timingSafeEqual(expected, signature);
}
