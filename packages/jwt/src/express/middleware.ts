import type { NextFunction, Request, Response } from 'express';
import { errors, type JWTPayload } from 'jose';
import { UnauthorizedError } from '../errors.js';
import { canonicalSignature } from '../jws/ecdsa.js';
import { toSeconds } from '../lib/duration.js';
import { buildVerifier, type ProtectedHeader, type VerifiedToken } from '../verify.js';
import { type ExpectedClaims, toJsonWebTokenError } from './jsonwebtoken-errors.js';
import {
  OTHER_SCHEME,
  parseTokenLocation,
  tokenFromAuthorization,
  tokenFromCookieHeader,
} from './token-source.js';
import type { JwtMiddleware, JwtOptions } from './types.js';
import { type UnlessOptions, unless } from './unless.js';
import { bearerChallenge } from './www-authenticate.js';

const UNSAFE_PROPERTY = new Set(['__proto__', 'prototype', 'constructor']);

function parseRequestProperty(value: unknown): string[] {
  if (value === undefined) return ['auth'];
  if (typeof value !== 'string' || value === '')
    throw new TypeError('@coatcheck/jwt: `requestProperty` must be a non-empty string');
  const path = value.split('.');
  if (path.some((part) => part === '' || UNSAFE_PROPERTY.has(part))) {
    throw new TypeError('@coatcheck/jwt: `requestProperty` must be a dotted path of plain property names');
  }
  return path;
}

function setPath(target: Record<string, unknown>, path: readonly string[], value: unknown): void {
  let node = target;
  for (const part of path.slice(0, -1)) {
    if (typeof node[part] !== 'object' || node[part] === null) node[part] = {};
    node = node[part] as Record<string, unknown>;
  }
  node[path[path.length - 1]!] = value;
}

function getPath(target: Record<string, unknown>, path: readonly string[]): unknown {
  let node: unknown = target;
  for (const part of path) {
    if (typeof node !== 'object' || node === null) return undefined;
    node = (node as Record<string, unknown>)[part];
  }
  return node;
}

// Options jsonwebtoken knew that would switch a check off; refused rather than silently ignored.
const WEAKENING_OPTIONS = [
  'ignoreExpiration',
  'ignoreNotBefore',
  'allowInvalidAsymmetricKeyTypes',
  'clockTimestamp',
];

/**
 * express-jwt's preflight rule, and no wider: an `OPTIONS` request whose
 * `Access-Control-Request-Headers` names `authorization` passes without a token. Any other `OPTIONS`
 * request, `Access-Control-Request-Method` alone included, needs credentials like every method:
 * anyone can send those headers, and a route mounted with `app.use` or `router.all` would run
 * unauthenticated. Answer preflights with a CORS middleware mounted before this one.
 */
function isPreflight(req: Request): boolean {
  if (req.method !== 'OPTIONS' || typeof req.headers !== 'object' || req.headers === null) return false;
  const requested = req.headers['access-control-request-headers'];
  return (
    typeof requested === 'string' &&
    requested.split(',').some((name) => name.trim().toLowerCase() === 'authorization')
  );
}

/**
 * Express middleware that checks a JWT and puts its payload on `req.auth`: express-jwt's options and
 * behaviour, on jose. Works with Express 4 and 5.
 *
 * Failures reach your error handler as {@link UnauthorizedError} (status 401, express-jwt's `code`s,
 * the jose error as `cause`), with an RFC 6750 `WWW-Authenticate: Bearer` header already set; a key
 * set that cannot be fetched is a {@link KeySourceError} (503).
 *
 * @example
 * ```ts
 * interface Claims extends JWTPayload { admin?: boolean }
 * const auth = jwt<Claims>({ secret: process.env.JWT_SECRET!, algorithms: ['HS256'], issuer: 'my-app' });
 *
 * app.get('/admin', auth, (req, res) => {
 *   if (!auth.payload(req)?.admin) return res.sendStatus(403);
 *   res.send('hello admin');
 * });
 * ```
 */
