/**
 * Errors of @coatcheck/jwt.
 *
 * `coatcheck` is only an optional peer of this package, so these classes extend `Error` rather than
 * coatcheck's `CoatcheckError`: importing the base would make the core a hard dependency, and a
 * top-level `await import()` to make it optional would stop `require()` from loading this module.
 * They have the core's `CoatcheckErrorShape` (`code`, `status`, `statusCode`, `expose`, `cause`),
 * structurally rather than through an `implements` clause, so that these declarations do not need
 * `coatcheck` installed (test/express/types.test.ts checks the assignment), and one error handler
 * can treat both alike.
 *
 * What the middleware passes to `next(err)` is one of {@link AnyJwtError}: each class has a literal
 * `code` type ({@link UnauthorizedErrorCode} for {@link UnauthorizedError}, disjoint from the
 * others), so `switch (err.code)` narrows `err` to its class, and `err instanceof UnauthorizedError`
 * types `err.code` as {@link UnauthorizedErrorCode}. As in the core, the classes are not generic
 * over their code: `instanceof` would narrow a generic class to `Class<any>` and `err.code` to
 * `any`. The codes of {@link UnauthorizedError} are express-jwt's, unchanged. Its `inner` is shaped as jsonwebtoken's errors
 * ({@link JsonWebTokenError}, {@link TokenExpiredError}, {@link NotBeforeError}) with the same
 * messages (`'jwt expired'`, `'invalid signature'`, …), and keeps jose's error as its `cause`.
 *
 * @module
 */
import type { errors } from 'jose';

/** The codes express-jwt puts on its `UnauthorizedError`, unchanged so existing handlers keep working. */
export type UnauthorizedErrorCode =
  | 'credentials_bad_scheme'
  | 'credentials_bad_format'
  | 'credentials_required'
  | 'invalid_token'
  | 'revoked_token';

/** express-jwt's `ErrorLike`: what an {@link UnauthorizedError} may be built from. */
export type ErrorLike = Error | { message: string };

/**
 * A request was refused for its credentials. Same shape as express-jwt's `UnauthorizedError`:
 * `name === 'UnauthorizedError'`, `status` 401, `code` one of express-jwt's codes, `message` the
 * inner error's (jsonwebtoken's wording for bad tokens: `'jwt expired'`, `'invalid signature'`, …),
 * the underlying error as `inner` and `cause`.
 *
 * @example
 * ```ts
 * app.use((err, req, res, next) => {
 *   if (err instanceof UnauthorizedError) return res.status(err.status).json({ error: err.code });
 *   next(err);
 * });
 * ```
 */
export class UnauthorizedError extends Error {
  declare readonly name: 'UnauthorizedError';
  readonly code: UnauthorizedErrorCode;
  readonly status = 401;
  /**
   * The error that explains the refusal, as express-jwt names it: for a bad token a
   * {@link JsonWebTokenError} (or its subclasses), whose `cause` is jose's error.
   */
  readonly inner: Error;

  /**
   * @param code express-jwt's code for the failure.
   * @param error The underlying error, or `{ message }` when there is none (express-jwt's signature).
   */
  constructor(code: UnauthorizedErrorCode, error: ErrorLike) {
    const inner = error instanceof Error ? error : new Error(error.message);
    super(inner.message, { cause: inner });
    this.code = code;
    this.inner = inner;
  }

  get statusCode(): number {
    return this.status;
  }
  /** The message is safe to show: it never carries the token or the key. */
  get expose(): boolean {
    return true;
  }
}
// On the prototype, so the stack trace, taken while Error's constructor runs, already starts
// with "UnauthorizedError: …" (express-jwt's suite checks it).
Object.defineProperty(UnauthorizedError.prototype, 'name', { value: 'UnauthorizedError', writable: true });

/**
 * jsonwebtoken's `JsonWebTokenError`: why a token was refused, with jsonwebtoken's message for the
 * same failure (`'jwt malformed'`, `'invalid signature'`, `'invalid algorithm'`,
 * `'jwt audience invalid. expected: …'`, …), so code that matches express-jwt's messages keeps
 * working. `cause` is jose's error and `code` its code (`ERR_JWS_SIGNATURE_VERIFICATION_FAILED`, …).
 *
 * @example
 * ```ts
 * app.use((err, req, res, next) => {
 *   if (err.inner instanceof JsonWebTokenError) log.info({ reason: err.inner.code }, err.message);
 *   next(err);
 * });
 * ```
 */
