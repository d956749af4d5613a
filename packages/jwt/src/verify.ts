import { constants, createHmac, type KeyObject, timingSafeEqual, verify } from 'node:crypto';
import { errors, type JWSHeaderParameters, type JWTPayload, UnsecuredJWT } from 'jose';
import { type Algorithm, algorithmSpec, isSymmetric, keyMismatch, parseAlgorithms } from './algorithms.js';
import { isJwksKeySet, type JwksKeySet, remoteJwks } from './keys/jwks.js';
import { type KeyInput, KeyObjectCache, toKeyObject } from './keys/key-input.js';
import { toSeconds } from './lib/duration.js';
import { VerifiedTokenCache } from './lib/verified-cache.js';

/** A token's protected header, after verification: `alg` is always one of the allowed algorithms. */
export interface ProtectedHeader extends JWSHeaderParameters {
  alg: Algorithm;
}

/** A token split into its parts, not verified: what express-jwt hands to `secret` and `isRevoked`. */
export interface DecodedToken<P = JWTPayload> {
  header: JWSHeaderParameters;
  payload: P;
  signature: string;
}

/** A token whose signature and claims were checked. `header` is frozen: tokens with the same header share it. */
export interface VerifiedToken<P = JWTPayload> {
  header: ProtectedHeader;
  payload: P;
}

/**
 * Where the verification key comes from: one key, a JWKS (local, or remote by {@link remoteJwks} or a
 * `URL`), or a function of the request context and the decoded (unverified) token, as in express-jwt.
 */
export type KeySource<Context = unknown> =
  | KeyInput
  | JwksKeySet
  | URL
  | ((context: Context, token: DecodedToken) => KeyInput | undefined | Promise<KeyInput | undefined>);

/** Claim checks, with the meaning and defaults of jose's `jwtVerify` (every duration in seconds or as `"5m"`). */
export interface ClaimOptions {
  /** Accept only tokens whose `aud` contains one of these. */
  audience?: string | readonly string[];
  /** Accept only tokens whose `iss` is one of these. */
  issuer?: string | readonly string[];
  /** Accept only tokens with this `sub`. */
  subject?: string;
  /** Leeway for `exp`, `nbf` and `iat` checks. */
  clockTolerance?: number | string;
  /** Refuse tokens whose `iat` is older than this (and tokens without `iat`). */
  maxTokenAge?: number | string;
  /** Claims that must be present. */
  requiredClaims?: readonly string[];
  /** Expected `typ` header, e.g. `"at+jwt"`; compared as media types, like jose. */
  typ?: string;
  /** Extension header names (listed in `crit`) the application understands. */
  crit?: Readonly<Record<string, boolean>>;
}

/** Options of the verified-token cache. */
export interface VerifiedCacheOptions {
  /** How many tokens to remember. Default 1000. */
  maxEntries?: number;
  /** Longest a token is remembered, in milliseconds (never past its `exp`). Default 60000. */
  maxAge?: number;
}

/** Options of {@link createVerifier}. */
export interface VerifierOptions<Context = unknown> extends ClaimOptions {
  /** The key, key set or key function. */
  key: KeySource<Context>;
  /** The accepted algorithms. Required; `none` is refused; HMAC and public-key algorithms never mix. */
  algorithms: readonly Algorithm[];
  /**
   * Remember verified tokens (bounded, keyed by a hash of the whole token, never past `exp`).
   * Off by default. Not available with a key function, whose answer may depend on the request.
   */
  cache?: boolean | VerifiedCacheOptions;
}

/** Verifies tokens against fixed options; see {@link createVerifier}. */
export interface Verifier<P = JWTPayload, Context = unknown> {
  /** Resolves the verified token, or rejects with a jose error (`code` `ERR_JWT_EXPIRED`, …). */
  verify(token: string, context?: Context): Promise<VerifiedToken<P>>;
  /**
   * The same check without a promise, for a fixed key (not a JWKS or key function, which may need
   * I/O): returns the verified token or throws the jose error. `undefined` for other key sources.
   */
  readonly verifySync: ((token: string) => VerifiedToken<P>) | undefined;
  /** The accepted algorithms. */
  readonly algorithms: ReadonlySet<Algorithm>;
}

