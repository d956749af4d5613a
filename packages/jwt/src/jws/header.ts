/**
 * The protected-header rules `jose.jwtVerify` applies to a compact JWS before it asks for a key
 * (RFC 7515 §4.1.11, RFC 7797 §3), in jose's order and with jose's errors: `crit`, then `b64`'s
 * type, then `alg` allowed. Only the HMAC path of verify.ts uses them (every other algorithm is
 * verified by jose itself); test/verify-parity.test.ts compares the verdicts with jose's.
 *
 * @module
 */
import { errors } from 'jose';
import type { Algorithm } from '../algorithms.js';
import type { ProtectedHeader } from '../types.js';

/** A header that passed, and whether its payload is base64url-encoded (`b64: false` says not). */
export interface CheckedHeader {
  readonly header: ProtectedHeader;
  /** False only for `b64: false` listed in `crit`: a JWT refuses it once its signature is checked. */
  readonly b64: boolean;
}

/**
 * Checks a decoded protected header against the accepted algorithms and the extension names the
 * application understands (jose's `crit` option; `b64` is always understood).
 */
export function checkHeader(
  header: Record<string, unknown>,
  algorithms: ReadonlySet<Algorithm>,
  crit: Readonly<Record<string, boolean>> | undefined,
): CheckedHeader {
  let b64 = true;
  const listed = header.crit;
  if (listed !== undefined) {
    if (
      !Array.isArray(listed) ||
      listed.length === 0 ||
      listed.some((name) => typeof name !== 'string' || name.length === 0)
    ) {
      throw new errors.JWSInvalid(
        '"crit" (Critical) Header Parameter MUST be an array of non-empty strings when present',
      );
    }
    // Built as jose builds it, so an odd name (`__proto__`, `toString`) is known or not alike.
    const recognized: Record<string, boolean> = Object.assign(Object.create(null), crit, { b64: true });
    for (const name of listed as string[]) {
      if (!(name in recognized))
        throw new errors.JOSENotSupported(`Extension Header Parameter "${name}" is not recognized`);
      if (!Object.hasOwn(header, name) || header[name] === undefined)
        throw new errors.JWSInvalid(`Extension Header Parameter "${name}" is missing`);
    }
    if ((listed as string[]).includes('b64')) {
      if (typeof header.b64 !== 'boolean') {
        throw new errors.JWSInvalid(
          'The "b64" (base64url-encode payload) Header Parameter must be a boolean',
        );
      }
      b64 = header.b64;
    }
  }
  const { alg } = header;
  if (typeof alg !== 'string' || alg === '')
    throw new errors.JWSInvalid('JWS "alg" (Algorithm) Header Parameter missing or invalid');
  if (!algorithms.has(alg as Algorithm))
    throw new errors.JOSEAlgNotAllowed('"alg" (Algorithm) Header Parameter value not allowed');
  return { header: header as ProtectedHeader, b64 };
}
