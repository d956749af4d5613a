/**
 * @coatcheck/jwt: an express-jwt compatible middleware on jose, token issuing, and rotating refresh
 * tokens kept in any coatcheck store.
 *
 * @module
 */
export type { JWTPayload } from 'jose';
export { type Algorithm, isAlgorithm } from './algorithms.js';
export {
  type AnyJwtError,
  type ErrorLike,
  JsonWebTokenError,
  type JwtErrorCode,
  KeySourceError,
  NotBeforeError,
  TokenExpiredError,
  UnauthorizedError,
  type UnauthorizedErrorCode,
} from './errors.js';
export { expressjwt, jwt } from './express/middleware.js';
export type { TokenLocation } from './express/token-source.js';
export type {
  AuthRequest,
  ExpirationHandler,
  ExpressJwtRequest,
  ExpressJwtRequestUnrequired,
  GetVerificationKey,
  IsRevoked,
  JwtMiddleware,
  JwtOptions,
  JwtPayload,
  JwtRequest,
  Params,
  Request,
  SecretCallback,
  SecretCallbackLong,
  TokenGetter,
} from './express/types.js';
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
