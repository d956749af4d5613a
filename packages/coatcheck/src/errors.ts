/**
 * Every error coatcheck throws or passes to `next(err)` is one of {@link AnyCoatcheckError}: a
 * subclass of {@link CoatcheckError} with a stable, literal `code`, so `switch (err.code)` narrows
 * `err` to its class and its fields (`timeout`, `reason`, `key`, …) without a cast. Messages never
 * contain secrets, raw session IDs or session data.
 *
 * Bad options are reported with a plain `TypeError` at construction, not with these classes.
 *
 * All of coatcheck's error classes live in this module.
 * That, and one short class per literal code, is why it runs past 300 lines.
 *
 * @example
 * ```ts
 * import { type AnyCoatcheckError, isCoatcheckError } from 'coatcheck';
 *
 * app.use((err, req, res, next) => {
 *   if (!isCoatcheckError(err)) return next(err);
 *   switch (err.code) {
 *     case 'ERR_STORE_TIMEOUT':
 *       res.set('Retry-After', '1'); // err is a StoreTimeoutError here: err.timeout is a number
 *       break;
 *     case 'ERR_CSRF':
 *       log.warn({ reason: err.reason }, 'csrf refused');
 *       break;
 *   }
 *   res.status(err.status).send(err.code);
 * });
 * ```
 *
 * @module
 */

/** Codes of the {@link StoreError} family. */
export type StoreErrorCode =
  | 'ERR_STORE'
  | 'ERR_STORE_TIMEOUT'
  | 'ERR_STORE_UNAVAILABLE'
  | 'ERR_STORE_CLOSED'
  | 'ERR_STORE_UNSUPPORTED';

/** Every `code` a coatcheck error can carry: the `code` of {@link AnyCoatcheckError}. */
export type CoatcheckErrorCode =
  | StoreErrorCode
  | 'ERR_STORE_PACKAGE_MISSING'
  | 'ERR_SESSION_SERIALIZE'
  | 'ERR_SESSION_RECORD'
  | 'ERR_SESSION_DESTROYED'
  | 'ERR_SESSION_NOT_FOUND'
  | 'ERR_COOKIE_TOO_LARGE'
  | 'ERR_CSRF'
  | 'ERR_DEVICE_PROOF';

/**
 * The fields every coatcheck error carries, for packages that cannot extend {@link CoatcheckError}
 * itself (an optional peer must not become a runtime import) but want error handlers to treat
 * their errors alike.
 */
export interface CoatcheckErrorShape<C extends string = string> extends Error {
  /** Stable, machine-readable identifier of the failure. */
  readonly code: C;
  /** The HTTP status an error handler should answer with. */
  readonly status: number;
  /** Alias of `status`, for error handlers written for http-errors. */
  readonly statusCode: number;
  /** Whether the message is safe to show to the client. */
  readonly expose: boolean;
}

/**
 * The base class of coatcheck's errors. It is abstract: what is thrown is always a subclass, whose
 * `code` is a literal; a family's class has the union of its members' codes, so
 * `err instanceof StoreError` gives `err.code` the type {@link StoreErrorCode}. (The classes are not
 * generic over their code on purpose: `instanceof` narrows a generic class to `Class<any>`, which
 * would make `err.code` `any`.)
 *
 * @example
 * ```ts
 * app.use((err, req, res, next) => {
 *   if (err instanceof CoatcheckError) return res.status(err.status).send(err.code);
 *   next(err);
 * });
 * ```
 */
