import type { KeyObject } from 'node:crypto';
import { nodeOnly } from '#crypto';

// Device-bound sessions need node:crypto (public-key proofs); under Web Crypto they are refused
// at construction, before any of these is called.
const { createHmac, timingSafeEqual } = nodeOnly;

/** What a bound cookie's value says about the request. */
export type BoundCookieCheck = 'valid' | 'missing' | 'expired' | 'invalid';

// A value longer than this was not issued here; don't spend an HMAC on it.
const MAX_VALUE_LENGTH = 128;

/**
 * The short-lived cookie only the device's key can renew: its expiry and an HMAC over the session
 * ID, the key's thumbprint and that expiry. Checking it is one HMAC and no store round trip; a copy
 * works on another device only until it expires, and never for another session or key.
 *
 * @example
 * ```ts
 * const bound = new BoundCookies([key]);
 * const value = bound.value(sessionId, thumbprint, Date.now() + 600_000);
 * bound.check(value, sessionId, thumbprint, Date.now()); // 'valid'
 * ```
 */
export class BoundCookies {
  readonly #keys: readonly KeyObject[];
  readonly #allowance: number;

  /**
   * The first key signs; the others (older secrets) still verify. `allowance` (ms) keeps a value
   * good that long past its expiry, for a request the browser sent just before the cookie died.
   */
  constructor(keys: readonly KeyObject[], allowance = 0) {
    this.#keys = keys;
    this.#allowance = allowance;
  }

  #mac(key: KeyObject, sessionId: string, thumbprint: string, expiry: string): Buffer {
    return createHmac('sha256', key).update(`${expiry}|${thumbprint}|${sessionId}`).digest();
  }

  /** The cookie value for a session bound to the key `thumbprint`, good until `expires` (epoch ms). */
  value(sessionId: string, thumbprint: string, expires: number): string {
    const expiry = expires.toString(36);
    return `${expiry}.${this.#mac(this.#keys[0] as KeyObject, sessionId, thumbprint, expiry).toString('base64url')}`;
  }

  /** When a value says it expires (epoch ms), without checking it; `undefined` if it says nothing readable. */
  expiresOf(value: string | undefined): number | undefined {
    const dot = value?.indexOf('.') ?? -1;
    if (value === undefined || dot < 1 || dot > 12) return undefined;
    const expires = Number.parseInt(value.slice(0, dot), 36);
    return Number.isFinite(expires) ? expires : undefined;
  }

  /** Checks a value against the session and key it must belong to. */
  check(value: string | undefined, sessionId: string, thumbprint: string, now: number): BoundCookieCheck {
    if (value === undefined || value === '') return 'missing';
    if (value.length > MAX_VALUE_LENGTH) return 'invalid';
    const dot = value.indexOf('.');
    if (dot < 1 || dot > 12) return 'invalid';
    const expiry = value.slice(0, dot);
    if (!/^[0-9a-z]+$/.test(expiry)) return 'invalid';
    const given = Buffer.from(value.slice(dot + 1), 'base64url');
    if (given.length !== 32) return 'invalid';
    let authentic = false;
    for (const key of this.#keys) {
      if (timingSafeEqual(given, this.#mac(key, sessionId, thumbprint, expiry))) {
        authentic = true;
        break;
      }
    }
    if (!authentic) return 'invalid';
    return Number.parseInt(expiry, 36) + this.#allowance > now ? 'valid' : 'expired';
  }
}
