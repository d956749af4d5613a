import { createHash, randomBytes } from 'node:crypto';
import type { SessionRecord, SessionStore } from 'coatcheck';
import { UnauthorizedError } from '../errors.js';
import { toSeconds } from '../lib/duration.js';

/** Options of {@link refreshTokens}; durations in seconds or as `"30d"`. */
export interface RefreshTokenOptions {
  /**
   * Any coatcheck store with `patch` and `removeByUser`. A family's records share the family id as
   * their `user`, so revoking a family is one `removeByUser`.
   */
  store: SessionStore;
  /** Lifetime of each refresh token. Default `"14d"`. */
  ttl?: number | string;
  /** Lifetime of a whole family, counted from the first login; rotation never extends it. Default `"90d"`. */
  familyTtl?: number | string;
  /**
   * Milliseconds after a token was used during which presenting it again is refused *without*
   * revoking the family: a client that sent two refreshes at once keeps its session (one of them
   * wins), while a replay after the window still revokes. Default 0: every reuse revokes
   * (RFC 9700's advice). A few seconds suits apps that cannot serialize refreshes.
   */
  reuseGrace?: number;
}

/** A refresh token just issued. `token` goes to the client; the rest is for the application. */
export interface IssuedRefreshToken<D = Record<string, unknown>> {
  /** The opaque token: 64 base64url characters. Only its hash is stored. */
  token: string;
  /** The family (one login on one device) this token belongs to. */
  family: string;
  /** Whom the family was issued to. */
  subject: string;
  /** Application data given at login, returned on every rotation. */
  data: D;
  /** When this token stops working, epoch milliseconds. */
  expires: number;
}

/** Issues, rotates and revokes refresh tokens; see {@link refreshTokens}. */
export interface RefreshTokens {
  /** Starts a family for `subject` and returns its first token. */
  issue<D extends Record<string, unknown>>(subject: string, data?: D): Promise<IssuedRefreshToken<D>>;
  /**
   * Exchanges `token` for a new one of the same family. A token works once: presenting it again
   * (or two requests presenting it at the same time) revokes the whole family.
   */
  rotate<D extends Record<string, unknown> = Record<string, unknown>>(
    token: string,
  ): Promise<IssuedRefreshToken<D>>;
  /** Revokes the family of `token` (logout). Unknown tokens are ignored. */
  revoke(token: string): Promise<void>;
  /** Revokes a family by id; resolves how many records were removed. */
  revokeFamily(family: string): Promise<number>;
}

// A token is 48 random bytes in base64url: the first 18 are its family's key, shared by every
// token of the family, the other 30 its own (sizes that are whole base64 groups, so the two parts
// are plain string slices). The store keeps SHA-256 hashes only.
const TOKEN_SHAPE = /^[A-Za-z0-9_-]{64}$/;
const FAMILY_KEY_BYTES = 18;
const FAMILY_KEY_CHARS = 24;
const OWN_BYTES = 30;
const TOKEN_PREFIX = 'jwt-rt:';
const FAMILY_PREFIX = 'jwt-rf:';

const hashOf = (text: string) => createHash('sha256').update(text).digest('base64url');
/** The family id of a token: the hash of its family key, so the id (shown to the app) cannot forge one. */
const familyIdOf = (token: string) => hashOf(token.slice(0, FAMILY_KEY_CHARS));

/** What the family record holds besides the application's data. */
interface FamilyData {
  subject: string;
  data: Record<string, unknown>;
  /** Hash of the one token of the family that may be spent now. */
  current: string;
  /** When `current` stops working, epoch ms. */
  currentExpires: number;
  /** Hash of the token spent last, and when: a second use within `reuseGrace` is only refused. */
  previous?: string;
  rotatedAt?: number;
}

function familyDataOf(record: SessionRecord | undefined): FamilyData | undefined {
  const data = record?.data as Partial<FamilyData> | undefined;
  if (
    data === undefined ||
    typeof data.subject !== 'string' ||
    typeof data.current !== 'string' ||
    typeof data.currentExpires !== 'number'
  ) {
    return undefined;
  }
  return data as FamilyData;
}

function invalid(): UnauthorizedError {
  return new UnauthorizedError('invalid_token', {
    message: 'The refresh token is unknown, expired or revoked.',
  });
}

function raced(): UnauthorizedError {
  return new UnauthorizedError('invalid_token', {
    message: 'The refresh token was just used by another request.',
  });
}

function reused(): UnauthorizedError {
  return new UnauthorizedError('revoked_token', {
    message: 'The refresh token was already used; every token of its family has been revoked.',
  });
}

/**
 * Refresh tokens that rotate on every use, with reuse detection (RFC 9700 §4.14.2), kept in any
 * coatcheck store.
 *
 * Each token is a random opaque string whose first part is the key of its _family_ (one login on
 * one device); the store keeps only hashes. Two kinds of record, both owned (`user`) by the family
 * id, the hash of the family key:
 * - the family (`jwt-rf:<family>`): subject, data, the family's absolute expiry, and the hash of
 *   the one token that may be spent now;
 * - each live token (`jwt-rt:<hash>`), whose single successful `patch` spends it.
 *
 * Reuse is recognised from the family record alone: a token that carries the family's key but is
 * not its current token was issued once and spent since (or forged by someone holding a token of
 * the family, who could replay one anyway). The family record is read on every rotation, so a
 * bounded store that evicts its least recently used records keeps it while the family is in use,
 * and nothing needed for the decision lives in process memory, so it survives restarts with the
 * store. When the family record itself is gone, every token of the family is refused: fail closed.
 *
 * `patch` is atomic and changes only a live record, so of two concurrent uses exactly one spends
 * the token: that one gets the next token, the other is a reuse and revokes the family (and with it
 * the winner's new token), unless it comes within `reuseGrace`, when it is only refused.
 *
 * @example
 * ```ts
 * const refresh = refreshTokens({ store: new MemoryStore(), ttl: '14d' });
 * const first = await refresh.issue(user.id, { role: user.role });
 * // later, on POST /token/refresh:
 * const next = await refresh.rotate(req.cookies.refresh_token); // throws UnauthorizedError on reuse
 * ```
 */
