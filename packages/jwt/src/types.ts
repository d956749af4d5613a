import type { JWSHeaderParameters, JWTPayload } from 'jose';
import type { Algorithm } from './algorithms.js';

/** A token's protected header, after verification: `alg` is always one of the allowed algorithms. */
export interface ProtectedHeader extends JWSHeaderParameters {
  alg: Algorithm;
}

/** A token split into its parts, not verified: what express-jwt hands to `secret` and `isRevoked`. */
export interface DecodedToken<P = JWTPayload> {
  header: JWSHeaderParameters;
  payload: P;
  signature: string;
}

/** A token whose signature and claims were checked, as `jose.jwtVerify` returns it. */
export interface VerifiedToken<P = JWTPayload> {
  header: ProtectedHeader;
  payload: P;
}
