/**
 * Every error coatcheck throws or passes to `next(err)` extends {@link CoatcheckError} and carries a
 * stable `code`, so applications can `switch (err.code)` instead of matching messages. Messages never
 * contain secrets, raw session IDs or session data.
 *
 * Bad options are reported with a plain `TypeError` at construction, not with these classes.
 *
 * @example
 * ```ts
 * app.use((err, req, res, next) => {
 *   if (err instanceof CoatcheckError) return res.status(err.status).send(err.code);
 *   next(err);
 * });
 * ```
 */
export class CoatcheckError extends Error {
  /** Stable, machine-readable identifier of the failure. */
  readonly code: string = 'ERR_COATCHECK';
  /** The HTTP status an error handler should answer with. */
  readonly status: number = 500;
  /** Alias of `status`, for error handlers written for http-errors. */
  get statusCode(): number {
    return this.status;
  }
  /** Tells Express-style error handlers that the message is safe to show. */
  get expose(): boolean {
    return this.status < 500;
  }

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Operations of the store contract, as named in {@link StoreError.operation}. */
export type StoreOperation =
  | 'read'
  | 'write'
  | 'patch'
  | 'refresh'
  | 'rotate'
  | 'remove'
  | 'ids'
  | 'entries'
  | 'count'
  | 'purge'
  | 'prune'
  | 'listByUser'
  | 'removeByUser'
  | 'close'
  | 'connect';

/**
 * A session store failed. Answered with 503: the session could not be read or kept, so the request
 * fails closed rather than continuing without it. `cause` holds the driver's error.
 */
export class StoreError extends CoatcheckError {
  override readonly code: string = 'ERR_STORE';
  override readonly status = 503;
  /** The store's name (`redis`, `postgres`, …). */
  readonly store: string;
  /** The contract operation that failed. */
  readonly operation: StoreOperation;

  constructor(store: string, operation: StoreOperation, options?: { cause?: unknown; message?: string }) {
    super(options?.message ?? `${store} store: ${operation} failed`, options);
    this.store = store;
    this.operation = operation;
  }
}

/** A store did not answer within the configured `storeTimeout`. */
export class StoreTimeoutError extends StoreError {
  override readonly code = 'ERR_STORE_TIMEOUT';
  /** How long the middleware waited, in milliseconds. */
  readonly timeout: number;

  constructor(store: string, operation: StoreOperation, timeout: number) {
    super(store, operation, { message: `${store} store: ${operation} did not answer within ${timeout} ms` });
    this.timeout = timeout;
  }
}

/** Why {@link StoreUnavailableError} refused a call without making it. */
export type StoreUnavailableReason = 'disconnected' | 'circuit-open';

/**
 * The middleware did not call the store, because its client reports the connection down
 * (`'disconnected'`) or because its circuit breaker is open after repeated failures
 * (`'circuit-open'`): the request fails at once instead of waiting out `storeTimeout`.
 */
export class StoreUnavailableError extends StoreError {
  override readonly code = 'ERR_STORE_UNAVAILABLE';
  /** Whether the client said it is disconnected, or the breaker is open. */
  readonly reason: StoreUnavailableReason;

  constructor(store: string, operation: StoreOperation, reason: StoreUnavailableReason) {
    super(store, operation, {
      message:
        reason === 'disconnected'
          ? `${store} store: ${operation} not attempted, the client is disconnected`
          : `${store} store: ${operation} not attempted, the store failed repeatedly (circuit open)`,
    });
    this.reason = reason;
  }
}

/** A store was used before it was ready or after {@link SessionStore.close}. */
export class StoreClosedError extends StoreError {
  override readonly code = 'ERR_STORE_CLOSED';
  constructor(store: string, operation: StoreOperation) {
    super(store, operation, { message: `${store} store: ${operation} called on a closed store` });
  }
}

/**
 * The store cannot do what was asked. Raised by the connect adapter when an express-session store's
 * optional `all()` or `length()` never calls back (connect-mongodb-session 5 on the mongodb driver 6
 * does this): listing the store's sessions, and with it `listByUser`, `revoke` and `revokeAll`, is
 * then not available through that store, and every later call fails at once with this error.
 *
 * @example
 * ```ts
 * try {
 *   await sessions.revokeAll(userId);
 * } catch (err) {
 *   if (err instanceof StoreUnsupportedError) console.error(`${err.store} cannot list sessions`);
 *   else throw err;
 * }
 * ```
 */
export class StoreUnsupportedError extends StoreError {
  override readonly code = 'ERR_STORE_UNSUPPORTED';
  /** The store's own method that did not answer (`all`, `length`). */
  readonly method: string;

  constructor(store: string, operation: StoreOperation, method: string, timeout: number) {
    super(store, operation, {
      message: `${store} store: ${operation} is not supported: its ${method}() did not call back within ${timeout} ms`,
    });
    this.method = method;
  }
}

/** Session data holds a value that cannot be stored as JSON. `key` names the top-level key. */
export class SessionSerializeError extends CoatcheckError {
  override readonly code = 'ERR_SESSION_SERIALIZE';
  /** The top-level session key whose value could not be serialized. */
  readonly key: string;

  constructor(key: string, options?: { cause?: unknown }) {
    super(`session key "${key}" cannot be serialized to JSON`, options);
    this.key = key;
  }
}

/** A session method was called on a session that was destroyed earlier in the same request. */
export class SessionDestroyedError extends CoatcheckError {
  override readonly code = 'ERR_SESSION_DESTROYED';
  constructor(operation: string) {
    super(`cannot ${operation}: the session was destroyed`);
  }
}

/** Data to put in a cookie is larger than the configured cap. */
export class CookieTooLargeError extends CoatcheckError {
  override readonly code = 'ERR_COOKIE_TOO_LARGE';
  /** Bytes the cookie (or all its chunks) would need. */
  readonly size: number;
  /** The cap that was exceeded, in bytes. */
  readonly limit: number;

  constructor(name: string, size: number, limit: number) {
    super(`cookie "${name}" would need ${size} bytes, over the limit of ${limit}`);
    this.size = size;
    this.limit = limit;
  }
}

/** Why a request failed CSRF checks. */
export type CsrfFailure =
  | 'cross-site'
  | 'same-site'
  | 'origin-mismatch'
  | 'origin-missing'
  | 'token-missing'
  | 'token-invalid';

/** An unsafe request failed the CSRF checks. Answered with 403. */
export class CsrfError extends CoatcheckError {
  override readonly code = 'ERR_CSRF';
  override readonly status = 403;
  /** Which check refused the request. */
  readonly reason: CsrfFailure;

  constructor(reason: CsrfFailure) {
    super(`request refused by CSRF protection: ${reason}`);
    this.reason = reason;
  }
}