export function refreshTokens(options: RefreshTokenOptions): RefreshTokens {
  if (typeof options !== 'object' || options === null)
    throw new TypeError('@coatcheck/jwt: refreshTokens needs options');
  const { store } = options;
  if (
    typeof store !== 'object' ||
    store === null ||
    typeof store.read !== 'function' ||
    typeof store.write !== 'function' ||
    typeof store.patch !== 'function' ||
    typeof store.removeByUser !== 'function'
  ) {
    throw new TypeError(
      '@coatcheck/jwt: refreshTokens needs a coatcheck store with `patch` and `removeByUser`',
    );
  }
  const patch = store.patch.bind(store);
  const removeByUser = store.removeByUser.bind(store);
  const ttlMs = toSeconds(options.ttl ?? '14d', 'ttl') * 1000;
  const familyTtlMs = toSeconds(options.familyTtl ?? '90d', 'familyTtl') * 1000;
  if (ttlMs <= 0 || familyTtlMs <= 0)
    throw new TypeError('@coatcheck/jwt: `ttl` and `familyTtl` must be positive');
  // The store judges expiry by the same clock, so there is no clock option to disagree with it.
  const now = Date.now;
  const reuseGrace = options.reuseGrace ?? 0;
  if (!Number.isFinite(reuseGrace) || reuseGrace < 0) {
    throw new TypeError('@coatcheck/jwt: `reuseGrace` must be a non-negative number of milliseconds');
  }

  /** A second use of a spent token: within the grace window a refusal, after it a revocation. */
  async function secondUse(family: string, usedAt: number): Promise<never> {
    if (now() - usedAt < reuseGrace) throw raced();
    await removeByUser(family);
    throw reused();
  }

  /** A new token of `family`, its live record written; the family record is not changed here. */
  async function mint(familyKey: string, family: string, familyExpires: number) {
    const token = familyKey + randomBytes(OWN_BYTES).toString('base64url');
    const at = now();
    const expires = Math.min(at + ttlMs, familyExpires);
    await store.write(TOKEN_PREFIX + hashOf(token), {
      data: {},
      expires,
      created: at,
      touched: at,
      user: family,
    });
    return { token, hash: hashOf(token), expires };
  }

  return {
    async issue(subject, data) {
      if (typeof subject !== 'string' || subject === '')
        throw new TypeError('@coatcheck/jwt: `subject` must be a non-empty string');
      const familyKey = randomBytes(FAMILY_KEY_BYTES).toString('base64url');
      const family = hashOf(familyKey);
      const at = now();
      const familyExpires = at + familyTtlMs;
      const payload = (data ?? {}) as NonNullable<typeof data>;
      const first = await mint(familyKey, family, familyExpires);
      const record: FamilyData = {
        subject,
        data: payload,
        current: first.hash,
        currentExpires: first.expires,
      };
      await store.write(FAMILY_PREFIX + family, {
        data: record as unknown as Record<string, unknown>,
        expires: familyExpires,
        created: at,
        touched: at,
        user: family,
      });
      return { token: first.token, family, subject, data: payload, expires: first.expires };
    },

    async rotate<D extends Record<string, unknown>>(token: string) {
      if (typeof token !== 'string' || !TOKEN_SHAPE.test(token)) throw invalid();
      const family = familyIdOf(token);
      const familyRecord = await store.read(FAMILY_PREFIX + family);
      const state = familyDataOf(familyRecord);
      if (familyRecord === undefined || state === undefined) throw invalid();
      const hash = hashOf(token);
      const at = now();
      if (hash !== state.current) {
        if (hash === state.previous && state.rotatedAt !== undefined)
          return secondUse(family, state.rotatedAt);
        // Carries the family's key, yet is not its current token: spent before, so copied.
        return secondUse(family, Number.NEGATIVE_INFINITY);
      }
      if (at >= state.currentExpires) throw invalid();
      const won = await patch(TOKEN_PREFIX + hash, {
        set: { spent: at },
        unset: [],
        expires: at - 1,
        touched: at,
      });
      // Spent by a concurrent request between our read and our patch (or its record was evicted).
      if (!won) return secondUse(family, at);
      const next = await mint(token.slice(0, FAMILY_KEY_CHARS), family, familyRecord.expires);
      const moved = await patch(FAMILY_PREFIX + family, {
        set: { current: next.hash, currentExpires: next.expires, previous: hash, rotatedAt: at },
        unset: [],
        expires: familyRecord.expires,
        touched: at,
      });
      // Revoked (logout, reuse elsewhere) while we rotated: the logout wins.
      if (!moved) {
        await store.remove(TOKEN_PREFIX + next.hash);
        throw invalid();
      }
      return {
        token: next.token,
        family,
        subject: state.subject,
        data: state.data as D,
        expires: next.expires,
      };
    },

    async revoke(token) {
      if (typeof token !== 'string' || !TOKEN_SHAPE.test(token)) return;
      // Any token of the family, spent ones included, logs the family out.
      await removeByUser(familyIdOf(token));
    },

    revokeFamily(family) {
      return removeByUser(family);
    },
  };
}
