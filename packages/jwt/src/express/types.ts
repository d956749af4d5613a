/**
 * The types of the Express middleware, under express-jwt 8's names as well as this package's, so
 * code written against express-jwt's types compiles after changing the import.
 *
 * @module
 */
import type { Request as ExpressRequest, NextFunction, RequestHandler, Response } from 'express';
import type { JWTPayload } from 'jose';
import type { Algorithm } from '../algorithms.js';
import type { UnauthorizedError } from '../errors.js';
import type { KeyInput } from '../keys/key-input.js';
import type {
  ClaimOptions,
  DecodedToken,
  KeySource,
  VerifiedCacheOptions,
  VerifiedToken,
  Verifier,
} from '../verify.js';
import type { TokenLocation } from './token-source.js';
import type { UnlessOptions } from './unless.js';

/**
 * jsonwebtoken's `JwtPayload`, the default payload type of express-jwt's request types: the
 * registered claims, and any other claim as `any` (so `req.auth?.foo.bar` compiles as it did). Prefer
 * declaring your claims: `jwt<Claims>()`.
 */
export interface JwtPayload {
  // biome-ignore lint/suspicious/noExplicitAny: jsonwebtoken's shape, kept so express-jwt code compiles
  [key: string]: any;
  iss?: string | undefined;
  sub?: string | undefined;
  aud?: string | string[] | undefined;
  exp?: number | undefined;
  nbf?: number | undefined;
  iat?: number | undefined;
  jti?: string | undefined;
}

/**
 * express-jwt's `GetVerificationKey`: the key for this request and this (not yet verified) token.
 * Answering no key refuses the token (`invalid_token`, `'secret or public key must be provided'`).
 */
export type GetVerificationKey = (
  req: ExpressRequest,
  token: DecodedToken,
) => KeyInput | undefined | Promise<KeyInput | undefined>;
/** @deprecated express-jwt's old name of {@link GetVerificationKey}. */
export type SecretCallback = GetVerificationKey;
/** @deprecated express-jwt's old name of {@link GetVerificationKey}. */
export type SecretCallbackLong = GetVerificationKey;

/** express-jwt's `TokenGetter`: the token of a request, or nothing (`credentials_required`). */
export type TokenGetter = (
  req: ExpressRequest,
) => string | null | undefined | Promise<string | null | undefined>;

/**
 * express-jwt's `IsRevoked`, given the verified token and its signature (base64url). An ECDSA
 * signature is given in its low-`s` form, so the two spellings of one ES256 token (see
 * `canonicalToken`) are the same token here.
 */
export type IsRevoked<P = JWTPayload> = (
  req: ExpressRequest,
  token: VerifiedToken<P> & { readonly signature: string },
) => boolean | Promise<boolean>;

/** express-jwt's `ExpirationHandler`: return to accept the expired token anyway, throw to refuse it. */
export type ExpirationHandler = (req: ExpressRequest, err: UnauthorizedError) => void | Promise<void>;

/** Options of `jwt()`: express-jwt's, plus jose's claim checks, `from`, `cache` and `realm`. */
export interface JwtOptions<P = JWTPayload, K extends string = 'auth'> extends ClaimOptions {
  /** The key: a secret, PEM, JWK, `KeyObject`, a JWKS (`remoteJwks`, `localJwks`, a `URL`) or a function. */
  secret: KeySource<ExpressRequest>;
  /** Accepted algorithms. Required: a `TypeError` without it. `none` is never accepted. */
  algorithms: readonly Algorithm[];
  /** Refuse requests without a token (default). With `false`, they pass without `req.auth`. */
  credentialsRequired?: boolean;
  /** Where the token is: `'header'` (default, `Authorization: Bearer`) or `{ cookie: 'name' }`. */
  from?: TokenLocation;
  /** Custom token lookup (sync or async), instead of `from`. */
  getToken?: TokenGetter;
  /** Refuse a verified token when it resolves true (`revoked_token`). */
  isRevoked?: IsRevoked<P>;
  /** Where the payload goes on the request; dotted paths nest. Default `auth`. */
  requestProperty?: K;
  /** Decides what an expired token means; see {@link ExpirationHandler}. */
  onExpired?: ExpirationHandler;
  /** Remember verified tokens; see {@link VerifiedCacheOptions}. Not with a `secret` function. */
  cache?: boolean | VerifiedCacheOptions;
  /** The `realm` of the `WWW-Authenticate` challenge. */
  realm?: string;
}

/** express-jwt's name for {@link JwtOptions}. */
export type Params<P = JWTPayload, K extends string = 'auth'> = JwtOptions<P, K>;

/** `req` with the payload a `jwt()` middleware put under `K` (`auth` by default). */
export type JwtRequest<P = JWTPayload, K extends string = 'auth'> = ExpressRequest & { [Key in K]?: P };

/** express-jwt's `Request`: `req.auth` optional, typed `T` ({@link JwtPayload} by default). */
export type Request<T = JwtPayload, K extends string = 'auth'> = JwtRequest<T, K>;

/** @deprecated express-jwt's: `req.auth` not optional. Use {@link Request}. */
export type ExpressJwtRequest<T = JwtPayload> = ExpressRequest & { auth: T };

/** @deprecated express-jwt's: the same as {@link Request}. */
export type ExpressJwtRequestUnrequired<T = JwtPayload> = ExpressRequest & { auth?: T };

/** The request type a given middleware produces: `(req: AuthRequest<typeof auth>, res) => …`. */
export type AuthRequest<M> = M extends JwtMiddleware<infer P, infer K> ? JwtRequest<P, K> : never;

/** A JWT-checking middleware, with express-jwt's `unless` and a typed accessor for the payload. */
export interface JwtMiddleware<P = JWTPayload, K extends string = 'auth'> extends RequestHandler {
  (req: ExpressRequest, res: Response, next: NextFunction): void;
  /** The same middleware, skipped for requests matching `options` (express-unless semantics). */
  unless(options: UnlessOptions | UnlessOptions['custom']): RequestHandler;
  /**
   * The payload this middleware verified for `req`, typed; `undefined` when the request passed
   * without a token (`credentialsRequired: false`).
   */
  payload(req: ExpressRequest): P | undefined;
  /** The verifier under the middleware, for use outside HTTP (WebSocket upgrades, jobs). */
  readonly verifier: Verifier<P, ExpressRequest>;
  /** Where the payload goes on the request (`requestProperty`). */
  readonly requestProperty: K;
}