export class JsonWebTokenError extends Error {
  declare readonly name: 'JsonWebTokenError' | 'TokenExpiredError' | 'NotBeforeError';
  /** jose's code for the failure, when jose found it. */
  readonly code: errors.JOSEError['code'] | undefined;

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    const code = (options?.cause as { code?: unknown } | undefined)?.code;
    this.code = typeof code === 'string' ? code : undefined;
  }
}
Object.defineProperty(JsonWebTokenError.prototype, 'name', { value: 'JsonWebTokenError', writable: true });

/**
 * jsonwebtoken's `TokenExpiredError` (`'jwt expired'`, or `'maxAge exceeded'` past `maxTokenAge`),
 * kept as `inner` of an expired-token `UnauthorizedError` so `onExpired` handlers written for
 * express-jwt can read `err.inner.expiredAt`. Its `cause` is jose's `JWTExpired`.
 *
 * @example
 * ```ts
 * jwt({
 *   secret, algorithms: ['HS256'],
 *   onExpired: (req, err) => {
 *     if (err.inner instanceof TokenExpiredError && Date.now() - err.inner.expiredAt.getTime() < 5000) return;
 *     throw err;
 *   },
 * });
 * ```
 */
export class TokenExpiredError extends JsonWebTokenError {
  declare readonly name: 'TokenExpiredError';
  /** When the token stopped being valid (its `exp`, or `iat + maxTokenAge`). */
  readonly expiredAt: Date;

  constructor(message: string, expiredAt: Date, options?: { cause?: unknown }) {
    super(message, options);
    this.expiredAt = expiredAt;
  }
}
Object.defineProperty(TokenExpiredError.prototype, 'name', { value: 'TokenExpiredError', writable: true });

/**
 * jsonwebtoken's `NotBeforeError` (`'jwt not active'`): the token's `nbf` is still ahead.
 *
 * @example
 * ```ts
 * if (err.inner instanceof NotBeforeError) res.set('Retry-After', String(Math.ceil((err.inner.date.getTime() - Date.now()) / 1000)));
 * ```
 */
export class NotBeforeError extends JsonWebTokenError {
  declare readonly name: 'NotBeforeError';
  /** When the token becomes valid (its `nbf`). */
  readonly date: Date;

  constructor(message: string, date: Date, options?: { cause?: unknown }) {
    super(message, options);
    this.date = date;
  }
}
Object.defineProperty(NotBeforeError.prototype, 'name', { value: 'NotBeforeError', writable: true });

/**
 * The keys to verify a token could not be fetched: a remote JWKS is down, slow or answered with
 * garbage. This is the server's problem, not the client's, hence 503 rather than 401. `cause` holds
 * the fetch error (jose's `JWKSTimeout` for a timeout).
 *
 * @example
 * ```ts
 * app.use((err, req, res, next) => {
 *   if (err instanceof KeySourceError) return res.status(503).set('Retry-After', '5').end();
 *   next(err);
 * });
 * ```
 */
export class KeySourceError extends Error {
  declare readonly name: 'KeySourceError';
  readonly code: 'ERR_JWT_KEY_SOURCE' = 'ERR_JWT_KEY_SOURCE';
  readonly status = 503;

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }

  get statusCode(): number {
    return this.status;
  }
  get expose(): boolean {
    return false;
  }
}
Object.defineProperty(KeySourceError.prototype, 'name', { value: 'KeySourceError', writable: true });

/**
 * Every error `jwt()` itself passes to `next(err)`, told apart by `code` (errors thrown by your own
 * `secret`, `getToken`, `isRevoked` or `onExpired` functions are passed on unchanged, so an error
 * handler's parameter stays `unknown` until narrowed).
 *
 * @example
 * ```ts
 * function status(err: AnyJwtError): number {
 *   switch (err.code) {
 *     case 'ERR_JWT_KEY_SOURCE':
 *       return 503; // err: KeySourceError
 *     case 'revoked_token':
 *       return 401; // err: UnauthorizedError
 *     default:
 *       return err.status;
 *   }
 * }
 * ```
 */
export type AnyJwtError = UnauthorizedError | KeySourceError;

/** Every `code` an error of {@link AnyJwtError} can carry. */
export type JwtErrorCode = AnyJwtError['code'];
