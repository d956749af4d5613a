import type { KeyObject } from 'node:crypto';
import { nodeOnly } from '#crypto';

// Device-bound sessions need node:crypto (public-key proofs); under Web Crypto they are refused
// at construction, before any of these is called.
const { createHmac, randomBytes, timingSafeEqual } = nodeOnly;

/** What a challenge is for: it cannot be spent on the other endpoint. */
export type ChallengePurpose = 'registration' | 'refresh';

/** A challenge the session keeps until it is spent or expires. */
export interface PendingChallenge {
  value: string;
  purpose: ChallengePurpose;
  /** Epoch milliseconds. */
  expires: number;
  /** The value the proof must echo, for a registration that asked for one. */
  authorization?: string | undefined;
}

const MAC_BYTES = 16;

/** How many unspent challenges a session keeps; the oldest goes first. */
export const MAX_PENDING_CHALLENGES = 4;

/**
 * Challenges: 128 random bits, their expiry and a MAC over both, the purpose and the session ID.
 * The MAC refuses a challenge issued for another session, purpose or lifetime before the session's
 * own list is consulted; the list (kept in the session record) makes each one single-use.
 *
 * @example
 * ```ts
 * const challenges = new Challenges(key);
 * const c = challenges.issue('refresh', sessionId, Date.now() + 300_000);
 * challenges.check(c, 'refresh', sessionId, Date.now()); // 'valid'
 * ```
 */
export class Challenges {
  readonly #keys: readonly KeyObject[];

  /** One key, or several for rotation: the first issues, every one checks. */
  constructor(keys: KeyObject | readonly KeyObject[]) {
    this.#keys = Array.isArray(keys) ? keys : [keys as KeyObject];
    if (this.#keys.length === 0) throw new TypeError('Challenges needs at least one key');
  }

  #mac(key: KeyObject, purpose: ChallengePurpose, sessionId: string, nonce: string, expires: string): Buffer {
    return createHmac('sha256', key)
      .update(`${purpose}|${nonce}|${expires}|${sessionId}`)
      .digest()
      .subarray(0, MAC_BYTES);
  }

  /** A fresh challenge: `nonce.expiry.mac`, base64url and base36, safe in an sf-string. */
  issue(purpose: ChallengePurpose, sessionId: string, expires: number): string {
    const nonce = randomBytes(16).toString('base64url');
    const expiry = expires.toString(36);
    const mac = this.#mac(this.#keys[0] as KeyObject, purpose, sessionId, nonce, expiry);
    return `${nonce}.${expiry}.${mac.toString('base64url')}`;
  }

  /** Whether `value` is a challenge this server issued for this purpose and session, and still in date. */
  check(
    value: string,
    purpose: ChallengePurpose,
    sessionId: string,
    now: number,
  ): 'valid' | 'expired' | 'forged' {
    const parts = value.split('.');
    if (parts.length !== 3) return 'forged';
    const [nonce, expiry, mac] = parts as [string, string, string];
    if (!/^[0-9a-z]{1,12}$/.test(expiry)) return 'forged';
    const given = Buffer.from(mac, 'base64url');
    if (given.length !== MAC_BYTES) return 'forged';
    let authentic = false;
    for (const key of this.#keys) {
      if (timingSafeEqual(given, this.#mac(key, purpose, sessionId, nonce, expiry))) authentic = true;
    }
    if (!authentic) return 'forged';
    return Number.parseInt(expiry, 36) > now ? 'valid' : 'expired';
  }
}
