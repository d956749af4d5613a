import type { KeyObject } from 'node:crypto';
import { nodeOnly } from '#crypto';
import { DeviceProofError } from '../errors.js';
import {
  algorithmOf,
  base64urlBytes,
  checkDeviceJwk,
  type DevicePublicJwk,
  jwkThumbprint,
  publicKeyOf,
} from './jwk.js';
import type { DeviceKeyAlgorithm } from './structured.js';

// Device-bound sessions need node:crypto (public-key proofs); under Web Crypto they are refused
// at construction, before any of these is called.
const { constants, verify } = nodeOnly;

/** A proof whose signature and form have been verified; the challenge is still the caller's to check. */
export interface VerifiedProof {
  alg: DeviceKeyAlgorithm;
  /** The challenge the device signed. */
  jti: string;
  /** The `authorization` value the proof carries, if any. */
  authorization: string | undefined;
  /** The key that signed: the header's at registration, the registered one on refresh. */
  jwk: DevicePublicJwk;
  /** Its RFC 7638 thumbprint. */
  thumbprint: string;
}

/** What a proof is checked against. */
export interface ProofRequirements {
  /** Algorithms accepted; anything else (`none`, `HS256`, …) is refused before any key is looked at. */
  algorithms: readonly DeviceKeyAlgorithm[];
  /**
   * The key registered for the session, on refresh. Absent at registration, where the header must
   * carry a `jwk`; present, a `jwk` in the header must be this very key.
   */
  registered?: { jwk: DevicePublicJwk; thumbprint: string } | undefined;
}

/** A proof is a few hundred bytes (an RSA-8192 key and signature under 3 KiB); more is not one. */
export const MAX_PROOF_LENGTH = 8192;
const MAX_JTI_LENGTH = 512;

function jsonObject(segment: string): Record<string, unknown> | undefined {
  const bytes = base64urlBytes(segment);
  if (!bytes) return undefined;
  try {
    const value: unknown = JSON.parse(bytes.toString('utf8'));
    return value !== null && typeof value === 'object' && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

function signatureValid(alg: DeviceKeyAlgorithm, key: KeyObject, input: string, signature: Buffer): boolean {
  if (alg === 'ES256') {
    // JWS carries ECDSA as r ‖ s (RFC 7518 section 3.4), not DER.
    if (signature.length !== 64) return false;
    return verify('sha256', Buffer.from(input), { key, dsaEncoding: 'ieee-p1363' }, signature);
  }
  return verify('sha256', Buffer.from(input), { key, padding: constants.RSA_PKCS1_PADDING }, signature);
}

/**
 * Verifies a `Secure-Session-Response` JWT: its size and form, `typ: "dbsc+jwt"`, an allowed
 * algorithm, the key (from the header at registration, the registered one on refresh, checked for
 * type and size), the signature, and a `jti`. Throws {@link DeviceProofError}; never anything else
 * for bad input.
 *
 * @example
 * ```ts
 * const proof = verifyDeviceProof(req.headers['secure-session-response'], { algorithms: ['ES256', 'RS256'] });
 * proof.thumbprint; // the key to record for the session
 * ```
 */
export function verifyDeviceProof(token: unknown, requirements: ProofRequirements): VerifiedProof {
  if (token === undefined || token === '') throw new DeviceProofError('missing');
  if (typeof token !== 'string') throw new DeviceProofError('malformed', 'more than one proof header');
  if (token.length > MAX_PROOF_LENGTH) throw new DeviceProofError('oversized');
  const first = token.indexOf('.');
  const second = token.indexOf('.', first + 1);
  if (first <= 0 || second <= first + 1 || token.indexOf('.', second + 1) !== -1) {
    throw new DeviceProofError('malformed', 'not a compact JWS');
  }
  const header = jsonObject(token.slice(0, first));
  const payload = jsonObject(token.slice(first + 1, second));
  const signature = base64urlBytes(token.slice(second + 1));
  if (!header || !payload || !signature) throw new DeviceProofError('malformed', 'undecodable segment');

  if (header.typ !== 'dbsc+jwt') throw new DeviceProofError('typ');
  const alg = header.alg;
  if (typeof alg !== 'string' || !(requirements.algorithms as readonly string[]).includes(alg)) {
    throw new DeviceProofError('alg');
  }
  const algorithm = alg as DeviceKeyAlgorithm;
  // No extension is understood here, so none may be marked critical (RFC 7515 section 4.1.11).
  if ('crit' in header) throw new DeviceProofError('crit');

  let jwk: DevicePublicJwk;
  let thumbprint: string;
  const registered = requirements.registered;
  if (header.jwk !== undefined) {
    const checked = checkDeviceJwk(header.jwk, algorithm);
    if (!checked.ok) throw new DeviceProofError('jwk-invalid', checked.reason);
    jwk = checked.jwk;
    thumbprint = jwkThumbprint(jwk);
    if (registered && thumbprint !== registered.thumbprint) throw new DeviceProofError('key-mismatch');
  } else if (registered) {
    jwk = registered.jwk;
    thumbprint = registered.thumbprint;
    if (algorithmOf(jwk) !== algorithm)
      throw new DeviceProofError('alg', 'not the registered key’s algorithm');
  } else {
    throw new DeviceProofError('jwk-missing');
  }

  let valid: boolean;
  try {
    valid = signatureValid(algorithm, publicKeyOf(jwk, thumbprint), token.slice(0, second), signature);
  } catch {
    valid = false;
  }
  if (!valid) throw new DeviceProofError('signature');

  const { jti, authorization } = payload;
  if (typeof jti !== 'string' || jti.length === 0 || jti.length > MAX_JTI_LENGTH)
    throw new DeviceProofError('jti');
  if (authorization !== undefined && typeof authorization !== 'string') {
    throw new DeviceProofError('authorization', 'not a string');
  }
  return { alg: algorithm, jti, authorization, jwk, thumbprint };
}
