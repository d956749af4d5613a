/**
 * Every key coatcheck derives from a secret, in one place: HKDF-SHA256 (RFC 5869) over the secret,
 * with a salt naming the scheme and a label (HKDF's `info`) naming the one use, so no two uses ever
 * share a key and a MAC made for one can never pass as another.
 *
 * **Cookie signing is the exception, on purpose.** A signed cookie (the session ID cookie, and
 * `s:` cookies from `cookies()`) is HMAC-SHA256 keyed with the raw secret, exactly as
 * cookie-signature computes it, so that cookies signed by express-session or cookie-parser verify
 * here and the other way round (see `cookies/sign.ts`). Deriving that key would log every user of an
 * express-session app out on migration.
 * Likewise cookie-session's keygrip signatures (`cookies/keygrip.ts`), only ever verified, to take
 * over sessions cookie-session signed, use its raw keys.
 *
 * | key                      | derived from                       | label                        | rotation (secrets `[new, old]`)                                            |
 * | ------------------------ | ---------------------------------- | ---------------------------- | -------------------------------------------------------------------------- |
 * | cookie signature         | each secret, raw                   | none (cookie-signature)      | signs with the first, verifies with any; `renew` re-signs with the first    |
 * | seal (`sealingKeys`)     | each secret, salt `coatcheck seal v1` | `key:<purpose>`, `id:<purpose>` | seals with the first; the key ID in the seal picks the key that opens it |
 * | session handle           | each secret, salt `coatcheck keys v1` | `session handle`             | made with the first; {@link HandleKeys.matches} accepts any listed secret's |
 * | device-bound challenge   | each secret, salt `coatcheck keys v1` | `device-bound challenge`     | issued with the first, checked with any                                     |
 * | device-bound cookie      | each secret, salt `coatcheck keys v1` | `device-bound cookie`        | made with the first, checked with any                                       |
 * | CSRF token secret        | the session's own random secret (HKDF-Expand only) | `coatcheck csrf token:<session ID>` | not keyed by the server secrets: unaffected by their rotation               |
 *
 * So rotating secrets (put the new one first, keep the old one listed until the cookies and handles
 * made under it have aged out) logs nobody out, keeps every handle revocable and every sealed cookie,
 * challenge and CSRF token valid. Handles shown from then on are the new secret's: compare a handle
 * with {@link HandleKeys.matches} (`sessions.isHandleOf(id, handle)`), never with `===`.
 *
 * **Previous derivations.** Before this module, handles, device-bound MACs and CSRF token secrets
 * were keyed with a plain HMAC of the secret and a label. Those derivations are kept in
 * {@link previous} and accepted on input (never used to make anything new), so that after an upgrade
 * an old handle still revokes its session, a bound cookie still admits its device and a token in an
 * open form still submits. Sealed cookies were already derived with HKDF and are unchanged.
 *
 * @module
 */
import type { KeyObject } from 'node:crypto';
import { aesKey, base64url, equalText, hkdf as hkdfBytes, hmac, hmacBase64url, hmacKey, utf8 } from '#crypto';

/** Salt of every derivation but sealing's, which keeps the salt it was introduced with. */
const KEYS_SALT = utf8('coatcheck keys v1');
/** Salt of sealing keys and key IDs (unchanged, so cookies sealed before keep opening). */
const SEAL_SALT = utf8('coatcheck seal v1');

/** The labels of the derivations keyed by the session secrets. */
export type KeyLabel = 'session handle' | 'device-bound challenge' | 'device-bound cookie';

/** The 256-bit key for one use of one secret. */
export function deriveKey(secret: KeyObject | Uint8Array, label: KeyLabel): KeyObject {
  return hmacKey(hkdfBytes(secret, KEYS_SALT, label, 32));
}

/** The same key for each of the secrets, in their order: the first makes, every one checks. */
export function deriveKeys(secrets: readonly KeyObject[], label: KeyLabel): KeyObject[] {
  return secrets.map((secret) => deriveKey(secret, label));
}