// A compact JWS with a non-empty signature; the character class keeps every later step in ASCII.
const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;
// Larger than any header a Node.js server accepts (16 KiB in total), so only hostile input hits it.
const MAX_TOKEN_LENGTH = 16_384;
const MAX_CACHED_HEADERS = 64;
const NONE_HEADER_SEGMENT = Buffer.from('{"alg":"none"}').toString('base64url');
const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

function decodeJsonSegment(segment: string, what: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(strictUtf8.decode(Buffer.from(segment, 'base64url')));
  } catch (cause) {
    throw new errors.JWSInvalid(`${what} is not base64url-encoded JSON`, { cause });
  }
  if (!isPlainObject(parsed)) throw new errors.JWSInvalid(`${what} is not a JSON object`);
  return parsed;
}

/**
 * Splits a compact JWS and decodes its header and payload without verifying anything.
 * Throws jose's `JWSInvalid` for anything that is not a well-formed compact JWS.
 *
 * @example
 * ```ts
 * const { header, payload } = decodeToken(token); // untrusted until verified
 * ```
 */
export function decodeToken<P = JWTPayload>(token: string): DecodedToken<P> {
  const segments = splitCompact(token);
  return {
    header: decodeJsonSegment(segments[0], 'JWS Protected Header') as JWSHeaderParameters,
    payload: decodeJsonSegment(segments[1], 'JWT Claims Set') as P,
    signature: segments[2],
  };
}

function splitCompact(token: unknown): [string, string, string] {
  if (typeof token !== 'string') throw new errors.JWSInvalid('Compact JWS must be a string');
  if (token.length > MAX_TOKEN_LENGTH || !COMPACT_JWS.test(token))
    throw new errors.JWSInvalid('Invalid Compact JWS');
  return token.split('.') as [string, string, string];
}

/** RFC 7515 §4.1.11, as jose applies it to JWTs: every `crit` name understood and present; `b64` never false. */
function checkCritical(header: Record<string, unknown>, recognized: Readonly<Record<string, boolean>>): void {
  const { crit } = header;
  if (crit === undefined) return;
  if (
    !Array.isArray(crit) ||
    crit.length === 0 ||
    crit.some((name) => typeof name !== 'string' || name === '')
  ) {
    throw new errors.JWSInvalid(
      '"crit" (Critical) Header Parameter MUST be an array of non-empty strings when present',
    );
  }
  if (new Set(crit).size !== crit.length) {
    throw new errors.JWSInvalid('"crit" (Critical) Header Parameter MUST NOT contain duplicate values');
  }
  for (const name of crit as string[]) {
    if (name !== 'b64' && !Object.hasOwn(recognized, name)) {
      throw new errors.JOSENotSupported(`Extension Header Parameter "${name}" is not recognized`);
    }
    if (header[name] === undefined)
      throw new errors.JWSInvalid(`Extension Header Parameter "${name}" is missing`);
  }
  if ((crit as string[]).includes('b64')) {
    if (typeof header.b64 !== 'boolean') {
      throw new errors.JWSInvalid('The "b64" (base64url-encode payload) Header Parameter must be a boolean');
    }
    if (!header.b64) throw new errors.JWTInvalid('JWTs MUST NOT use unencoded payload');
  }
}

function signatureMatches(alg: Algorithm, key: KeyObject, signingInput: string, signature: Buffer): boolean {
  const spec = algorithmSpec(alg);
  if (spec.signatureLength !== undefined && signature.length !== spec.signatureLength) return false;
  try {
    switch (spec.family) {
      case 'hmac': {
        const expected = createHmac(spec.hash!, key).update(signingInput).digest();
        return timingSafeEqual(expected, signature);
      }
      case 'rsa':
        return verify(spec.hash, Buffer.from(signingInput), key, signature);
      case 'rsa-pss':
        return verify(
          spec.hash,
          Buffer.from(signingInput),
          { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: spec.saltLength! },
          signature,
        );
      case 'ecdsa':
        return verify(spec.hash, Buffer.from(signingInput), { key, dsaEncoding: 'ieee-p1363' }, signature);
      case 'eddsa':
        return verify(null, Buffer.from(signingInput), key, signature);
    }
  } catch {
    return false;
  }
}

