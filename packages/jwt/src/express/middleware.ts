import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { errors, type JWTPayload } from 'jose';
import type { Algorithm } from '../algorithms.js';
import { TokenExpiredError, UnauthorizedError } from '../errors.js';
import { canonicalSignature } from '../jws/ecdsa.js';
import type { KeyInput } from '../keys/key-input.js';
import { toSeconds } from '../lib/duration.js';
import {
  type ClaimOptions,
  createVerifier,
  type DecodedToken,
  decodeToken,
  type KeySource,
  type VerifiedCacheOptions,
  type VerifiedToken,
  type Verifier,
} from '../verify.js';
import {
  OTHER_SCHEME,
  parseTokenLocation,
  type TokenLocation,
  tokenFromAuthorization,
  tokenFromCookieHeader,
} from './token-source.js';
import { type UnlessOptions, unless } from './unless.js';
import { bearerChallenge } from './www-authenticate.js';

/** express-jwt's `GetVerificationKey`: the key for this request and this (not yet verified) token. */
export type GetVerificationKey = (req: Request, token: DecodedToken) => KeyInput | Promise<KeyInput>;
/** express-jwt's `TokenGetter`. */
export type TokenGetter = (req: Request) => string | null | undefined | Promise<string | null | undefined>;
/**
 * express-jwt's `IsRevoked`, given the verified token and its signature (base64url). An ECDSA
 * signature is given in its low-`s` form, so the two spellings of one ES256 token (see
 * {@link canonicalToken}) are the same token here.
 */
export type IsRevoked<P = JWTPayload> = (
  req: Request,
  token: VerifiedToken<P> & { readonly signature: string },
) => boolean | Promise<boolean>;
/** express-jwt's `ExpirationHandler`: return to accept the expired token anyway, throw to refuse it. */
export type ExpirationHandler = (req: Request, err: UnauthorizedError) => void | Promise<void>;

