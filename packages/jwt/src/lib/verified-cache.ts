import { createHash } from 'node:crypto';
import type { ProtectedHeader } from '../types.js';

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

  constructor(maxEntries: number, maxAgeMs: number) {
    this.#maxEntries = maxEntries;
    this.#maxAgeMs = maxAgeMs;
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
