import {
  createLocalJWKSet,
  createRemoteJWKSet,
  errors,
  type JSONWebKeySet,
  type JWSHeaderParameters,
} from 'jose';
import { KeySourceError } from '../errors.js';
import type { CryptoKey } from './key-input.js';

const JWKS_KEY_SET = Symbol.for('@coatcheck/jwt.jwks');

/** A JSON Web Key Set, local or remote, that picks the key for each token by its header. */
export interface JwksKeySet {
  readonly [JWKS_KEY_SET]: true;
  /** `remote` fetches from a URL, `local` holds the keys in memory. */
  readonly kind: 'remote' | 'local';
  /**
   * The keys for a token with this protected header, as jose selects them (`kid`, `alg`, `kty`,
   * `use`, `crv`): usually one; several when the token names no `kid` and the set holds more than
   * one candidate (at most {@link MAX_CANDIDATES}, each tried in turn).
   */
  getKeys(header: JWSHeaderParameters): Promise<CryptoKey[]>;
}

/** Bounds the signature checks one token without `kid` can cause. */
export const MAX_CANDIDATES = 5;

type JoseKeySet = (header: JWSHeaderParameters) => Promise<unknown>;

async function candidates(set: JoseKeySet, header: JWSHeaderParameters): Promise<CryptoKey[]> {
  try {
    return [(await set(header)) as CryptoKey];
  } catch (error) {
    if (!(error instanceof errors.JWKSMultipleMatchingKeys)) throw error;
    // jose hands the candidates out through the error's async iterator and leaves trying them to us.
    const keys: CryptoKey[] = [];
    for await (const key of error as unknown as AsyncIterable<CryptoKey>) {
      keys.push(key);
      if (keys.length === MAX_CANDIDATES) break;
    }
    return keys;
  }
}

/** Options of {@link remoteJwks}; every duration in milliseconds. */
export interface RemoteJwksOptions {
  /** How long one fetch may take before the request fails with a {@link KeySourceError}. Default 5000. */
  timeout?: number;
  /** After a refetch, how long an unknown `kid` is refused without fetching again. Default 30000. */
  cooldown?: number;
  /** How long a fetched key set is used before it is fetched again. Default 600000. */
  cacheMaxAge?: number;
  /** Extra request headers, e.g. an API key of the identity provider. */
  headers?: Record<string, string>;
}

export function isJwksKeySet(value: unknown): value is JwksKeySet {
  return typeof value === 'object' && value !== null && (value as JwksKeySet)[JWKS_KEY_SET] === true;
}

const TOKEN_ERRORS: ReadonlyArray<new (...args: never[]) => Error> = [
  errors.JWKSNoMatchingKey,
  errors.JWKSMultipleMatchingKeys,
  errors.JOSENotSupported,
  errors.JWKInvalid,
];

/**
 * A key set served at `url`, on jose's `createRemoteJWKSet`: fetched on first use, cached for
 * `cacheMaxAge`, refetched (at most once per `cooldown`) when a token names an unknown `kid`, and
 * every fetch bounded by `timeout`. Concurrent requests share one fetch.
 *
 * A token the key set cannot serve (no key with its `kid`) is a 401; an endpoint that is down, slow
 * or returns garbage is a {@link KeySourceError} (503): the client is not at fault.
 *
 * @example
 * ```ts
 * app.use(jwt({
 *   secret: remoteJwks('https://issuer.example/.well-known/jwks.json', { timeout: 2000 }),
 *   algorithms: ['RS256'],
 *   issuer: 'https://issuer.example/',
 *   audience: 'my-api',
 * }));
 * ```
 */
export function remoteJwks(url: string | URL, options: RemoteJwksOptions = {}): JwksKeySet {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch (cause) {
    throw new TypeError('@coatcheck/jwt: remoteJwks needs an absolute http(s) URL', { cause });
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') {
    throw new TypeError('@coatcheck/jwt: remoteJwks needs an http(s) URL');
  }
  for (const name of ['timeout', 'cooldown', 'cacheMaxAge'] as const) {
    const value = options[name];
    if (value !== undefined && (!Number.isInteger(value) || value < 0)) {
      throw new TypeError(
        `@coatcheck/jwt: remoteJwks \`${name}\` must be a non-negative integer of milliseconds`,
      );
    }
  }
  const set = createRemoteJWKSet(parsed, {
    timeoutDuration: options.timeout ?? 5000,
    cooldownDuration: options.cooldown ?? 30_000,
    cacheMaxAge: options.cacheMaxAge ?? 600_000,
    ...(options.headers ? { headers: options.headers } : {}),
  });
  // The origin is enough to tell which endpoint failed; a full URL may carry credentials.
  const where = parsed.origin;
  return {
    [JWKS_KEY_SET]: true,
    kind: 'remote',
    async getKeys(header) {
      try {
        return await candidates(set, header);
      } catch (error) {
        if (TOKEN_ERRORS.some((type) => error instanceof type)) throw error;
        const reason = error instanceof errors.JWKSTimeout ? 'timed out' : 'failed';
        throw new KeySourceError(`fetching the JSON Web Key Set from ${where} ${reason}`, { cause: error });
      }
    },
  };
}

/**
 * A key set held in memory, on jose's `createLocalJWKSet`: the key for each token is chosen by its
 * `kid`, `alg`, `kty`, `use` and `crv`, exactly as for a remote set.
 *
 * @example
 * ```ts
 * app.use(jwt({ secret: localJwks({ keys: [publicJwk] }), algorithms: ['ES256'] }));
 * ```
 */
export function localJwks(jwks: JSONWebKeySet): JwksKeySet {
  let set: ReturnType<typeof createLocalJWKSet>;
  try {
    set = createLocalJWKSet(jwks);
  } catch (cause) {
    throw new TypeError('@coatcheck/jwt: localJwks needs a JSON Web Key Set ({ keys: [...] })', { cause });
  }
  return {
    [JWKS_KEY_SET]: true,
    kind: 'local',
    getKeys(header) {
      return candidates(set, header);
    },
  };
}
