/**
 * Errors of @coatcheck/jwt.
 *
 * `coatcheck` is only an optional peer of this package, so these classes extend `Error` rather than
 * coatcheck's `CoatcheckError`: importing the base would make the core a hard dependency, and a
 * top-level `await import()` to make it optional would stop `require()` from loading this module.
 * They carry the same fields as `CoatcheckError` (`code`, `status`, `statusCode`, `expose`, `cause`),
 * so one error handler can treat both alike.
 *
 * @module
 */

/** The codes express-jwt puts on its `UnauthorizedError`, unchanged so existing handlers keep working. */
export type UnauthorizedErrorCode =
  | 'credentials_bad_scheme'
  | 'credentials_bad_format'
  | 'credentials_required'
  | 'invalid_token'
  | 'revoked_token';

/**
 * A request was refused for its credentials. Same shape as express-jwt's `UnauthorizedError`:
 * `name === 'UnauthorizedError'`, `status` 401, `code` in express-jwt's codes, the underlying error
 * as `inner` and `cause`.
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
  override readonly name = 'UnauthorizedError';
  readonly code: UnauthorizedErrorCode;
  readonly status = 401;
  /** The error that explains the refusal (a jose error for bad tokens), as express-jwt names it. */
  readonly inner: Error;

  /**
   * @param code express-jwt's code for the failure.
   * @param error The underlying error, or `{ message }` when there is none (express-jwt's signature).
   */
  constructor(code: UnauthorizedErrorCode, error: Error | { message: string }) {
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

/**
 * jsonwebtoken's `TokenExpiredError`, kept as `inner` of an expired-token `UnauthorizedError` so
 * `onExpired` handlers written for express-jwt can read `err.inner.expiredAt`. Its `cause` is jose's
 * `JWTExpired`.
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
export class TokenExpiredError extends Error {
  override readonly name = 'TokenExpiredError';
  /** When the token stopped being valid (its `exp`, or `iat + maxTokenAge`). */
  readonly expiredAt: Date;

  constructor(message: string, expiredAt: Date, options?: { cause?: unknown }) {
    super(message, options);
    this.expiredAt = expiredAt;
  }
}

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
  override readonly name = 'KeySourceError';
  readonly code = 'ERR_JWT_KEY_SOURCE';
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