export abstract class CoatcheckError extends Error implements CoatcheckErrorShape<CoatcheckErrorCode> {
  /** Stable, machine-readable identifier of the failure. */
  abstract readonly code: CoatcheckErrorCode;
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

/**
 * Whether `value` is one of coatcheck's errors, typed as {@link AnyCoatcheckError} so that
 * `switch (value.code)` narrows it to one class.
 *
 * @example
 * ```ts
 * if (isCoatcheckError(err) && err.code === 'ERR_STORE_TIMEOUT') console.log(err.timeout);
 * ```
 */
export function isCoatcheckError(value: unknown): value is AnyCoatcheckError {
  return value instanceof CoatcheckError;
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
  /** `'ERR_STORE'` for a store's own failure; each subclass narrows it to its code. */
  override readonly code: StoreErrorCode = 'ERR_STORE';
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

/** The package {@link storeFromUrl} needs for a URL is not installed. */
export class StorePackageMissingError extends CoatcheckError {
  override readonly code = 'ERR_STORE_PACKAGE_MISSING';
  /** The package to install. */
  readonly packageName: string;

  constructor(packageName: string, driver: string, options?: { cause?: unknown }) {
    super(
      `install ${packageName} and its driver ${driver} to keep sessions there: npm install ${packageName} ${driver}`,
      options,
    );
    this.packageName = packageName;
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

/** The part of a stored session that {@link SessionRecordError} found unreadable. */
export type SessionRecordField = 'data' | 'cookie' | 'expires' | 'created' | 'touched' | 'user';

/**
 * A stored session could not be read back: its data is not a JSON object, its cookie is not a
 * cookie, or a time is not a time (written by hand, another tool, or a damaged disk). Thrown by a
 * store's decode step ({@link decodeRecord}); the session middleware answers with a fresh session,
 * reports `tampered` with reason `'record'`, and removes the damaged record. The message names the
 * field only, never the stored value.
 */
export class SessionRecordError extends CoatcheckError {
  override readonly code = 'ERR_SESSION_RECORD';
  /** The store's name. */
  readonly store: string;
  /** What was unreadable. */
  readonly field: SessionRecordField;

  constructor(store: string, field: SessionRecordField) {
    super(`${store} store: a stored session has an unreadable ${field}`);
    this.store = store;
    this.field = field;
  }
}

/** A session method was called on a session that was destroyed earlier in the same request. */
export class SessionDestroyedError extends CoatcheckError {
  override readonly code = 'ERR_SESSION_DESTROYED';
  constructor(operation: string) {
    super(`cannot ${operation}: the session was destroyed`);
  }
}

/**
 * `save()`, `reload()` or `rotate()` found the session gone from the store (destroyed by a logout
 * elsewhere, or expired). Answered with 404.
 */
export class SessionNotFoundError extends CoatcheckError {
  override readonly code = 'ERR_SESSION_NOT_FOUND';
  override readonly status = 404;
  /** `reload()` says it as express-session does, whose message apps match. */
  constructor(operation: 'reload' | 'save' = 'save') {
    super(operation === 'reload' ? 'failed to load session' : 'the session no longer exists in the store');
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

/** Why a `Secure-Session-Response` proof was refused. */
export type DeviceProofFailure =
  | 'missing'
  | 'oversized'
  | 'malformed'
  | 'typ'
  | 'alg'
  | 'crit'
  | 'jwk-missing'
  | 'jwk-invalid'
  | 'key-mismatch'
  | 'signature'
  | 'jti'
  | 'challenge-unknown'
  | 'challenge-expired'
  | 'authorization';

/** A device-bound session proof (a `dbsc+jwt`) was refused. `reason` says which rule it broke. */
export class DeviceProofError extends CoatcheckError {
  override readonly code = 'ERR_DEVICE_PROOF';
  override readonly status = 401;
  /** Which rule the proof broke. */
  readonly reason: DeviceProofFailure;

  constructor(reason: DeviceProofFailure, detail?: string) {
    super(`device-bound session proof refused: ${reason}${detail ? ` (${detail})` : ''}`);
    this.reason = reason;
  }
}

/**
 * Every error coatcheck throws, as a union discriminated by `code`: `switch (err.code)` narrows `err`
 * to the one class that carries it.
 */
export type AnyCoatcheckError =
  | (StoreError & { readonly code: 'ERR_STORE' })
  | StoreTimeoutError
  | StoreUnavailableError
  | StoreClosedError
  | StoreUnsupportedError
  | StorePackageMissingError
  | SessionSerializeError
  | SessionRecordError
  | SessionDestroyedError
  | SessionNotFoundError
  | CookieTooLargeError
  | CsrfError
  | DeviceProofError;
