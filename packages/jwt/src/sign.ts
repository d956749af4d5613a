import { randomUUID } from 'node:crypto';
import { type JWTPayload, SignJWT } from 'jose';
import { type Algorithm, isSymmetric, keyMismatch, parseAlgorithms } from './algorithms.js';
import { canonicalSignature } from './jws/ecdsa.js';
import { type KeyInput, toKeyObject } from './keys/key-input.js';
import { toSeconds } from './lib/duration.js';

/** Options of {@link signToken}. Durations are seconds or strings such as `"15m"`. */
export interface SignOptions {
  /** The signing key: an HMAC secret, or a private key (PEM, JWK, `KeyObject`, `CryptoKey`). */
  key: KeyInput;
  /** The one algorithm to sign with. */
  algorithm: Algorithm;
  /** Lifetime from now; sets `exp`. Default `"15m"`; `false` issues a token that never expires. */
  expiresIn?: number | string | false;
  /** Delay before the token is valid; sets `nbf`. */
  notBefore?: number | string;
  /** Sets `iss`. */
  issuer?: string;
  /** Sets `aud`. */
  audience?: string | string[];
  /** Sets `sub`. */
  subject?: string;
  /** Sets `jti`; `true` generates a random UUID. */
  jwtId?: string | true;
  /** Sets the `kid` header, so a JWKS consumer can pick the key. */
  keyId?: string;
  /** Sets the `typ` header. Default `"JWT"`. */
  typ?: string;
  /** The issue time, for tests. Default now. */
  now?: Date;
}

/**
 * Signs `claims` into a compact JWT with jose's `SignJWT`. The key is checked against the algorithm
 * first, so an RSA key never signs an HS256 token and an HMAC secret never an RS256 one.
 *
 * @example
 * ```ts
 * const token = await signToken({ sub: user.id, admin: true }, {
 *   key: process.env.JWT_SECRET!, algorithm: 'HS256', expiresIn: '15m', issuer: 'my-app',
 * });
 * ```
 */
export async function signToken(claims: JWTPayload, options: SignOptions): Promise<string> {
  if (typeof options !== 'object' || options === null)
    throw new TypeError('@coatcheck/jwt: signToken needs options');
  const [alg] = parseAlgorithms(
    options.algorithm === undefined ? undefined : [options.algorithm],
    'algorithm',
  );
  const key = toKeyObject(options.key, isSymmetric(alg!), 'sign');
  const mismatch = keyMismatch(alg!, key, 'sign');
  if (mismatch) throw new TypeError(`@coatcheck/jwt: the key cannot sign ${alg}: ${mismatch}`);
  const now = Math.floor((options.now ?? new Date()).getTime() / 1000);
  const jwt = new SignJWT({ ...claims })
    .setProtectedHeader({
      alg: alg!,
      typ: options.typ ?? 'JWT',
      ...(options.keyId !== undefined ? { kid: options.keyId } : {}),
    })
    .setIssuedAt(now);
  const expiresIn = options.expiresIn ?? '15m';
  if (expiresIn !== false) jwt.setExpirationTime(now + toSeconds(expiresIn, 'expiresIn'));
  if (options.notBefore !== undefined) jwt.setNotBefore(now + toSeconds(options.notBefore, 'notBefore'));
  if (options.issuer !== undefined) jwt.setIssuer(options.issuer);
  if (options.audience !== undefined) jwt.setAudience(options.audience);
  if (options.subject !== undefined) jwt.setSubject(options.subject);
  if (options.jwtId !== undefined) jwt.setJti(options.jwtId === true ? randomUUID() : options.jwtId);
  const token = await jwt.sign(key);
  // jose leaves an ECDSA `s` as OpenSSL draws it; the low-`s` form is the one this package
  // identifies tokens by (see jws/ecdsa.ts), so that is the one issued.
  const dot = token.lastIndexOf('.');
  return `${token.slice(0, dot + 1)}${canonicalSignature(alg!, token.slice(dot + 1))}`;
}
