import type { IncomingMessage, ServerResponse } from 'node:http';
import { CsrfError } from '../errors.js';
import { type CrossOriginOptions, checkCrossOrigin, crossOriginPolicy, isSafeMethod } from './origin.js';
import {
  bindCsrfSecret,
  createCsrfSecret,
  createCsrfToken,
  previousCsrfBinding,
  verifyCsrfToken,
} from './token.js';

/** Options of the synchronizer token of {@link csrf}. Read from exactly one place: `header` or `field`. */
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

/** Options of {@link csrf}. */
export interface CsrfOptions extends CrossOriginOptions {
  /**
   * Add a synchronizer token bound to the session: `req.csrfToken()` gives one to embed in forms
   * or send in a header. Needs `req.session` (`session()`, `cookieSession()` or express-session)
   * mounted before `csrf()`. With `cookieSession()` the secret lives in the sealed cookie, which
   * makes it a sealed double-submit token with no server state.
   */
  token?: boolean | CsrfTokenOptions;
}

/** What {@link csrf} adds to the request when a token is configured. */
export interface CsrfRequest {
  /** A fresh masked token for the current session, creating the session's secret on first use. */
  csrfToken(): string;
}

type Next = (error?: unknown) => void;
type SessionLike = Record<string, unknown>;

/** RFC 9110 §5.6.2 token: a valid header field name. */
const FIELD_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/**
 * Protects cookie-authenticated unsafe requests (POST, PUT, PATCH, DELETE, …) from cross-site
 * request forgery. Safe methods always pass. By default a request passes when `Sec-Fetch-Site` is
 * `same-origin` or `none`, is refused when it is `same-site` or `cross-site`, and, from browsers
 * that do not send it, passes when `Origin` (or else `Referer`) is the application's own origin
 * or a trusted one. With `token`, a synchronizer token bound to the session is also required.
 * A refused request goes to `next` as a {@link CsrfError} (status 403, `code` `ERR_CSRF`, `reason`).
 *
 * Tokens are bound to the session ID as well as to the session's secret (when the session
 * middleware sets `req.sessionID`, as `session()`, `cookieSession()` and express-session do), so a
 * new ID makes every earlier token worthless: rotating the session on login (`req.session.rotate()`
 * or `regenerate()`) rotates the token. Hand out tokens after rotating, not before.
 *
 * @example
 * ```ts
 * app.use(session({ secret }));
 * app.use(csrf({ token: { field: '_csrf' }, trustedOrigins: ['https://admin.example'] }));
 * app.get('/form', (req, res) => res.send(`<input type="hidden" name="_csrf" value="${req.csrfToken()}">`));
 * ```
 */
export function csrf(
  options: CsrfOptions = {},
): (req: IncomingMessage, res: ServerResponse, next: Next) => void {
  const policy = crossOriginPolicy(options);
  const token = tokenSettings(options.token);

  return function csrfMiddleware(req, _res, next) {
    if (token !== undefined) {
      (req as IncomingMessage & CsrfRequest).csrfToken = () => {
        const session = sessionOf(req);
        if (session === undefined) throw missingSession();
        let secret = session[token.sessionKey];
        if (typeof secret !== 'string') {
          secret = createCsrfSecret();
          session[token.sessionKey] = secret;
        }
        return createCsrfToken(boundSecret(secret as string, req));
      };
    }
    if (isSafeMethod(req.method)) return next();

    const failure = checkCrossOrigin({ method: req.method ?? '', headers: req.headers }, policy);
    if (failure !== null) return next(new CsrfError(failure));
    if (token === undefined) return next();
    if (token.require === 'without-fetch-metadata' && req.headers['sec-fetch-site'] !== undefined)
      return next();

    const session = sessionOf(req);
    if (session === undefined) return next(missingSession());
    const given =
      token.header !== undefined ? req.headers[token.header] : bodyField(req, token.field as string);
    if (given === undefined || given === '') return next(new CsrfError('token-missing'));
    const secret = session[token.sessionKey];
    if (typeof secret !== 'string' || !verifies(given, secret, req))
      return next(new CsrfError('token-invalid'));
    next();
  };
}

interface TokenSettings {
  header: string | undefined;
  field: string | undefined;
  sessionKey: string;
  require: 'always' | 'without-fetch-metadata';
}

function tokenSettings(option: CsrfOptions['token']): TokenSettings | undefined {
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
function boundSecret(secret: string, req: IncomingMessage): string {
  const id = (req as IncomingMessage & { sessionID?: unknown }).sessionID;
  if (typeof id !== 'string' || id.length === 0) return secret;
  return bindCsrfSecret(secret, id);
}

/** Whether `given` is a token of the session's secret, bound as now or as before keys.ts. */
function verifies(given: unknown, secret: string, req: IncomingMessage): boolean {
  if (verifyCsrfToken(given, boundSecret(secret, req))) return true;
  const id = (req as IncomingMessage & { sessionID?: unknown }).sessionID;
  if (typeof id !== 'string' || id.length === 0) return false;
  const previous = previousCsrfBinding(secret, id);
  return previous !== undefined && verifyCsrfToken(given, previous);
}

function sessionOf(req: IncomingMessage): SessionLike | undefined {
  const session = (req as IncomingMessage & { session?: unknown }).session;
  return typeof session === 'object' && session !== null ? (session as SessionLike) : undefined;
}

function bodyField(req: IncomingMessage, field: string): unknown {
  const body = (req as IncomingMessage & { body?: unknown }).body;
  if (typeof body !== 'object' || body === null || !Object.hasOwn(body, field)) return undefined;
  return (body as Record<string, unknown>)[field];
}

function missingSession(): TypeError {
  return new TypeError('csrf({ token }) needs req.session: mount session() or cookieSession() before csrf()');
}
