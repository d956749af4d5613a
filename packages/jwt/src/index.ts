/**
 * @coatcheck/jwt: an express-jwt compatible middleware on jose, token issuing, and rotating refresh
 * tokens kept in any coatcheck store.
 *
 * @module
 */
export type { JWTPayload } from 'jose';
export { type Algorithm, isAlgorithm } from './algorithms.js';
export {
  KeySourceError,
  TokenExpiredError,
  UnauthorizedError,
  type UnauthorizedErrorCode,
} from './errors.js';
export {
  type AuthRequest,
  type ExpirationHandler,
  expressjwt,
  type GetVerificationKey,
  type IsRevoked,
  type JwtMiddleware,
  type JwtOptions,
  type JwtOptions as Params,
  type JwtRequest,
  jwt,
  type Request,
  type TokenGetter,
} from './express/middleware.js';
export type { TokenLocation } from './express/token-source.js';
export { type UnlessOptions, type UnlessPath, unless } from './express/unless.js';
export { canonicalToken } from './jws/ecdsa.js';
export { type JwksKeySet, localJwks, type RemoteJwksOptions, remoteJwks } from './keys/jwks.js';
export type { CryptoKey, KeyInput } from './keys/key-input.js';
export {
  type IssuedRefreshToken,
  type RefreshTokenOptions,
  type RefreshTokens,
  refreshTokens,
} from './refresh/rotation.js';
export { type SignOptions, signToken } from './sign.js';
export {
  type ClaimOptions,
  createVerifier,
  type DecodedToken,
  decodeToken,
  type KeySource,
  type ProtectedHeader,
  type VerifiedCacheOptions,
  type VerifiedToken,
  type Verifier,
  type VerifierOptions,
  verifyToken,
} from './verify.js';