function normalizeTyp(value: string): string {
  const lower = value.toLowerCase();
  return lower.includes('/') ? lower : `application/${lower}`;
}

type ResolvedSource<Context> =
  | { kind: 'static'; key: KeyObject }
  | { kind: 'jwks'; set: JwksKeySet; keys: KeyObjectCache }
  | {
      kind: 'function';
      get: (context: Context, token: DecodedToken) => KeyInput | undefined | Promise<KeyInput | undefined>;
      keys: KeyObjectCache;
    };

function resolveSource<Context>(
  source: KeySource<Context>,
  algorithms: ReadonlySet<Algorithm>,
): ResolvedSource<Context> {
  const symmetric = isSymmetric([...algorithms][0]!);
  if (source instanceof URL) source = remoteJwks(source);
  if (isJwksKeySet(source)) {
    if (symmetric)
      throw new TypeError(
        '@coatcheck/jwt: a JSON Web Key Set serves public keys; HMAC algorithms cannot use it',
      );
    return { kind: 'jwks', set: source, keys: new KeyObjectCache(false) };
  }
  if (typeof source === 'function')
    return { kind: 'function', get: source, keys: new KeyObjectCache(symmetric) };
  if (source === undefined || source === null)
    throw new TypeError('@coatcheck/jwt: a key (`secret`) is required');
  const key = toKeyObject(source, symmetric, 'verify');
  for (const alg of algorithms) {
    const mismatch = keyMismatch(alg, key, 'verify');
    if (mismatch) throw new TypeError(`@coatcheck/jwt: the key cannot verify ${alg}: ${mismatch}`);
  }
  return { kind: 'static', key };
}

/** The checks of a verifier, each done once at construction so bad options fail there. */
function claimOptionsFor(options: ClaimOptions) {
  const isStringList = (value: unknown) =>
    typeof value === 'string' || (Array.isArray(value) && value.every((item) => typeof item === 'string'));
  for (const name of ['audience', 'issuer'] as const) {
    if (options[name] !== undefined && !isStringList(options[name])) {
      throw new TypeError(`@coatcheck/jwt: \`${name}\` must be a string or an array of strings`);
    }
  }
  if (options.subject !== undefined && typeof options.subject !== 'string') {
    throw new TypeError('@coatcheck/jwt: `subject` must be a string');
  }
  if (
    options.requiredClaims !== undefined &&
    (!Array.isArray(options.requiredClaims) || !isStringList(options.requiredClaims))
  ) {
    throw new TypeError('@coatcheck/jwt: `requiredClaims` must be an array of strings');
  }
  const claims = {
    ...(options.audience !== undefined ? { audience: options.audience as string | string[] } : {}),
    ...(options.issuer !== undefined ? { issuer: options.issuer as string | string[] } : {}),
    ...(options.subject !== undefined ? { subject: options.subject } : {}),
    ...(options.clockTolerance !== undefined ? { clockTolerance: options.clockTolerance } : {}),
    ...(options.maxTokenAge !== undefined ? { maxTokenAge: options.maxTokenAge } : {}),
    ...(options.requiredClaims !== undefined ? { requiredClaims: [...options.requiredClaims] } : {}),
  };
  if (options.clockTolerance !== undefined) toSeconds(options.clockTolerance, 'clockTolerance');
  const maxTokenAgeSeconds =
    options.maxTokenAge === undefined ? undefined : toSeconds(options.maxTokenAge, 'maxTokenAge');
  // jose rejects some durations only while validating: run its validation once on a harmless
  // claims set so those option errors surface as TypeErrors now.
  try {
    const probe = Buffer.from(JSON.stringify({ iat: Math.floor(Date.now() / 1000) })).toString('base64url');
    UnsecuredJWT.decode(`${NONE_HEADER_SEGMENT}.${probe}.`, {
      ...(claims.clockTolerance !== undefined ? { clockTolerance: claims.clockTolerance } : {}),
      ...(claims.maxTokenAge !== undefined ? { maxTokenAge: claims.maxTokenAge } : {}),
    });
  } catch (error) {
    if (error instanceof TypeError) throw new TypeError(`@coatcheck/jwt: ${error.message}`, { cause: error });
  }
  if (options.typ !== undefined && typeof options.typ !== 'string')
    throw new TypeError('@coatcheck/jwt: `typ` must be a string');
  return { claims, maxTokenAgeSeconds };
}

