import { createHash } from 'node:crypto';
import type { JWTPayload } from 'jose';
import type { ProtectedHeader } from '../types.js';

/** Options of the verified-token cache. */
export interface VerifiedCacheOptions {
  /** How many tokens to remember. Default 1000. */
  maxEntries?: number;
  /** Longest a token is remembered, in milliseconds (never past its `exp`). Default 60000. */
  maxAge?: number;
}

/**
 * The cache a verifier's `cache` option asks for, or `undefined` when it is off; a `TypeError` for
 * bad options. `maxTokenAgeSeconds` is the verifier's `maxTokenAge`, which bounds each entry too.
 */
export function createVerifiedTokenCache(
  option: boolean | VerifiedCacheOptions | undefined,
  maxTokenAgeSeconds: number | undefined,
): VerifiedTokenCache | undefined {
  if (option === undefined || option === false) return undefined;
  if (option !== true && (typeof option !== 'object' || option === null))
    throw new TypeError('@coatcheck/jwt: `cache` must be a boolean or { maxEntries, maxAge }');
  const { maxEntries = 1000, maxAge = 60_000 } = option === true ? {} : option;
  if (!Number.isInteger(maxEntries) || maxEntries < 1)
    throw new TypeError('@coatcheck/jwt: `cache.maxEntries` must be a positive integer');
  if (!Number.isFinite(maxAge) || maxAge <= 0)
    throw new TypeError('@coatcheck/jwt: `cache.maxAge` must be a positive number of milliseconds');
  return new VerifiedTokenCache(maxEntries, maxAge, maxTokenAgeSeconds);
}

interface Entry {
  readonly header: ProtectedHeader;
  /** The payload as JSON, parsed again on every hit so no request can change what the next one sees. */
  readonly payloadJson: string;
  readonly expiresAt: number;
}

/**
 * Tokens that verified recently, keyed by a SHA-256 of the whole token (so the token itself is not
 * kept, and a token that differs in any byte misses). Each entry expires no later than the token's
 * `exp` (and `iat + maxTokenAge`), so the cache can never accept a token the verifier would refuse
 * for its age.
 *
 * Eviction is first-in-first-out rather than least-recently-used: reordering the map on every hit
 * would cost more than the rare extra miss.
 */
export class VerifiedTokenCache {
  readonly #entries = new Map<string, Entry>();
  readonly #maxEntries: number;
  readonly #maxAgeMs: number;
  readonly #maxTokenAgeSeconds: number | undefined;

  constructor(maxEntries: number, maxAgeMs: number, maxTokenAgeSeconds?: number) {
    this.#maxEntries = maxEntries;
    this.#maxAgeMs = maxAgeMs;
    this.#maxTokenAgeSeconds = maxTokenAgeSeconds;
  }

  get size(): number {
    return this.#entries.size;
  }

  static keyOf(token: string): string {
    return createHash('sha256').update(token).digest('base64url');
  }

  get(key: string, now: number): { header: ProtectedHeader; payload: unknown } | undefined {
    const entry = this.#entries.get(key);
    if (entry === undefined) return undefined;
    if (entry.expiresAt <= now) {
      this.#entries.delete(key);
      return undefined;
    }
    return { header: entry.header, payload: JSON.parse(entry.payloadJson) };
  }

  /** Keeps a token that just verified, no longer than its `exp` or `iat + maxTokenAge` allow. */
  remember(key: string, header: ProtectedHeader, payload: JWTPayload, now = Date.now()): void {
    let notAfter = Number.POSITIVE_INFINITY;
    if (typeof payload.exp === 'number') notAfter = payload.exp * 1000;
    if (this.#maxTokenAgeSeconds !== undefined && typeof payload.iat === 'number')
      notAfter = Math.min(notAfter, (payload.iat + this.#maxTokenAgeSeconds) * 1000);
    this.set(key, header, payload, now, notAfter);
  }

  /** Keeps a verified token until `notAfter` (epoch ms) at the latest. */
  set(key: string, header: ProtectedHeader, payload: unknown, now: number, notAfter: number): void {
    const expiresAt = Math.min(notAfter, now + this.#maxAgeMs);
    if (expiresAt <= now) return;
    if (this.#entries.size >= this.#maxEntries && !this.#entries.has(key)) {
      const oldest = this.#entries.keys().next();
      if (!oldest.done) this.#entries.delete(oldest.value);
    }
    this.#entries.set(key, {
      header: Object.freeze({ ...header }),
      payloadJson: JSON.stringify(payload),
      expiresAt,
    });
  }

  clear(): void {
    this.#entries.clear();
  }
}
