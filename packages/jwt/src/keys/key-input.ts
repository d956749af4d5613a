import { createPrivateKey, createPublicKey, createSecretKey, KeyObject, type webcrypto } from 'node:crypto';
import type { JWK } from 'jose';

/**
 * A key given in any of the forms Node.js users hold one: an HMAC secret (string or bytes), a PEM
 * key or certificate (string or bytes), a JWK, a Node.js `KeyObject` or a WebCrypto
 * `CryptoKey`. Whether a string or bytes are a secret or a PEM is decided by the algorithms,
 * which never mix the two kinds.
 */
export type KeyInput = string | Uint8Array | KeyObject | CryptoKey | JWK;

/** WebCrypto's key type, named without the DOM library. */
export type CryptoKey = webcrypto.CryptoKey;

const PEM_MARKER = '-----BEGIN';
const CryptoKeyClass = (globalThis as { CryptoKey?: abstract new () => CryptoKey }).CryptoKey;

function isCryptoKey(value: unknown): value is CryptoKey {
  return CryptoKeyClass !== undefined && value instanceof CryptoKeyClass;
}

function isJwk(value: unknown): value is JWK {
  return typeof value === 'object' && value !== null && typeof (value as JWK).kty === 'string';
}

function looksLikePem(input: string | Uint8Array): boolean {
  const text = typeof input === 'string' ? input : Buffer.from(input).toString('latin1');
  return text.includes(PEM_MARKER);
}

/**
 * Turns `input` into the `KeyObject` node:crypto verifies or signs with, synchronously, so bad keys
 * are reported as a `TypeError` when the middleware is built. It checks the key's kind (secret or
 * public/private); {@link keyMismatch} then checks it against each algorithm.
 *
 * An HMAC secret that is a PEM key is refused: a public key used as an HMAC secret is the
 * confusion behind CVE-2022-23541 (the "HS256 signed with the RSA public key" attack).
 */
export function toKeyObject(input: unknown, symmetric: boolean, use: 'verify' | 'sign'): KeyObject {
  if (input instanceof KeyObject) {
    if (!symmetric && use === 'verify' && input.type === 'private') return createPublicKey(input);
    return input;
  }
  if (isCryptoKey(input)) return toKeyObject(KeyObject.from(input), symmetric, use);
  if (typeof input === 'string' || input instanceof Uint8Array) {
    if (input.length === 0) throw new TypeError('@coatcheck/jwt: the key is empty');
    if (symmetric) {
      if (looksLikePem(input)) {
        throw new TypeError(
          '@coatcheck/jwt: an HMAC secret must not be a PEM key; use an RSA/EC algorithm for it',
        );
      }
      return createSecretKey(typeof input === 'string' ? Buffer.from(input, 'utf8') : Buffer.from(input));
    }
    const source = typeof input === 'string' ? input : Buffer.from(input);
    try {
      return use === 'verify' ? createPublicKey(source) : createPrivateKey(source);
    } catch (cause) {
      throw new TypeError(
        `@coatcheck/jwt: the key is not a ${use === 'verify' ? 'public' : 'private'} key in PEM form`,
        {
          cause,
        },
      );
    }
  }
  if (isJwk(input)) {
    if (symmetric) {
      if (input.kty !== 'oct' || typeof input.k !== 'string') {
        throw new TypeError('@coatcheck/jwt: an HMAC key given as a JWK must have kty "oct" and "k"');
      }
      return toKeyObject(Buffer.from(input.k, 'base64url'), true, use);
    }
    if (input.use !== undefined && input.use !== 'sig') {
      throw new TypeError('@coatcheck/jwt: the JWK is not for signatures ("use" is not "sig")');
    }
    try {
      const jwk = { key: input as Parameters<typeof createPublicKey>[0] & object, format: 'jwk' } as const;
      // A JWK with "d" is a private key; for verification only its public half is kept.
      if (use === 'sign') return createPrivateKey(jwk as never);
      return typeof input.d === 'string'
        ? createPublicKey(createPrivateKey(jwk as never))
        : createPublicKey(jwk as never);
    } catch (cause) {
      throw new TypeError('@coatcheck/jwt: the JWK could not be imported', { cause });
    }
  }
  throw new TypeError('@coatcheck/jwt: the key must be a string, bytes, a KeyObject, a CryptoKey or a JWK');
}

/**
 * Converts keys handed back per request (by a `secret` function or a JWKS) without importing the
 * same object twice. Strings cannot be WeakMap keys, so they get a small bounded map instead.
 */
export class KeyObjectCache {
  readonly #objects = new WeakMap<object, KeyObject>();
  readonly #strings = new Map<string, KeyObject>();
  readonly #symmetric: boolean;
  readonly #maxStrings: number;

  constructor(symmetric: boolean, maxStrings = 32) {
    this.#symmetric = symmetric;
    this.#maxStrings = maxStrings;
  }

  get(input: unknown): KeyObject {
    if (typeof input === 'string') {
      let key = this.#strings.get(input);
      if (key === undefined) {
        key = toKeyObject(input, this.#symmetric, 'verify');
        if (this.#strings.size >= this.#maxStrings) this.#strings.clear();
        this.#strings.set(input, key);
      }
      return key;
    }
    if (typeof input === 'object' && input !== null && !(input instanceof Uint8Array)) {
      let key = this.#objects.get(input);
      if (key === undefined) {
        key = toKeyObject(input, this.#symmetric, 'verify');
        this.#objects.set(input, key);
      }
      return key;
    }
    // Bytes can be mutated by their owner between calls, so they are never cached.
    return toKeyObject(input, this.#symmetric, 'verify');
  }
}