export function jwt<P = JWTPayload, K extends string = 'auth'>(
  options: JwtOptions<P, K>,
): JwtMiddleware<P, K> {
  if (typeof options !== 'object' || options === null)
    throw new TypeError('@coatcheck/jwt: options are required');
  if (options.secret === undefined || options.secret === null)
    throw new TypeError('@coatcheck/jwt: `secret` is required');
  for (const name of WEAKENING_OPTIONS) {
    if (name in options)
      throw new TypeError(`@coatcheck/jwt: \`${name}\` is not supported: it would switch a check off`);
  }
  const legacy = options as { maxAge?: number | string };
  const maxTokenAge = options.maxTokenAge ?? legacy.maxAge;
  if ((options.audience as unknown) instanceof RegExp || (options.issuer as unknown) instanceof RegExp) {
    throw new TypeError('@coatcheck/jwt: `audience` and `issuer` must be strings or arrays of strings');
  }
  const {
    verifier,
    lookup,
    verifySync: checkSync,
  } = buildVerifier<P, Request>({
    ...options,
    key: options.secret,
    ...(maxTokenAge !== undefined ? { maxTokenAge } : {}),
  });
  const credentialsRequired = options.credentialsRequired ?? true;
  if (typeof credentialsRequired !== 'boolean')
    throw new TypeError('@coatcheck/jwt: `credentialsRequired` must be a boolean');
  const cookieName = parseTokenLocation(options.from);
  const { getToken, isRevoked, onExpired, realm } = options;
  if (getToken !== undefined && options.from !== undefined) {
    throw new TypeError('@coatcheck/jwt: give either `from` or `getToken`, not both');
  }
  for (const [name, value] of [
    ['getToken', getToken],
    ['isRevoked', isRevoked],
    ['onExpired', onExpired],
  ] as const) {
    if (value !== undefined && typeof value !== 'function')
      throw new TypeError(`@coatcheck/jwt: \`${name}\` must be a function`);
  }
  const property = parseRequestProperty(options.requestProperty);
  const expected: ExpectedClaims = {
    audience: options.audience,
    issuer: options.issuer,
    subject: options.subject,
    maxTokenAgeSeconds: maxTokenAge === undefined ? undefined : toSeconds(maxTokenAge, 'maxTokenAge'),
  };

  // The token, `undefined` when there is none, or OTHER_SCHEME (credentials optional and another
  // scheme used). A user's getToken answers only a token or nothing: any falsy answer, null
  // included, is "no token", as under express-jwt.
  function headerToken(req: Request): string | typeof OTHER_SCHEME | undefined {
    if (cookieName === undefined) return tokenFromAuthorization(req.headers, credentialsRequired);
    const parsed = (req as { cookies?: Record<string, unknown> }).cookies?.[cookieName];
    return typeof parsed === 'string' ? parsed : tokenFromCookieHeader(req.headers?.cookie, cookieName);
  }

  /** jose's verdict on `token` as express-jwt reports it; anything else (a user's error) unchanged. */
  function refusal(error: unknown, token: unknown): unknown {
    if (!(error instanceof errors.JOSEError)) return error;
    return new UnauthorizedError('invalid_token', toJsonWebTokenError(error, token, expected));
  }

  /** An expired but authentic token: refused, unless `onExpired` returns. */
  async function expired(
    req: Request,
    token: string,
    error: InstanceType<typeof errors.JWTExpired>,
  ): Promise<VerifiedToken<P>> {
    const refused = refusal(error, token) as UnauthorizedError;
    if (!onExpired) throw refused;
    await onExpired(req, refused);
    // Claims are checked only after the signature, so an expired token reaching here is authentic.
    const header = JSON.parse(Buffer.from(token.slice(0, token.indexOf('.')), 'base64url').toString());
    return { header: header as ProtectedHeader, payload: error.payload as P };
  }

  function missing(): void {
    if (credentialsRequired) {
      throw new UnauthorizedError('credentials_required', { message: 'No authorization token was found' });
    }
  }

  /** Resolves when the request may go on (with `req.auth` set when it carried a token). */
  async function authenticate(req: Request): Promise<void> {
    const token = getToken ? await getToken(req) : headerToken(req);
    if (token === OTHER_SCHEME) return;
    if (!token) return missing();
    let verified: VerifiedToken<P>;
    try {
      verified = await verifier.verify(token, req);
    } catch (error) {
      if (!(error instanceof errors.JWTExpired)) throw refusal(error, token);
      verified = await expired(req, token, error);
    }
    if (isRevoked) {
      const signature = canonicalSignature(verified.header.alg, token.slice(token.lastIndexOf('.') + 1));
      // A literal, not `{ ...verified, signature }`: V8 spreads this object about 300× slower.
      if (await isRevoked(req, { header: verified.header, payload: verified.payload, signature })) {
        throw new UnauthorizedError('revoked_token', { message: 'The token has been revoked.' });
      }
    }
    setPath(req as unknown as Record<string, unknown>, property, verified.payload);
  }

  function fail(res: Response, next: NextFunction, error: unknown): void {
    // express-jwt's own suite calls the middleware with a bare `{}` as the response.
    if (error instanceof UnauthorizedError && !res.headersSent && typeof res.setHeader === 'function') {
      res.setHeader('WWW-Authenticate', bearerChallenge(error.code, error.message, realm));
    }
    next(error);
  }

  // `next` runs inside a promise reaction here. Whatever it throws is rethrown outside the promise,
  // as an uncaught exception, where express-jwt's `setImmediate(next)` would put it, rather than
  // becoming an unhandled rejection that names no stack of the caller.
  function authenticateAsync(req: Request, res: Response, next: NextFunction): void {
    authenticate(req).then(
      () => callOutside(() => next()),
      (error: unknown) => callOutside(() => fail(res, next, error)),
    );
  }

  // Without hooks that must run on every request, a token the cache holds, or (HMAC with a fixed
  // key) any token, needs no waiting: it is answered synchronously, saving the promise rounds that
  // are most of what such a request costs. An expired token with `onExpired`, which may wait, and
  // for the cache-only case any failure, take the full path, which reports it.
  const hooks = getToken !== undefined || isRevoked !== undefined;
  const verifySync = hooks ? undefined : checkSync;
  const cachedOnly = hooks || verifySync !== undefined ? undefined : lookup;
  function fromCache(req: Request): P | undefined {
    try {
      const token = headerToken(req);
      return typeof token === 'string' && token !== '' ? cachedOnly?.(token)?.payload : undefined;
    } catch {
      return undefined;
    }
  }

  function authenticateSync(req: Request, res: Response, next: NextFunction): void {
    let token: string | typeof OTHER_SCHEME | undefined;
    let payload: P | undefined;
    try {
      token = headerToken(req);
      if (token !== OTHER_SCHEME) {
        if (token) payload = verifySync!(token).payload;
        else missing();
      }
    } catch (error) {
      if (error instanceof errors.JWTExpired && onExpired) authenticateAsync(req, res, next);
      else fail(res, next, refusal(error, token));
      return;
    }
    if (payload !== undefined) setPath(req as unknown as Record<string, unknown>, property, payload);
    next();
  }

  const middleware = ((req: Request, res: Response, next: NextFunction) => {
    if (isPreflight(req)) return next();
    if (verifySync !== undefined) return authenticateSync(req, res, next);
    const payload = cachedOnly === undefined ? undefined : fromCache(req);
    if (payload === undefined) return authenticateAsync(req, res, next);
    setPath(req as unknown as Record<string, unknown>, property, payload);
    next();
  }) as JwtMiddleware<P, K>;

  Object.defineProperties(middleware, {
    unless: { value: (opts: UnlessOptions | UnlessOptions['custom']) => unless(middleware, opts) },
    payload: {
      value: (req: Request) => getPath(req as unknown as Record<string, unknown>, property) as P | undefined,
    },
    verifier: { value: verifier },
    requestProperty: { value: options.requestProperty ?? 'auth' },
  });
  return middleware;
}

function callOutside(run: () => void): void {
  try {
    run();
  } catch (error) {
    queueMicrotask(() => {
      throw error;
    });
  }
}

export { jwt as expressjwt };
