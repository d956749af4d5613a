import type { KeyObject } from 'node:crypto';

/**
 * The JWS algorithms coatcheck verifies and signs, as registered in RFC 7518 §3.1 and RFC 8037.
 * `none` is absent on purpose: it can never be listed, so it can never be accepted.
 */
export type Algorithm =
  | 'HS256'
  | 'HS384'
  | 'HS512'
  | 'RS256'
  | 'RS384'
  | 'RS512'
  | 'PS256'
  | 'PS384'
  | 'PS512'
  | 'ES256'
  | 'ES384'
  | 'ES512'
  | 'EdDSA'
  | 'Ed25519';

type Family = 'hmac' | 'rsa' | 'rsa-pss' | 'ecdsa' | 'eddsa';

/** What an algorithm needs from its key (the signature itself is jose's business). */
interface AlgorithmSpec {
  readonly family: Family;
  /** OpenSSL curve name an EC key must use. */
  readonly curve?: string;
}

const hmac: AlgorithmSpec = { family: 'hmac' };
const rsa: AlgorithmSpec = { family: 'rsa' };
const pss: AlgorithmSpec = { family: 'rsa-pss' };
const ecdsa = (curve: string): AlgorithmSpec => ({ family: 'ecdsa', curve });
const eddsa: AlgorithmSpec = { family: 'eddsa' };

const SPECS: Readonly<Record<Algorithm, AlgorithmSpec>> = Object.freeze({
  __proto__: null,
  HS256: hmac,
  HS384: hmac,
  HS512: hmac,
  RS256: rsa,
  RS384: rsa,
  RS512: rsa,
  PS256: pss,
  PS384: pss,
  PS512: pss,
  ES256: ecdsa('prime256v1'),
  ES384: ecdsa('secp384r1'),
  ES512: ecdsa('secp521r1'),
  EdDSA: eddsa,
  Ed25519: eddsa,
} as Record<Algorithm, AlgorithmSpec>);

/** RFC 7518 §3.3 and §3.5: RSA keys of fewer bits are refused (the same floor as jose). */
export const MIN_RSA_BITS = 2048;

/**
 * True when `alg` is one of the algorithms coatcheck supports. `none` is never one of them.
 *
 * @example
 * ```ts
 * const algorithms = (process.env.JWT_ALGS ?? 'RS256').split(',');
 * if (!algorithms.every(isAlgorithm)) throw new Error('unsupported JWT algorithm in JWT_ALGS');
 * ```
 */
export function isAlgorithm(alg: unknown): alg is Algorithm {
  return typeof alg === 'string' && Object.hasOwn(SPECS, alg);
}

export function isSymmetric(alg: Algorithm): boolean {
  return SPECS[alg].family === 'hmac';
}

/**
 * Checks the option `algorithms` and returns it as a set. Mixing HMAC with public-key algorithms on
 * one key source is what turns a public key into an HMAC secret (CVE-2022-23541 and friends), so it
 * is refused here rather than deep inside a request.
 */
export function parseAlgorithms(option: unknown, label = 'algorithms'): ReadonlySet<Algorithm> {
  if (option === undefined || option === null) {
    throw new TypeError(`@coatcheck/jwt: \`${label}\` is required, e.g. ['HS256'] or ['RS256']`);
  }
  if (!Array.isArray(option) || option.length === 0) {
    throw new TypeError(`@coatcheck/jwt: \`${label}\` must be a non-empty array of algorithm names`);
  }
  for (const alg of option) {
    if (typeof alg === 'string' && alg.toLowerCase() === 'none') {
      throw new TypeError(
        `@coatcheck/jwt: \`${label}\` must not contain "none": unsigned tokens are never accepted`,
      );
    }
    if (!isAlgorithm(alg))
      throw new TypeError(`@coatcheck/jwt: unsupported algorithm ${JSON.stringify(alg)}`);
  }
  const algorithms = new Set(option as Algorithm[]);
  const symmetric = [...algorithms].filter(isSymmetric).length;
  if (symmetric !== 0 && symmetric !== algorithms.size) {
    throw new TypeError(
      `@coatcheck/jwt: \`${label}\` mixes HMAC and public-key algorithms; use one key source per kind`,
    );
  }
  return algorithms;
}

/**
 * Why `key` cannot verify or sign with `alg`, or `undefined` when it can. Checked on every key,
 * including each key a JWKS hands back, so a key of one type can never be used under another
 * type's algorithm.
 */
export function keyMismatch(alg: Algorithm, key: KeyObject, use: 'verify' | 'sign'): string | undefined {
  const spec = SPECS[alg];
  if (spec.family === 'hmac') {
    if (key.type !== 'secret') return `${alg} needs a symmetric secret, not a ${key.type} key`;
    if ((key.symmetricKeySize ?? 0) === 0) return `${alg} needs a non-empty secret`;
    return undefined;
  }
  const wanted = use === 'verify' ? 'public' : 'private';
  if (key.type !== wanted) return `${alg} needs a ${wanted} key, not a ${key.type} key`;
  const type = key.asymmetricKeyType;
  switch (spec.family) {
    case 'rsa':
    case 'rsa-pss': {
      if (type !== 'rsa' && !(spec.family === 'rsa-pss' && type === 'rsa-pss')) {
        return `${alg} needs an RSA key, not ${type}`;
      }
      const bits = key.asymmetricKeyDetails?.modulusLength ?? 0;
      if (bits < MIN_RSA_BITS) return `${alg} needs an RSA key of at least ${MIN_RSA_BITS} bits`;
      return undefined;
    }
    case 'ecdsa':
      if (type !== 'ec') return `${alg} needs an EC key, not ${type}`;
      if (key.asymmetricKeyDetails?.namedCurve !== spec.curve)
        return `${alg} needs an EC key on ${spec.curve}`;
      return undefined;
    case 'eddsa':
      return type === 'ed25519' ? undefined : `${alg} needs an Ed25519 key, not ${type}`;
  }
}
