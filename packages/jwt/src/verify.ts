/**
 * Token verification is `jose.jwtVerify`: the protected header (`crit`, `b64`, `alg` allowed), the
 * signature and the claims set are jose's checks, with jose's errors. Around it, this module adds
 * only what jose does not do:
 *
 * 1. one accepted spelling per token (jws/compact.ts: jose decodes base64url forgivingly);
 * 2. the key: fixed and checked against every algorithm at construction, from a JWKS (jose's
 *    selection, each candidate tried when a token names no `kid`), or from the application
 *    (keys/source.ts), each key checked against the token's `alg` before jose sees it;
 * 3. an optional cache of verified tokens (lib/verified-cache.ts).
 *
 * test/verify-parity.test.ts holds the result: for random and hostile tokens of every algorithm,
 * headers, `crit`, claims and options, the verdict is jose's, or a refusal of a second spelling.
 *
 * @module
 */
import type { KeyObject } from 'node:crypto';
import { errors, type JWTPayload, jwtVerify } from 'jose';
import { type Algorithm, parseAlgorithms } from './algorithms.js';
import { decodeToken, isCanonicalBase64url, MAX_TOKEN_LENGTH, splitCompact } from './jws/compact.js';
import { type ClaimOptions, checkClaimOptions } from './jwt/claims.js';
import { joseKey, type KeySource, keysFor, resolveKeySource } from './keys/source.js';
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
 * Builds a verifier on `jose.jwtVerify`: options, key and key/algorithm pairs checked once, here
 * (a `TypeError` for anything wrong), then every token checked by jose.
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

/**
 * {@link createVerifier}'s verifier, and for the middleware alone a synchronous look-up in the
 * verified-token cache (`undefined` without a cache): a hit then costs no promise, which is most of
 * what a cached request costs. Not exported from the package.
 */
export function buildVerifier<P = JWTPayload, Context = unknown>(
  options: VerifierOptions<Context>,
): { verifier: Verifier<P, Context>; lookup: ((token: string) => VerifiedToken<P> | undefined) | undefined } {
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

  function verified(result: { protectedHeader: unknown; payload: JWTPayload }): VerifiedToken<P> {
    return { header: result.protectedHeader as ProtectedHeader, payload: result.payload as P };
  }

  async function check(token: string, context: Context): Promise<VerifiedToken<P>> {
    if (source.kind === 'static') {
      const key = source.key;
      const resolve = (header: { alg?: string }) => joseKey(key, header.alg as Algorithm);
      return verified(await jwtVerify(token, resolve, joseOptions));
    }
    // Keys beyond the first, when a JWKS has several candidates for a token without `kid`.
    let others: KeyObject[] = [];
    let alg: Algorithm | undefined;
    const first = async (header: { alg?: string }) => {
      alg = header.alg as Algorithm;
      const keys = await keysFor(source, header as ProtectedHeader, context, () => decodeToken(token));
      others = keys.slice(1);
      return joseKey(keys[0]!, alg);
    };
    try {
      return verified(await jwtVerify(token, first, joseOptions));
    } catch (error) {
      if (!(error instanceof errors.JWSSignatureVerificationFailed) || others.length === 0) throw error;
      for (const key of others) {
        try {
          return verified(await jwtVerify(token, await joseKey(key, alg!), joseOptions));
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

  async function verify(token: string, context?: Context): Promise<VerifiedToken<P>> {
    const cacheKey = keyOf(token);
    if (cacheKey !== undefined) {
      const hit = cache!.get(cacheKey, Date.now());
      if (hit !== undefined) return hit as VerifiedToken<P>;
    }
    const [, , signature] = splitCompact(token);
    // A signature with non-zero padding bits decodes like the canonical one: a second spelling.
    if (!isCanonicalBase64url(signature)) throw new errors.JWSSignatureVerificationFailed();
    const result = await check(token, context as Context);
    if (cacheKey !== undefined) cache!.remember(cacheKey, result.header, result.payload as JWTPayload);
    return result;
  }

  return { verifier: { verify, algorithms }, lookup: cache === undefined ? undefined : lookup };
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
