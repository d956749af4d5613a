/**
 * Token verification on `jose.jwtVerify`, with one exception. For RSA, RSA-PSS, ECDSA and EdDSA the
 * protected header (`crit`, `b64`, `alg` allowed), the signature and the claims set are jose's
 * checks, with jose's errors. For HMAC (HS256/384/512) jose's only path is an asynchronous
 * WebCrypto job that costs several times the HMAC itself, so those tokens are checked here,
 * synchronously: jose's header rules (jws/header.ts), the HMAC by node:crypto in constant time
 * (jws/hmac.ts), then jose's own claims validation (jwt/claims.ts), in jose's order. Around both,
 * this module adds what jose does not do:
 *
 * 1. one accepted spelling per token (jws/compact.ts: jose decodes base64url forgivingly);
 * 2. the key: fixed and checked against every algorithm at construction, from a JWKS (jose's
 *    selection, each candidate tried when a token names no `kid`), or from the application
 *    (keys/source.ts), each key checked against the token's `alg` before it is used;
 * 3. an optional cache of verified tokens (lib/verified-cache.ts).
 *
 * test/verify-parity.test.ts holds the result: for random and hostile tokens of every algorithm,
 * headers, `crit`, claims and options, the verdict and error code are jose's, or a refusal of a
 * second spelling.
 *
 * @module
 */
import type { KeyObject } from 'node:crypto';
import { errors, type JWTPayload, jwtVerify } from 'jose';
import { type Algorithm, isSymmetric, parseAlgorithms } from './algorithms.js';
import {
  decodeJsonSegment,
  decodeToken,
  isCanonicalBase64url,
  MAX_TOKEN_LENGTH,
  splitCompact,
} from './jws/compact.js';
import { type CheckedHeader, checkHeader } from './jws/header.js';
import { hmacMatches } from './jws/hmac.js';
import { type ClaimOptions, checkClaimOptions, claimsValidator } from './jwt/claims.js';
import { type KeySource, keysFor, resolveKeySource } from './keys/source.js';
import {
  createVerifiedTokenCache,
  type VerifiedCacheOptions,
  VerifiedTokenCache,
} from './lib/verified-cache.js';
import type { ProtectedHeader, VerifiedToken } from './types.js';

export { decodeToken } from './jws/compact.js';
export type { ClaimOptions } from './jwt/claims.js';
export type { KeySource } from './keys/source.js';
export type { VerifiedCacheOptions } from './lib/verified-cache.js';
export type { DecodedToken, ProtectedHeader, VerifiedToken } from './types.js';

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
  /** The accepted algorithms. */
  readonly algorithms: ReadonlySet<Algorithm>;
}

/**
 * Builds a verifier: options, key and key/algorithm pairs checked once, here (a `TypeError` for
 * anything wrong), then every token checked by `jose.jwtVerify`, or for HMAC by jose's rules with a
 * synchronous node:crypto signature check (see the module comment).
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
  return buildVerifier<P, Context>(options).verifier;
}

/** What {@link buildVerifier} hands the middleware besides the verifier. */
export interface BuiltVerifier<P, Context> {
  verifier: Verifier<P, Context>;
  /**
   * A synchronous look-up in the verified-token cache (`undefined` without a cache): a hit then
   * costs no promise, which is most of what a cached request costs.
   */
  lookup: ((token: string) => VerifiedToken<P> | undefined) | undefined;
  /**
   * The whole check without a promise, for HMAC with a fixed key (`undefined` otherwise): the
   * verified token, or the error `verify` would reject with.
   */
  verifySync: ((token: string) => VerifiedToken<P>) | undefined;
}

