/**
 * ECDSA signature malleability. An ECDSA signature `(r, s)` has a twin `(r, n − s)` that verifies as
 * well, so anyone holding an ES256/384/512 token can spell it a second way without the key. Refusing
 * the "high" twin is not an option for a verifier: jose, node:crypto and jsonwebtoken all leave `s`
 * as OpenSSL draws it, high about half the time (measured: 38–61 of 100 tokens per signer and
 * curve), so such a rule would refuse every other valid token. Instead both spellings verify and
 * are reduced to one canonical form, the low-`s` one, wherever a token is identified: the signature
 * handed to `isRevoked`, {@link canonicalToken}, and what `signToken` issues.
 *
 * @module
 */
import type { Algorithm } from '../algorithms.js';

// Curve orders (SEC 2 / FIPS 186-4) and the size of each coordinate in a JWS signature.
const ORDERS: Readonly<Record<string, { order: bigint; size: number }>> = {
  ES256: { order: 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n, size: 32 },
  ES384: {
    order:
      0xffffffffffffffffffffffffffffffffffffffffffffffffc7634d81f4372ddf581a0db248b0a77aecec196accc52973n,
    size: 48,
  },
  ES512: {
    order:
      0x01fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffa51868783bf2f966b7fcc0148f709a5d03bb5c9b8899c47aebb6fb71e91386409n,
    size: 66,
  },
};

const bytesOf = (value: bigint, size: number) =>
  Buffer.from(value.toString(16).padStart(size * 2, '0'), 'hex');

// With n/2 as bytes, telling a low s from a high one is a byte comparison (about 1/15 of the cost
// of reading s as a BigInt); the BigInt arithmetic runs only for a high s.
const CURVES: Readonly<Record<string, { order: bigint; size: number; half: Buffer; orderBytes: Buffer }>> =
  Object.fromEntries(
    Object.entries(ORDERS).map(([alg, { order, size }]) => [
      alg,
      { order, size, half: bytesOf(order >> 1n, size), orderBytes: bytesOf(order, size) },
    ]),
  );

/**
 * The low-`s` twin of an ECDSA signature in JWS form (`r || s`), or the signature itself when `s`
 * is already low, when `alg` is not ECDSA, or when the bytes are not a signature of that curve's
 * size (such a signature never verifies, so its spelling does not matter).
 */
export function lowS(alg: Algorithm | string, signature: Uint8Array): Uint8Array {
  const curve = CURVES[alg];
  if (curve === undefined || signature.length !== curve.size * 2) return signature;
  const sBytes = signature.subarray(curve.size);
  if (Buffer.compare(sBytes, curve.half) <= 0 || Buffer.compare(sBytes, curve.orderBytes) >= 0)
    return signature;
  const s = BigInt(`0x${Buffer.from(sBytes).toString('hex')}`);
  const twin = new Uint8Array(signature.length);
  twin.set(signature.subarray(0, curve.size));
  twin.set(bytesOf(curve.order - s, curve.size), curve.size);
  return twin;
}

/** {@link lowS} on a base64url signature segment. */
export function canonicalSignature(alg: Algorithm | string, segment: string): string {
  if (CURVES[alg] === undefined) return segment;
  const bytes = Buffer.from(segment, 'base64url');
  const canonical = lowS(alg, bytes);
  return canonical === bytes ? segment : Buffer.from(canonical).toString('base64url');
}

/**
 * The one spelling of a compact JWS that this package identifies it by: unchanged, except that an
 * ES256/384/512 signature is given its low-`s` form, so a token and its malleated twin map to the
 * same string. Use it (or better, the `jti` claim) for deny-lists of raw tokens: the raw string of
 * an ECDSA token is not unique. A string that is not a compact JWS comes back unchanged.
 *
 * @example
 * ```ts
 * const denied = new Set<string>();
 * const bearer = (req: Request) => req.headers.authorization?.slice('Bearer '.length) ?? '';
 * const auth = jwt({
 *   secret: publicKey,
 *   algorithms: ['ES256'],
 *   isRevoked: (req) => denied.has(canonicalToken(bearer(req))),
 * });
 * app.post('/logout', auth, (req, res) => {
 *   denied.add(canonicalToken(bearer(req)));
 *   res.sendStatus(204);
 * });
 * ```
 */
export function canonicalToken(token: string): string {
  if (typeof token !== 'string') return token;
  const first = token.indexOf('.');
  const last = token.lastIndexOf('.');
  if (first <= 0 || last === first || last === token.length - 1) return token;
  let alg: unknown;
  try {
    alg = JSON.parse(Buffer.from(token.slice(0, first), 'base64url').toString('utf8')).alg;
  } catch {
    return token;
  }
  if (typeof alg !== 'string' || CURVES[alg] === undefined) return token;
  const signature = token.slice(last + 1);
  const canonical = canonicalSignature(alg, signature);
  return canonical === signature ? token : `${token.slice(0, last + 1)}${canonical}`;
}
