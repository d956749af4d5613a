/**
 * The JWS header rules jose applies before it looks at a key (RFC 7515 §4.1.11, RFC 7797 §3), in
 * jose's order and with jose's errors, so a header is accepted or refused here exactly as
 * `jose.jwtVerify` would: `crit`, then `b64`'s type, then `alg`. The `typ` check and the refusal of
 * `b64: false` come after the signature, as in jose, and live with the claims (jwt/claims.ts).
 *
 * @module
 */
import { errors } from 'jose';
import type { Algorithm } from '../algorithms.js';
import type { ProtectedHeader } from '../types.js';

/** What a header says about the payload: `b64: false` (RFC 7797) means it is not base64url-encoded. */
export interface HeaderCheck {
  header: ProtectedHeader;
  /** False only for `b64: false` listed in `crit`; a JWT refuses it once its signature is checked. */
  b64: boolean;
}

/**
 * Checks a decoded protected header against the accepted algorithms and the extension names the
 * application understands (`recognized`, jose's `crit` option).
 */
export function checkHeader(
  header: Record<string, unknown>,
  algorithms: ReadonlySet<Algorithm>,
  recognized: Readonly<Record<string, boolean>>,
): HeaderCheck {
  const crit = header.crit;
  let b64 = true;
  if (crit !== undefined) {
    if (
      !Array.isArray(crit) ||
      crit.length === 0 ||
      crit.some((name) => typeof name !== 'string' || name.length === 0)
    ) {
      throw new errors.JWSInvalid(
        '"crit" (Critical) Header Parameter MUST be an array of non-empty strings when present',
      );
    }
    for (const name of crit as string[]) {
      // jose's rule: `b64` is always understood; other names when the application lists them.
      if (name !== 'b64' && !Object.hasOwn(recognized, name)) {
        throw new errors.JOSENotSupported(`Extension Header Parameter "${name}" is not recognized`);
      }
      if (!Object.hasOwn(header, name) || header[name] === undefined)
        throw new errors.JWSInvalid(`Extension Header Parameter "${name}" is missing`);
    }
    if ((crit as string[]).includes('b64')) {
      if (typeof header.b64 !== 'boolean') {
        throw new errors.JWSInvalid(
          'The "b64" (base64url-encode payload) Header Parameter must be a boolean',
        );
      }
      b64 = header.b64;
    }
  }
  const { alg } = header;
  if (typeof alg !== 'string' || alg === '') {
    throw new errors.JWSInvalid('JWS "alg" (Algorithm) Header Parameter missing or invalid');
  }
  if (!algorithms.has(alg as Algorithm)) {
    throw new errors.JOSEAlgNotAllowed('"alg" (Algorithm) Header Parameter value not allowed');
  }
  return { header: header as ProtectedHeader, b64 };
}