/** A sealing key and its 8-character ID (which the seal carries, so unsealing picks the right key). */
export function deriveSealingKey(secret: Uint8Array, purpose: string): { id: string; key: KeyObject } {
  return {
    id: base64url(hkdfBytes(secret, SEAL_SALT, `id:${purpose}`, 6)),
    key: aesKey(hkdfBytes(secret, SEAL_SALT, `key:${purpose}`, 32)),
  };
}

/**
 * HKDF-Expand (RFC 5869 §2.3) for one 32-byte block: `HMAC(prk, info ‖ 0x01)`. For a key that is
 * already uniformly random, RFC 5869 §3.3 lets the extract step go; this is what runs per request,
 * where `hkdfSync` costs about eight times one HMAC.
 */
export function hkdfExpand32(prk: Uint8Array, info: string): Uint8Array {
  // One update, the counter byte 0x01 as U+0001 (one byte in UTF-8): measurably cheaper than two.
  return hmac(prk, `${info}\u0001`);
}

/**
 * The secret CSRF tokens are masked from, for one session ID: HKDF-Expand of the session's own
 * random CSRF secret (32 bytes from the CSPRNG, so no extract step), so tokens die with the ID.
 * Returned base64url, the form of the secret.
 */
export function csrfContextSecret(sessionSecret: Uint8Array, sessionId: string): string {
  return hmacBase64url(sessionSecret, `coatcheck csrf token:${sessionId}\u0001`);
}

/**
 * The derivations used before this module, accepted on input only (see the module's note). Each
 * is an HMAC-SHA256 of the label under the secret.
 */
export const previous = {
  /** `HMAC(secret, 'coatcheck session handle')`. */
  handleKey(secret: KeyObject): KeyObject {
    return hmacKey(hmac(secret, 'coatcheck session handle'));
  },
  /** `HMAC(secret, 'coatcheck device-bound challenge' | 'coatcheck device-bound cookie')`. */
  deviceBoundKey(secret: KeyObject, use: 'challenge' | 'cookie'): KeyObject {
    return hmacKey(hmac(secret, `coatcheck device-bound ${use}`));
  },
  /** `HMAC(sessionSecret, 'coatcheck csrf token, session ' + id)`, base64url. */
  csrfContextSecret(sessionSecret: Uint8Array, sessionId: string): string {
    // One update of the two parts joined: the same HMAC as two updates.
    return hmacBase64url(sessionSecret, `coatcheck csrf token, session ${sessionId}`);
  },
};

/** 22 base64url characters: 132 bits of the HMAC, shown as the handle. */
const HANDLE_CHARS = 22;

function handleUnder(key: KeyObject, id: string): string {
  return hmacBase64url(key, id).slice(0, HANDLE_CHARS);
}

/**
 * Session handles: a keyed hash of the session ID, safe to log and to show, from which the ID
 * cannot be recovered. Made under the first secret; recognised under every listed secret, and under
 * the previous derivation of each, so a handle stays good across a rotation and an upgrade for as
 * long as the secret it was made under is listed.
 *
 * @example
 * ```ts
 * const handles = new HandleKeys(signingKeys([newSecret, oldSecret]));
 * const handle = handles.of(sessionId);
 * handles.matches(sessionId, handleMadeBeforeTheRotation); // true while oldSecret is listed
 * ```
 */
export class HandleKeys {
  readonly #current: KeyObject;
  readonly #accepted: readonly KeyObject[];

  constructor(secrets: readonly KeyObject[]) {
    if (secrets.length === 0) throw new TypeError('HandleKeys needs at least one secret');
    const derived = deriveKeys(secrets, 'session handle');
    this.#current = derived[0] as KeyObject;
    this.#accepted = [...derived, ...secrets.map((secret) => previous.handleKey(secret))];
  }

  /** The handle of a session ID, under the first secret. */
  of(id: string): string {
    return handleUnder(this.#current, id);
  }

  /** Whether `handle` is the handle of `id` under any listed secret or its previous derivation. */
  matches(id: string, handle: string): boolean {
    if (typeof handle !== 'string') return false;
    if (handle.length !== HANDLE_CHARS) return false;
    let found = false;
    // Every candidate is compared, so the time does not tell which secret made the handle.
    for (const key of this.#accepted) {
      if (equalText(handle, handleUnder(key, id))) found = true;
    }
    return found;
  }
}
