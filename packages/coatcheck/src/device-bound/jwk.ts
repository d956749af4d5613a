import type { KeyObject } from 'node:crypto';
import { nodeOnly } from '#crypto';
import type { DeviceKeyAlgorithm } from './structured.js';

// Device-bound sessions need node:crypto (public-key proofs); under Web Crypto they are refused
// at construction, before any of these is called.
const { createHash, createPublicKey } = nodeOnly;

/** A device's public key as the proof's header carries it: the members RFC 7638 thumbprints. */
export type DevicePublicJwk =
  | { kty: 'EC'; crv: 'P-256'; x: string; y: string }
  | { kty: 'RSA'; n: string; e: string };

/** RSA moduli outside this range are refused: below is too weak, above is a denial of service. */
export const MIN_RSA_BITS = 2048;
export const MAX_RSA_BITS = 8192;

const BASE64URL = /^[A-Za-z0-9_-]+$/;
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'];

/** Strict base64url without padding: `Buffer.from` would skip what it cannot read. */
export function base64urlBytes(text: string): Buffer | undefined {
  if (!BASE64URL.test(text) || text.length % 4 === 1) return undefined;
  return Buffer.from(text, 'base64url');
}

/**
 * Checks a JWK from a proof header for the algorithm it is used with: type, curve and size, no
 * private members. Returns the key's thumbprinted members, or a reason it is refused.
 */
export function checkDeviceJwk(
  jwk: unknown,
  alg: DeviceKeyAlgorithm,
): { ok: true; jwk: DevicePublicJwk } | { ok: false; reason: string } {
  if (jwk === null || typeof jwk !== 'object' || Array.isArray(jwk))
    return { ok: false, reason: 'not an object' };
  const members = jwk as Record<string, unknown>;
  if (PRIVATE_MEMBERS.some((name) => name in members)) return { ok: false, reason: 'private key members' };
  if (alg === 'ES256') {
    if (members.kty !== 'EC' || members.crv !== 'P-256')
      return { ok: false, reason: 'ES256 needs an EC P-256 key' };
    const { x, y } = members;
    if (typeof x !== 'string' || typeof y !== 'string')
      return { ok: false, reason: 'x and y must be strings' };
    if (base64urlBytes(x)?.length !== 32 || base64urlBytes(y)?.length !== 32) {
      return { ok: false, reason: 'x and y must be 32 bytes' };
    }
    return { ok: true, jwk: { kty: 'EC', crv: 'P-256', x, y } };
  }
  if (members.kty !== 'RSA') return { ok: false, reason: 'RS256 needs an RSA key' };
  const { n, e } = members;
  if (typeof n !== 'string' || typeof e !== 'string') return { ok: false, reason: 'n and e must be strings' };
  const modulus = base64urlBytes(n);
  const exponent = base64urlBytes(e);
  if (!modulus || !exponent) return { ok: false, reason: 'n and e must be base64url' };
  if (modulus[0] === 0) return { ok: false, reason: 'n has a leading zero byte' };
  const bits = modulus.length * 8 - Math.clz32(modulus[0] as number) + 24;
  if (bits < MIN_RSA_BITS || bits > MAX_RSA_BITS) {
    return { ok: false, reason: `the modulus must have ${MIN_RSA_BITS} to ${MAX_RSA_BITS} bits` };
  }
  if (exponent.length > 4 || exponent.length === 0 || ((exponent.at(-1) as number) & 1) === 0 || e === 'AQ') {
    return { ok: false, reason: 'e must be an odd exponent above 1 of at most 32 bits' };
  }
  return { ok: true, jwk: { kty: 'RSA', n, e } };
}

/** The algorithm a checked key signs with. */
export function algorithmOf(jwk: DevicePublicJwk): DeviceKeyAlgorithm {
  return jwk.kty === 'EC' ? 'ES256' : 'RS256';
}

/**
 * The RFC 7638 thumbprint of a key: SHA-256 over its required members in lexicographic order, with
 * no whitespace, base64url.
 *
 * @example
 * ```ts
 * jwkThumbprint({ kty: 'RSA', n: '0vx7…', e: 'AQAB' }); // 'NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs' for RFC 7638's key
 * ```
 */
export function jwkThumbprint(jwk: DevicePublicJwk): string {
  const canonical =
    jwk.kty === 'EC'
      ? `{"crv":${JSON.stringify(jwk.crv)},"kty":"EC","x":${JSON.stringify(jwk.x)},"y":${JSON.stringify(jwk.y)}}`
      : `{"e":${JSON.stringify(jwk.e)},"kty":"RSA","n":${JSON.stringify(jwk.n)}}`;
  return createHash('sha256').update(canonical).digest('base64url');
}

const KEY_CACHE_SIZE = 1000;
const keys = new Map<string, KeyObject>();

/**
 * A node:crypto public key for a checked JWK, cached by thumbprint: a refresh verifies against the
 * registered key again and again, and importing one costs more than verifying with it.
 */
export function publicKeyOf(jwk: DevicePublicJwk, thumbprint = jwkThumbprint(jwk)): KeyObject {
  const cached = keys.get(thumbprint);
  if (cached) return cached;
  const key = createPublicKey({ key: jwk, format: 'jwk' });
  if (keys.size >= KEY_CACHE_SIZE) keys.delete(keys.keys().next().value as string);
  keys.set(thumbprint, key);
  return key;
}
