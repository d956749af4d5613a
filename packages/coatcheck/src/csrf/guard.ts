import { CsrfError } from '../errors.js';
import { type CrossOriginOptions, checkCrossOrigin, crossOriginPolicy, isSafeMethod } from './origin.js';
import {
  bindCsrfSecret,
  createCsrfSecret,
  createCsrfToken,
  previousCsrfBinding,
  verifyCsrfToken,
} from './token.js';

/** Options of the synchronizer token of `csrf()`. Read from exactly one place: `header` or `field`. */
export interface CsrfTokenOptions {
  /** The request header that carries the token. Default `'x-csrf-token'` unless `field` is set. */
  header?: string;
  /** The parsed-body field that carries the token (needs a body parser before `csrf()`), e.g. `'_csrf'`. */
  field?: string;
  /** The session key holding the per-session secret. Default `'csrfSecret'`. */
  sessionKey?: string;
  /**
   * When the token is checked: `'without-fetch-metadata'` (default) only on requests without
   * `Sec-Fetch-Site`, that is from browsers the header check cannot vouch for; `'always'` on every
   * unsafe request, after the header check.
   */
  require?: 'always' | 'without-fetch-metadata';
}

/** Options of `csrf()`, in every framework. */
export interface CsrfOptions extends CrossOriginOptions {
  /**
   * Add a synchronizer token bound to the session: `csrfToken()` gives one to embed in forms or send
   * in a header. Needs the session middleware mounted before `csrf()`. With a cookie session the
   * secret lives in the sealed cookie, which makes it a sealed double-submit token with no server
   * state.
   */
  token?: boolean | CsrfTokenOptions;
}

/** Where the token is read from and the secret kept, once the options are checked. */
export interface CsrfTokenSettings {
  /** The header carrying the token, lower-cased; `undefined` when it comes in a body field. */
  readonly header: string | undefined;
  /** The body field carrying the token; `undefined` when it comes in a header. */
  readonly field: string | undefined;
  readonly sessionKey: string;
  readonly require: 'always' | 'without-fetch-metadata';
}

/** A request as the guard reads it: each framework's adapter gives this view of its own request. */
export interface CsrfRequestView {
  /** The request method. */
  readonly method: string | undefined;
  /** A request header by its lower-case name. */
  header(name: string): string | string[] | undefined;
  /** The session the request has, or `undefined` when no session middleware ran. */
  session(): Record<string, unknown> | undefined;
  /** The session's ID, to which tokens are bound; `undefined` when the middleware gives none. */
  sessionId(): unknown;
  /** The parsed body's field `name` (asked only with `token.field`). */
  field?(name: string): unknown;
}

/**
 * The framework-neutral CSRF check: every `csrf()` (Express, Koa, Hono, Fastify, Fetch) is this
 * under its framework's idiom, so the rules live in one place.
 */
export interface CsrfGuard {
  /** The token settings, or `undefined` when only the header check runs. */
  readonly token: CsrfTokenSettings | undefined;
  /**
   * A fresh masked token for `session`, creating the session's secret on first use. Throws a
   * `TypeError` when no token was configured or there is no session.
   */
  tokenFor(session: Record<string, unknown> | undefined, sessionId: unknown): string;
  /**
   * Why the request must be refused (a {@link CsrfError}, or a `TypeError` when a token is needed
   * and no session middleware ran), or `undefined` when it may proceed.
   */
  check(request: CsrfRequestView): CsrfError | TypeError | undefined;
  /** Whether `check` will read a token for this request: it is unsafe, passed the header check, and a token is required of it. */
  needsToken(request: CsrfRequestView): boolean;
}

/** RFC 9110 §5.6.2 token: a valid header field name. */
const FIELD_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/**
 * Checks `options` once (a `TypeError` for a bad one) and returns the guard every framework's
 * `csrf()` runs. `missing` ends the `TypeError` for a token asked of a request without a session,
 * in the framework's words (where the session should be, and which middleware puts it there).
 *
 * @example
 * ```ts
 * const guard = csrfGuard({ token: true });
 * const refused = guard.check({
 *   method: 'POST',
 *   header: (name) => headers[name],
 *   session: () => session,
 *   sessionId: () => session.id,
 * });
 * if (refused) throw refused;
 * ```
 */
