/**
 * Token verification: jose's rules, in jose's order, with one step done by node:crypto instead of
 * WebCrypto (jws/signature.ts says why). A token is checked as `jose.jwtVerify` checks it:
 *
 * 1. its one accepted spelling (jws/compact.ts: jose accepts several spellings of one token);
 * 2. the protected header: `crit`, `b64`, `alg` allowed (jws/header.ts, jose's rules);
 * 3. the key: fixed, from a JWKS (jose's selection), or from the application (keys/source.ts);
 * 4. the signature (jws/signature.ts, node:crypto, synchronous);
 * 5. `b64: false` refused, then the claims and `typ` by jose's own validation (jwt/claims.ts).
 *
 * test/verify-parity.test.ts holds the result: for random and hostile tokens of every algorithm,
 * headers, `crit`, claims and options, the verdict is jose's, or a refusal of a second spelling.
 *
 * @module
 */
import type { KeyObject } from 'node:crypto';
import { errors, type JWTPayload } from 'jose';
import { type Algorithm, parseAlgorithms } from './algorithms.js';
import {
  decodeJsonSegment,
  decodeToken,
  isCanonicalBase64url,
  MAX_TOKEN_LENGTH,
  splitCompact,
} from './jws/compact.js';
import { checkHeader, type HeaderCheck } from './jws/header.js';
import { signatureMatches } from './jws/signature.js';
import { type ClaimOptions, claimChecks } from './jwt/claims.js';
import { type KeySource, keysFor, type ResolvedKeySource, resolveKeySource } from './keys/source.js';
import { VerifiedTokenCache } from './lib/verified-cache.js';
import type { ProtectedHeader, VerifiedToken } from './types.js';

export { decodeToken } from './jws/compact.js';
export type { ClaimOptions } from './jwt/claims.js';
export type { KeySource } from './keys/source.js';
export type { DecodedToken, ProtectedHeader, VerifiedToken } from './types.js';

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

const MAX_CACHED_HEADERS = 64;

/**
 * Builds a verifier: jose's key handling, header rules and claim validation, with signatures checked
 * synchronously by node:crypto on the exact signing input.
 *
 * Why not `jose.jwtVerify` itself: jose 6 verifies through WebCrypto, whose every call is an async
 * job; for HS256 that caps throughput at a few thousand tokens per second on one core (18× below this
 * verifier in bench/verify.bench.ts, 2× for ES256). Everything else is jose's rule, in jose's order.
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
  const source = resolveKeySource(options.key, algorithms);
  const claims = claimChecks(options);
  const recognizedCrit = { ...options.crit };
  const cache = createCache(options.cache, source.kind);
  // Many tokens share a header; the map is bounded and holds only headers that passed. A header is
  // frozen because every token that carries it shares it.
  const headers = new Map<string, HeaderCheck>();
  const staticKeys = source.kind === 'static' ? [source.key] : [];

  function readHeader(segment: string): HeaderCheck {
    const known = headers.get(segment);
    if (known !== undefined) return known;
    const decoded = decodeJsonSegment(segment, 'JWS Protected Header');
    const { header, b64 } = checkHeader(decoded, algorithms, recognizedCrit);
    const checked = { header: Object.freeze(header), b64 };
    if (headers.size >= MAX_CACHED_HEADERS) headers.clear();
    headers.set(segment, checked);
    return checked;
  }

  function finish(
    segments: [string, string, string],
    { header, b64 }: HeaderCheck,
    keys: readonly KeyObject[],
    cacheKey: string | undefined,
  ): VerifiedToken<P> {
    const signature = Buffer.from(segments[2], 'base64url');
    const signingInput = `${segments[0]}.${segments[1]}`;
    // A signature with non-zero padding bits decodes like the canonical one; refusing it keeps one
    // accepted spelling per token.
    if (
      !isCanonicalBase64url(segments[2]) ||
      !keys.some((key) => signatureMatches(header.alg, key, signingInput, signature))
    ) {
      throw new errors.JWSSignatureVerificationFailed();
    }
    if (!b64) throw new errors.JWTInvalid('JWTs MUST NOT use unencoded payload');
    const payload = claims.validate(header, segments[1]);
    if (cache !== undefined && cacheKey !== undefined) remember(cacheKey, header, payload);
    return { header, payload: payload as P };
  }

  function remember(cacheKey: string, header: ProtectedHeader, payload: JWTPayload): void {
    let notAfter = Number.POSITIVE_INFINITY;
    if (typeof payload.exp === 'number') notAfter = payload.exp * 1000;
    if (claims.maxTokenAgeSeconds !== undefined && typeof payload.iat === 'number') {
      notAfter = Math.min(notAfter, (payload.iat + claims.maxTokenAgeSeconds) * 1000);
    }
    cache!.set(cacheKey, header, payload, Date.now(), notAfter);
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
    const checked = readHeader(segments[0]);
    const keys = await keysFor(source, checked.header, context as Context, () => decodeToken(token));
    return finish(segments, checked, keys, key);
  }

  return { verify, verifySync: source.kind === 'static' ? verifySync : undefined, algorithms };
}

function createCache(option: VerifierOptions['cache'], kind: ResolvedKeySource<unknown>['kind']) {
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