/** {@link createVerifier}'s verifier, and what the middleware alone uses. Not exported from the package. */
export function buildVerifier<P = JWTPayload, Context = unknown>(
  options: VerifierOptions<Context>,
): BuiltVerifier<P, Context> {
  if (typeof options !== 'object' || options === null)
    throw new TypeError('@coatcheck/jwt: options are required');
  const algorithms = parseAlgorithms(options.algorithms);
  const source = resolveKeySource(options.key, algorithms);
  const claims = checkClaimOptions(options);
  const joseOptions = { ...claims.jose, algorithms: [...algorithms] };
  if (source.kind === 'function' && options.cache !== undefined && options.cache !== false) {
    throw new TypeError(
      '@coatcheck/jwt: `cache` cannot be used with a `secret` function, whose key may depend on the request; use a JWKS or a fixed key',
    );
  }
  const cache = createVerifiedTokenCache(options.cache, claims.maxTokenAgeSeconds);
  // Algorithms never mix HMAC with public-key ones (parseAlgorithms), so one test decides the path.
  const hmac = isSymmetric([...algorithms][0]!);
  const validateClaims = hmac ? claimsValidator(claims) : undefined;
  const fixedHmac = hmac && source.kind === 'static';
  const crit = claims.jose.crit;

  /** The HMAC path, up to the key: the header, by jose's rules. */
  function hmacHeader(segments: readonly [string, string, string]): CheckedHeader {
    return checkHeader(decodeJsonSegment(segments[0], 'JWS Protected Header'), algorithms, crit);
  }

  /** The HMAC path, from the key on: signature, then `b64: false` refused, then jose's claims validation. */
  function hmacFinish(
    segments: readonly [string, string, string],
    { header, b64 }: CheckedHeader,
    key: KeyObject,
  ): VerifiedToken<P> {
    const signature = Buffer.from(segments[2], 'base64url');
    if (!hmacMatches(header.alg, key, `${segments[0]}.${segments[1]}`, signature))
      throw new errors.JWSSignatureVerificationFailed();
    if (!b64) throw new errors.JWTInvalid('JWTs MUST NOT use unencoded payload');
    return { header, payload: validateClaims!(header, segments[1]) as P };
  }

  function verified(result: { protectedHeader: unknown; payload: JWTPayload }): VerifiedToken<P> {
    return { header: result.protectedHeader as ProtectedHeader, payload: result.payload as P };
  }

  async function check(
    token: string,
    segments: [string, string, string],
    context: Context,
  ): Promise<VerifiedToken<P>> {
    if (hmac) {
      const checked = hmacHeader(segments);
      if (source.kind === 'static') return hmacFinish(segments, checked, source.key);
      // jose asks for the key only once the header has passed; so does this path.
      const [key] = await keysFor(source, checked.header, context, () => decodeToken(token));
      return hmacFinish(segments, checked, key!);
    }
    if (source.kind === 'static') return verified(await jwtVerify(token, source.key, joseOptions));
    // Keys beyond the first, when a JWKS has several candidates for a token without `kid`.
    let others: KeyObject[] = [];
    const first = async (header: { alg?: string }) => {
      const keys = await keysFor(source, header as ProtectedHeader, context, () => decodeToken(token));
      others = keys.slice(1);
      return keys[0]!;
    };
    try {
      return verified(await jwtVerify(token, first, joseOptions));
    } catch (error) {
      if (!(error instanceof errors.JWSSignatureVerificationFailed) || others.length === 0) throw error;
      for (const key of others) {
        try {
          return verified(await jwtVerify(token, key, joseOptions));
        } catch (next) {
          if (!(next instanceof errors.JWSSignatureVerificationFailed)) throw next;
        }
      }
      throw error;
    }
  }

  const keyOf = (token: string) =>
    cache !== undefined && typeof token === 'string' && token.length <= MAX_TOKEN_LENGTH
      ? VerifiedTokenCache.keyOf(token)
      : undefined;

  function lookup(token: string): VerifiedToken<P> | undefined {
    const cacheKey = keyOf(token);
    return cacheKey === undefined
      ? undefined
      : (cache!.get(cacheKey, Date.now()) as VerifiedToken<P> | undefined);
  }

  /** The token's segments in their one accepted spelling, or the refusal of another spelling. */
  function spelling(token: string): [string, string, string] {
    const segments = splitCompact(token);
    // A signature with non-zero padding bits decodes like the canonical one: a second spelling.
    if (!isCanonicalBase64url(segments[2])) throw new errors.JWSSignatureVerificationFailed();
    return segments;
  }

  function verifySync(token: string): VerifiedToken<P> {
    const cacheKey = keyOf(token);
    if (cacheKey !== undefined) {
      const hit = cache!.get(cacheKey, Date.now());
      if (hit !== undefined) return hit as VerifiedToken<P>;
    }
    const segments = spelling(token);
    const result = hmacFinish(segments, hmacHeader(segments), (source as { key: KeyObject }).key);
    if (cacheKey !== undefined) cache!.remember(cacheKey, result.header, result.payload as JWTPayload);
    return result;
  }

  async function verify(token: string, context?: Context): Promise<VerifiedToken<P>> {
    if (fixedHmac) return verifySync(token);
    const cacheKey = keyOf(token);
    if (cacheKey !== undefined) {
      const hit = cache!.get(cacheKey, Date.now());
      if (hit !== undefined) return hit as VerifiedToken<P>;
    }
    const result = await check(token, spelling(token), context as Context);
    if (cacheKey !== undefined) cache!.remember(cacheKey, result.header, result.payload as JWTPayload);
    return result;
  }

  return {
    verifier: { verify, algorithms },
    lookup: cache === undefined ? undefined : lookup,
    verifySync: fixedHmac ? verifySync : undefined,
  };
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