/**
 * Builds a verifier: jose's key handling and claim rules, with signatures checked synchronously by
 * node:crypto on the exact signing input.
 *
 * Why not `jose.jwtVerify` itself: jose 6 verifies through WebCrypto, whose every call is an async
 * job; for HS256 that caps throughput at a few thousand tokens per second on one core. Here the
 * header rules (`alg` allow-list, `crit`, `b64`) follow jose's, keys come from jose (JWKS) or
 * node:crypto's parsers and are checked against each algorithm, and the claims are validated by
 * jose's own claim-set validation, unchanged.
 *
 * @example
 * ```ts
 * const verifier = createVerifier({ key: process.env.JWT_SECRET!, algorithms: ['HS256'], issuer: 'me' });
 * const { payload } = await verifier.verify(token);
 * ```
 */
export function createVerifier<P = JWTPayload, Context = unknown>(
  options: VerifierOptions<Context>,
): Verifier<P, Context> {
  if (typeof options !== 'object' || options === null)
    throw new TypeError('@coatcheck/jwt: options are required');
  const algorithms = parseAlgorithms(options.algorithms);
  const source = resolveSource(options.key, algorithms);
  const { claims, maxTokenAgeSeconds } = claimOptionsFor(options);
  const recognizedCrit = { ...options.crit };
  const expectedTyp = options.typ === undefined ? undefined : normalizeTyp(options.typ);
  const cache = createCache(options.cache, source.kind);
  const headers = new Map<string, ProtectedHeader>();
  const staticKeys = source.kind === 'static' ? [source.key] : [];

  function readHeader(segment: string): ProtectedHeader {
    const known = headers.get(segment);
    if (known !== undefined) return known;
    const header = decodeJsonSegment(segment, 'JWS Protected Header');
    const { alg } = header;
    if (typeof alg !== 'string' || alg === '') {
      throw new errors.JWSInvalid('JWS "alg" (Algorithm) Header Parameter missing or invalid');
    }
    if (!algorithms.has(alg as Algorithm)) {
      throw new errors.JOSEAlgNotAllowed('"alg" (Algorithm) Header Parameter value not allowed');
    }
    checkCritical(header, recognizedCrit);
    if (
      expectedTyp !== undefined &&
      (typeof header.typ !== 'string' || normalizeTyp(header.typ) !== expectedTyp)
    ) {
      throw new errors.JWTClaimValidationFailed(
        'unexpected "typ" JWT header value',
        {},
        'typ',
        'check_failed',
      );
    }
    // Many tokens share a header; the map is bounded and only ever holds headers that passed. The
    // header is frozen because it is shared by every token that carries it.
    if (headers.size >= MAX_CACHED_HEADERS) headers.clear();
    const verified = Object.freeze(header) as ProtectedHeader;
    headers.set(segment, verified);
    return verified;
  }

  function usable(alg: Algorithm, key: KeyObject): KeyObject {
    const mismatch = keyMismatch(alg, key, 'verify');
    if (mismatch)
      throw new errors.JOSEAlgNotAllowed(`the key does not fit the token's algorithm: ${mismatch}`);
    return key;
  }

  async function keysFor(
    header: ProtectedHeader,
    token: string,
    context: Context | undefined,
  ): Promise<KeyObject[]> {
    if (source.kind === 'static') return [source.key];
    if (source.kind === 'function') {
      const input = await source.get(context as Context, decodeToken(token));
      if (input === undefined || input === null)
        throw new errors.JWKSNoMatchingKey('secret or public key must be provided');
      let key: KeyObject;
      try {
        key = source.keys.get(input);
      } catch (cause) {
        throw new errors.JWKInvalid('secretOrPublicKey is not valid key material', { cause });
      }
      return [usable(header.alg, key)];
    }
    const found = (await source.set.getKeys(header)).map((key) => source.keys.get(key));
    if (found.length === 1) return [usable(header.alg, found[0]!)];
    // Among several candidates, one that does not fit the algorithm is skipped, not fatal.
    const fitting = found.filter((key) => keyMismatch(header.alg, key, 'verify') === undefined);
    return fitting.length > 0 ? fitting : [usable(header.alg, found[0]!)];
  }

  function finish(
    segments: [string, string, string],
    header: ProtectedHeader,
    keys: readonly KeyObject[],
    cacheKey?: string,
  ) {
    const signature = Buffer.from(segments[2], 'base64url');
    const signingInput = `${segments[0]}.${segments[1]}`;
    // A signature with non-zero padding bits decodes like the canonical one; refusing it keeps
    // exactly one accepted spelling per token.
    if (
      signature.toString('base64url') !== segments[2] ||
      !keys.some((key) => signatureMatches(header.alg, key, signingInput, signature))
    ) {
      throw new errors.JWSSignatureVerificationFailed();
    }
    // Claims go through jose's own claim-set validation: the payload segment is re-wrapped as an
    // unsecured JWT only to reach it; the signature was checked above.
    const { payload } = UnsecuredJWT.decode(`${NONE_HEADER_SEGMENT}.${segments[1]}.`, claims);
    if (cache !== undefined && cacheKey !== undefined) {
      const now = Date.now();
      let notAfter = Number.POSITIVE_INFINITY;
      if (typeof payload.exp === 'number') notAfter = payload.exp * 1000;
      if (maxTokenAgeSeconds !== undefined && typeof payload.iat === 'number') {
        notAfter = Math.min(notAfter, (payload.iat + maxTokenAgeSeconds) * 1000);
      }
      cache.set(cacheKey, header, payload, now, notAfter);
    }
    return { header, payload: payload as P };
  }

  function cached(token: string): { key?: string; hit?: VerifiedToken<P> } {
    if (cache === undefined || typeof token !== 'string' || token.length > MAX_TOKEN_LENGTH) return {};
    const key = VerifiedTokenCache.keyOf(token);
    return { key, hit: cache.get(key, Date.now()) as VerifiedToken<P> | undefined };
  }

  function verifySync(token: string): VerifiedToken<P> {
    const { key, hit } = cached(token);
    if (hit !== undefined) return hit;
    const segments = splitCompact(token);
    return finish(segments, readHeader(segments[0]), staticKeys, key);
  }

  async function verify(token: string, context?: Context): Promise<VerifiedToken<P>> {
    if (source.kind === 'static') return verifySync(token);
    const { key, hit } = cached(token);
    if (hit !== undefined) return hit;
    const segments = splitCompact(token);
    const header = readHeader(segments[0]);
    return finish(segments, header, await keysFor(header, token, context), key);
  }

  return { verify, verifySync: source.kind === 'static' ? verifySync : undefined, algorithms };
}