export function csrfGuard(
  options: CsrfOptions = {},
  missing = 'a session: mount the session middleware before csrf()',
): CsrfGuard {
  if (options === null || typeof options !== 'object') throw new TypeError('csrf: options must be an object');
  const policy = crossOriginPolicy(options);
  const token = tokenSettings(options.token);

  function tokenRequired(request: CsrfRequestView): boolean {
    if (token === undefined) return false;
    return token.require === 'always' || request.header('sec-fetch-site') === undefined;
  }

  return {
    token,
    tokenFor(session, sessionId) {
      if (token === undefined) throw new TypeError('csrf: csrfToken() needs the option token');
      if (session === undefined) throw missingSession(missing);
      let secret = session[token.sessionKey];
      if (typeof secret !== 'string') {
        secret = createCsrfSecret();
        session[token.sessionKey] = secret;
      }
      return createCsrfToken(boundSecret(secret as string, sessionId));
    },
    needsToken(request) {
      return !isSafeMethod(request.method) && tokenRequired(request);
    },
    check(request) {
      if (isSafeMethod(request.method)) return undefined;
      const failure = checkCrossOrigin(
        {
          method: request.method ?? '',
          headers: {
            host: single(request.header('host')),
            origin: single(request.header('origin')),
            referer: single(request.header('referer')),
            'sec-fetch-site': request.header('sec-fetch-site'),
          },
        },
        policy,
      );
      if (failure !== null) return new CsrfError(failure);
      if (token === undefined || !tokenRequired(request)) return undefined;
      const session = request.session();
      if (session === undefined) return missingSession(missing);
      const given =
        token.header !== undefined ? request.header(token.header) : request.field?.(token.field as string);
      if (given === undefined || given === '') return new CsrfError('token-missing');
      const secret = session[token.sessionKey];
      if (typeof secret !== 'string' || !verifies(given, secret, request.sessionId()))
        return new CsrfError('token-invalid');
      return undefined;
    },
  };
}

function single(value: string | string[] | undefined): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

function tokenSettings(option: CsrfOptions['token']): CsrfTokenSettings | undefined {
  if (option === undefined || option === false) return undefined;
  const given: CsrfTokenOptions = option === true ? {} : option;
  if (typeof given !== 'object' || given === null)
    throw new TypeError('token must be a boolean or an object');
  if (given.header !== undefined && given.field !== undefined) {
    throw new TypeError(
      'token: set either header or field, not both: a token is read from exactly one place',
    );
  }
  if (given.header !== undefined && (typeof given.header !== 'string' || !FIELD_NAME.test(given.header))) {
    throw new TypeError(`token.header is not a valid header name: ${JSON.stringify(given.header)}`);
  }
  if (given.field !== undefined && (typeof given.field !== 'string' || given.field.length === 0)) {
    throw new TypeError('token.field must be a non-empty string');
  }
  const sessionKey = given.sessionKey ?? 'csrfSecret';
  if (typeof sessionKey !== 'string' || sessionKey.length === 0) {
    throw new TypeError('token.sessionKey must be a non-empty string');
  }
  const require = given.require ?? 'without-fetch-metadata';
  if (require !== 'always' && require !== 'without-fetch-metadata') {
    throw new TypeError(
      `token.require must be "always" or "without-fetch-metadata", got ${JSON.stringify(require)}`,
    );
  }
  return {
    header: given.field === undefined ? (given.header ?? 'x-csrf-token').toLowerCase() : undefined,
    field: given.field,
    sessionKey,
    require,
  };
}

/**
 * The secret tokens are made from: the session's secret keyed to the session ID, so that tokens die
 * with the ID. `rotate()` keeps the session's data, the stored secret included, and changes only the
 * ID; without this a token handed out before login would still be good after it. A session
 * middleware without IDs gets the stored secret as it is.
 */
function boundSecret(secret: string, sessionId: unknown): string {
  if (typeof sessionId !== 'string' || sessionId.length === 0) return secret;
  return bindCsrfSecret(secret, sessionId);
}

/** Whether `given` is a token of the session's secret, bound as now or as before keys.ts. */
function verifies(given: unknown, secret: string, sessionId: unknown): boolean {
  if (verifyCsrfToken(given, boundSecret(secret, sessionId))) return true;
  if (typeof sessionId !== 'string' || sessionId.length === 0) return false;
  const previous = previousCsrfBinding(secret, sessionId);
  return previous !== undefined && verifyCsrfToken(given, previous);
}

function missingSession(missing: string): TypeError {
  return new TypeError(`csrf({ token }) needs ${missing}`);
}