/** Options of {@link jwt}: express-jwt's, plus jose's claim checks, `from`, `cache` and `realm`. */
export interface JwtOptions<P = JWTPayload, K extends string = 'auth'> extends ClaimOptions {
  /** The key: a secret, PEM, JWK, `KeyObject`, a JWKS ({@link remoteJwks}, {@link localJwks}, a `URL`) or a function. */
  secret: KeySource<Request>;
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

/** `req` with the payload a {@link jwt} middleware put under `K` (`auth` by default). */
export type JwtRequest<P = JWTPayload, K extends string = 'auth'> = Request & { [Key in K]?: P };

/** express-jwt's name for {@link JwtRequest}, so `import { Request as JWTRequest }` keeps compiling. */
export type { JwtRequest as Request };

/** The request type a given middleware produces: `(req: AuthRequest<typeof auth>, res) => …`. */
export type AuthRequest<M> = M extends JwtMiddleware<infer P, infer K> ? JwtRequest<P, K> : never;

/** A JWT-checking middleware, with express-jwt's `unless` and a typed accessor for the payload. */
export interface JwtMiddleware<P = JWTPayload, K extends string = 'auth'> extends RequestHandler {
  (req: Request, res: Response, next: NextFunction): void;
  /** The same middleware, skipped for requests matching `options` (express-unless semantics). */
  unless(options: UnlessOptions | UnlessOptions['custom']): RequestHandler;
  /**
   * The payload this middleware verified for `req`, typed; `undefined` when the request passed
   * without a token (`credentialsRequired: false`).
   */
  payload(req: Request): P | undefined;
  /** The verifier under the middleware, for use outside HTTP (WebSocket upgrades, jobs). */
  readonly verifier: Verifier<P, Request>;
  /** Where the payload goes on the request (`requestProperty`). */
  readonly requestProperty: K;
}

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
  const verifier = createVerifier<P, Request>({
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
  const maxTokenAgeMs = maxTokenAge === undefined ? undefined : toSeconds(maxTokenAge, 'maxTokenAge') * 1000;

  // The token, `undefined` when there is none, or OTHER_SCHEME (credentials optional and another
  // scheme used). A user's getToken answers only a token or nothing: any falsy answer, null
  // included, is "no token", as under express-jwt.
  function headerToken(req: Request): string | typeof OTHER_SCHEME | undefined {
    if (cookieName === undefined) return tokenFromAuthorization(req.headers, credentialsRequired);
    const parsed = (req as { cookies?: Record<string, unknown> }).cookies?.[cookieName];
    return typeof parsed === 'string' ? parsed : tokenFromCookieHeader(req.headers?.cookie, cookieName);
  }

  function expiredError(error: InstanceType<typeof errors.JWTExpired>): UnauthorizedError {
    const claims = error.payload;
    const expiredAt =
      error.claim === 'exp' && typeof claims.exp === 'number'
        ? new Date(claims.exp * 1000)
        : new Date((claims.iat ?? 0) * 1000 + (maxTokenAgeMs ?? 0));
    return new UnauthorizedError(
      'invalid_token',
      new TokenExpiredError(error.message, expiredAt, { cause: error }),
    );
  }

  async function expired(
    req: Request,
    token: string,
    error: InstanceType<typeof errors.JWTExpired>,
  ): Promise<VerifiedToken<P>> {
    const wrapped = expiredError(error);
    if (!onExpired) throw wrapped;
    await onExpired(req, wrapped);
    // jose checks claims only after the signature, so an expired token reaching here is authentic.
    return { header: decodeToken(token).header as VerifiedToken['header'], payload: error.payload as P };
  }

  function missing(): undefined {
    if (credentialsRequired) {
      throw new UnauthorizedError('credentials_required', { message: 'No authorization token was found' });
    }
    return undefined;
  }

  function invalid(error: unknown): never {
    if (error instanceof errors.JOSEError) throw new UnauthorizedError('invalid_token', error);
    throw error;
  }

  async function authenticate(req: Request): Promise<void> {
    const token = getToken ? await getToken(req) : headerToken(req);
    if (token === OTHER_SCHEME) return;
    if (!token) return missing();
    let verified: VerifiedToken<P>;
    try {
      verified = await verifier.verify(token, req);
    } catch (error) {
      if (!(error instanceof errors.JWTExpired)) invalid(error);
      verified = await expired(req, token, error);
    }
    if (
      isRevoked &&
      (await isRevoked(req, {
        ...verified,
        signature: canonicalSignature(verified.header.alg, token.slice(token.lastIndexOf('.') + 1)),
      }))
    ) {
      throw new UnauthorizedError('revoked_token', { message: 'The token has been revoked.' });
    }
    setPath(req as unknown as Record<string, unknown>, property, verified.payload);
  }

  // With a fixed key and no async hooks the whole check is synchronous; skipping the promise
  // machinery saves a microtask round per request. Anything that needs waiting (an expired token
  // with onExpired) falls back to the async path.
  const verifySync = getToken === undefined && isRevoked === undefined ? verifier.verifySync : undefined;

  function fail(res: Response, next: NextFunction, error: unknown): void {
    if (error instanceof UnauthorizedError && !res.headersSent) {
      res.setHeader('WWW-Authenticate', bearerChallenge(error.code, error.message, realm));
    }
    next(error);
  }

  function authenticateAsync(req: Request, res: Response, next: NextFunction): void {
    authenticate(req).then(
      () => next(),
      (error: unknown) => fail(res, next, error),
    );
  }

  const middleware = ((req: Request, res: Response, next: NextFunction) => {
    if (isPreflight(req)) return next();
    if (verifySync === undefined) return authenticateAsync(req, res, next);
    let payload: P;
    try {
      const token = headerToken(req);
      if (token === OTHER_SCHEME) return next();
      if (!token) {
        missing();
        return next();
      }
      payload = verifySync(token).payload;
    } catch (error) {
      if (error instanceof errors.JWTExpired && onExpired) return authenticateAsync(req, res, next);
      if (error instanceof errors.JWTExpired) {
        return fail(res, next, expiredError(error));
      }
      return fail(
        res,
        next,
        error instanceof errors.JOSEError ? new UnauthorizedError('invalid_token', error) : error,
      );
    }
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

export { jwt as expressjwt };
