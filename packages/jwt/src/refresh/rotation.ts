import { createHash, randomBytes, randomUUID } from 'node:crypto';
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
  /** The opaque token: 43 base64url characters. Only its hash is stored. */
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

const TOKEN_SHAPE = /^[A-Za-z0-9_-]{43}$/;
const TOKEN_PREFIX = 'jwt-rt:';
const USED_PREFIX = 'jwt-ru:';
const FAMILY_PREFIX = 'jwt-rf:';

const hashOf = (token: string) => createHash('sha256').update(token).digest('base64url');

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
 * Each token is a random opaque string; the store keeps only its SHA-256. Three kinds of record,
 * all owned (`user`) by the family id:
 * - the family (`jwt-rf:<family>`): subject, data and the family's absolute expiry;
 * - each live token (`jwt-rt:<hash>`);
 * - each used token (`jwt-ru:<hash>`), so a later reuse is recognised as such.
 *
 * A token is spent by a `patch` that expires its record. `patch` is atomic and changes only a live
 * record, so of two concurrent uses exactly one patch succeeds: that one gets the next token, the
 * other is a reuse and revokes the family (and with it the winner's token, which needs the family),
 * unless it comes within `reuseGrace`, when it is only refused and the winner carries on.
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

  async function mint<D>(
    family: string,
    subject: string,
    data: D,
    familyExpires: number,
  ): Promise<IssuedRefreshToken<D>> {
    const token = randomBytes(32).toString('base64url');
    const at = now();
    const expires = Math.min(at + ttlMs, familyExpires);
    await store.write(TOKEN_PREFIX + hashOf(token), {
      data: {},
      expires,
      created: at,
      touched: at,
      user: family,
    });
    return { token, family, subject, data, expires };
  }

  async function familyOf(family: string): Promise<SessionRecord | undefined> {
    const record = await store.read(FAMILY_PREFIX + family);
    return record && typeof record.data.subject === 'string' ? record : undefined;
  }

  return {
    async issue(subject, data) {
      if (typeof subject !== 'string' || subject === '')
        throw new TypeError('@coatcheck/jwt: `subject` must be a non-empty string');
      const family = randomUUID();
      const at = now();
      const familyExpires = at + familyTtlMs;
      const payload = (data ?? {}) as NonNullable<typeof data>;
      await store.write(FAMILY_PREFIX + family, {
        data: { subject, data: payload },
        expires: familyExpires,
        created: at,
        touched: at,
        user: family,
      });
      return mint(family, subject, payload, familyExpires);
    },

    async rotate<D extends Record<string, unknown>>(token: string) {
      if (typeof token !== 'string' || !TOKEN_SHAPE.test(token)) throw invalid();
      const hash = hashOf(token);
      const live = await store.read(TOKEN_PREFIX + hash);
      if (live?.user === undefined) {
        const used = await store.read(USED_PREFIX + hash);
        if (used?.user === undefined) throw invalid();
        return secondUse(used.user, used.created);
      }
      const family = live.user;
      const familyRecord = await familyOf(family);
      if (familyRecord === undefined) throw invalid();
      const at = now();
      // The marker goes first: whoever finds the token spent below also finds the marker, so a
      // concurrent second use is always seen as reuse, never as an unknown token.
      await store.write(USED_PREFIX + hash, {
        data: {},
        expires: familyRecord.expires,
        created: at,
        touched: at,
        user: family,
      });
      const won = await patch(TOKEN_PREFIX + hash, {
        set: { spent: at },
        unset: [],
        expires: at - 1,
        touched: at,
      });
      if (!won) return secondUse(family, at);
      const { subject, data } = familyRecord.data as { subject: string; data: D };
      return mint(family, subject, data, familyRecord.expires);
    },

    async revoke(token) {
      if (typeof token !== 'string' || !TOKEN_SHAPE.test(token)) return;
      const hash = hashOf(token);
      const record = (await store.read(TOKEN_PREFIX + hash)) ?? (await store.read(USED_PREFIX + hash));
      if (record?.user !== undefined) await removeByUser(record.user);
    },

    revokeFamily(family) {
      return removeByUser(family);
    },
  };
}
