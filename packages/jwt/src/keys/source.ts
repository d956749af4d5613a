/**
 * Where the verification key of a token comes from: one fixed key, a JWKS (jose's key selection),
 * or an application function of the request and the decoded token, as express-jwt takes it. Every
 * key is checked against the token's algorithm before it is used.
 *
 * @module
 */
import type { KeyObject } from 'node:crypto';
import { errors } from 'jose';
import { type Algorithm, isSymmetric, keyMismatch } from '../algorithms.js';
import type { DecodedToken, ProtectedHeader } from '../types.js';
import { isJwksKeySet, type JwksKeySet, remoteJwks } from './jwks.js';
import { type KeyInput, KeyObjectCache, toKeyObject } from './key-input.js';

/**
 * Where the verification key comes from: one key, a JWKS (local, or remote by {@link remoteJwks} or a
 * `URL`), or a function of the request context and the decoded (unverified) token, as in express-jwt.
 * A function that answers no key refuses the token.
 */
export type KeySource<Context = unknown> =
  | KeyInput
  | JwksKeySet
  | URL
  | ((context: Context, token: DecodedToken) => KeyInput | undefined | Promise<KeyInput | undefined>);

/** A key source ready for use: a fixed key is converted and checked once, at construction. */
export type ResolvedKeySource<Context> =
  | { kind: 'static'; key: KeyObject }
  | { kind: 'jwks'; set: JwksKeySet; keys: KeyObjectCache }
  | {
      kind: 'function';
      get: (context: Context, token: DecodedToken) => KeyInput | undefined | Promise<KeyInput | undefined>;
      keys: KeyObjectCache;
    };

/** Checks `source` against `algorithms`; a `TypeError` for a key that cannot verify one of them. */
export function resolveKeySource<Context>(
  source: KeySource<Context>,
  algorithms: ReadonlySet<Algorithm>,
): ResolvedKeySource<Context> {
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

function usable(alg: Algorithm, key: KeyObject): KeyObject {
  const mismatch = keyMismatch(alg, key, 'verify');
  if (mismatch) throw new errors.JOSEAlgNotAllowed(`the key does not fit the token's algorithm: ${mismatch}`);
  return key;
}

/**
 * The keys to try for a token with this header: one, or several when a JWKS has more than one
 * candidate for a token without `kid`. jose's errors when there is none that fits.
 */
export async function keysFor<Context>(
  source: Exclude<ResolvedKeySource<Context>, { kind: 'static' }>,
  header: ProtectedHeader,
  context: Context,
  decoded: () => DecodedToken,
): Promise<KeyObject[]> {
  if (source.kind === 'function') {
    const input = await source.get(context, decoded());
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
