import { MAX_PENDING_CHALLENGES, type PendingChallenge } from './challenge.js';
import type { DevicePublicJwk } from './jwk.js';
import type { DeviceKeyAlgorithm } from './structured.js';

/**
 * The session data key the binding lives under. It is stored with the session on every store, and
 * never appears on `req.session`.
 */
export const BINDING_KEY = 'coatcheck.deviceBinding';

/** A session's device binding as stored: the pending challenges and, once registered, the key. */
export interface DeviceBinding {
  /** Challenges issued and not yet spent. */
  challenges: PendingChallenge[];
  /** Set at registration. */
  key?: BoundKey | undefined;
}

/** The key a session is bound to. */
export interface BoundKey {
  /** The DBSC session identifier the browser sends back in `Sec-Secure-Session-Id`. */
  id: string;
  alg: DeviceKeyAlgorithm;
  jwk: DevicePublicJwk;
  thumbprint: string;
  /** Epoch milliseconds of the registration. */
  since: number;
  /** Epoch milliseconds of the last refresh (or the registration). */
  refreshed: number;
}

function challengeOf(value: unknown): PendingChallenge | undefined {
  if (value === null || typeof value !== 'object') return undefined;
  const { value: text, purpose, expires, authorization } = value as Record<string, unknown>;
  if (typeof text !== 'string' || typeof expires !== 'number') return undefined;
  if (purpose !== 'registration' && purpose !== 'refresh') return undefined;
  if (authorization !== undefined && typeof authorization !== 'string') return undefined;
  return authorization === undefined
    ? { value: text, purpose, expires }
    : { value: text, purpose, expires, authorization };
}

function keyOf(value: unknown): BoundKey | undefined {
  if (value === null || typeof value !== 'object') return undefined;
  const { id, alg, jwk, thumbprint, since, refreshed } = value as Record<string, unknown>;
  if (typeof id !== 'string' || (alg !== 'ES256' && alg !== 'RS256')) return undefined;
  if (typeof since !== 'number' || typeof refreshed !== 'number' || typeof thumbprint !== 'string')
    return undefined;
  // Read on every request of a bound session: a shape check only. The key was checked and
  // thumbprinted at registration, and the store is trusted with the session itself.
  if (jwk === null || typeof jwk !== 'object') return undefined;
  return { id, alg, jwk: jwk as DevicePublicJwk, thumbprint, since, refreshed };
}

/**
 * A binding read from a store, checked for shape. Anything unreadable counts as no binding, except a
 * record that claims a key but whose key is unreadable: that stays bound to an unusable key, so a
 * damaged record fails closed rather than turning back into a bearer session.
 */
export function bindingOf(value: unknown): DeviceBinding | undefined {
  if (value === null || typeof value !== 'object') return undefined;
  const raw = value as Record<string, unknown>;
  const challenges = Array.isArray(raw.challenges)
    ? raw.challenges.map(challengeOf).filter((c): c is PendingChallenge => c !== undefined)
    : [];
  if (raw.key === undefined) return { challenges };
  return { challenges, key: keyOf(raw.key) ?? UNUSABLE_KEY };
}

/** Stands in for a stored key that cannot be read: no proof and no bound cookie ever match it. */
const UNUSABLE_KEY: BoundKey = Object.freeze({
  id: '',
  alg: 'ES256',
  jwk: Object.freeze({ kty: 'EC', crv: 'P-256', x: '', y: '' }),
  thumbprint: '',
  since: 0,
  refreshed: 0,
}) as BoundKey;

/** Adds a challenge, dropping expired ones and, past the cap, the oldest. */
export function withChallenge(
  binding: DeviceBinding,
  challenge: PendingChallenge,
  now: number,
): DeviceBinding {
  const live = binding.challenges.filter((c) => c.expires > now);
  live.push(challenge);
  return { ...binding, challenges: live.slice(-MAX_PENDING_CHALLENGES) };
}

/** Removes a challenge once it is spent; `undefined` when the session does not hold it (unknown or replayed). */
export function spend(
  binding: DeviceBinding,
  value: string,
): { binding: DeviceBinding; challenge: PendingChallenge } | undefined {
  const index = binding.challenges.findIndex((c) => c.value === value);
  if (index === -1) return undefined;
  const challenges = binding.challenges.slice();
  const [challenge] = challenges.splice(index, 1) as [PendingChallenge];
  return { binding: { ...binding, challenges }, challenge };
}
