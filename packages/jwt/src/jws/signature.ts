/**
 * Signature checks with node:crypto, synchronously, on the exact signing input. jose 6 verifies
 * only through WebCrypto, whose every call is an asynchronous job: for HS256 that is about 18× the
 * cost of the check itself (bench/verify.bench.ts), so this is the one step not left to jose. Each
 * branch is the node:crypto form of the WebCrypto call jose makes for the algorithm (HMAC,
 * RSASSA-PKCS1-v1_5, RSA-PSS with the hash's length as salt, ECDSA with raw `r || s`, Ed25519), and
 * test/verify-parity.test.ts checks the verdicts against jose's for every algorithm.
 *
 * @module
 */
import { constants, createHmac, type KeyObject, timingSafeEqual, verify } from 'node:crypto';
import { type Algorithm, algorithmSpec } from '../algorithms.js';

/** True when `signature` is `alg`'s signature of `signingInput` under `key`. Never throws. */
export function signatureMatches(
  alg: Algorithm,
  key: KeyObject,
  signingInput: string,
  signature: Buffer,
): boolean {
  const spec = algorithmSpec(alg);
  if (spec.signatureLength !== undefined && signature.length !== spec.signatureLength) return false;
  try {
    switch (spec.family) {
      case 'hmac': {
        const expected = createHmac(spec.hash!, key).update(signingInput).digest();
        return timingSafeEqual(expected, signature);
      }
      case 'rsa':
        return verify(spec.hash, Buffer.from(signingInput), key, signature);
      case 'rsa-pss':
        return verify(
          spec.hash,
          Buffer.from(signingInput),
          { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: spec.saltLength! },
          signature,
        );
      case 'ecdsa':
        return verify(spec.hash, Buffer.from(signingInput), { key, dsaEncoding: 'ieee-p1363' }, signature);
      case 'eddsa':
        return verify(null, Buffer.from(signingInput), key, signature);
    }
  } catch {
    return false;
  }
}