function createCache(option: VerifierOptions['cache'], kind: ResolvedSource<unknown>['kind']) {
  if (option === undefined || option === false) return undefined;
  if (kind === 'function') {
    throw new TypeError(
      '@coatcheck/jwt: `cache` cannot be used with a `secret` function, whose key may depend on the request; use a JWKS or a fixed key',
    );
  }
  const { maxEntries = 1000, maxAge = 60_000 } = option === true ? {} : option;
  if (!Number.isInteger(maxEntries) || maxEntries < 1)
    throw new TypeError('@coatcheck/jwt: `cache.maxEntries` must be a positive integer');
  if (!Number.isFinite(maxAge) || maxAge <= 0)
    throw new TypeError('@coatcheck/jwt: `cache.maxAge` must be a positive number of milliseconds');
  return new VerifiedTokenCache(maxEntries, maxAge);
}

/**
 * Verifies one token. For many tokens build a verifier once with {@link createVerifier}.
 *
 * @example
 * ```ts
 * const { payload } = await verifyToken(token, { key: secret, algorithms: ['HS256'], audience: 'api' });
 * ```
 */
export function verifyToken<P = JWTPayload>(
  token: string,
  options: VerifierOptions<undefined>,
): Promise<VerifiedToken<P>> {
  return createVerifier<P, undefined>(options).verify(token);
}
