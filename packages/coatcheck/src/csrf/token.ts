import { base64url, equalBytes, fromBase64url, randomBase64url, randomBytes } from '#crypto';
import { csrfContextSecret, previous } from '../keys.js';

const SECRET_BYTES = 32;
const BASE64URL = /^[A-Za-z0-9_-]+$/;
/**
 * A masked token is the pad and the masked secret, 64 bytes: 86 base64url characters, the last of
 * which carries 2 bits and 4 zero bits. Only that canonical form is accepted, so one token has one
 * spelling.
 */
const TOKEN = /^[A-Za-z0-9_-]{85}[AQgw]$/;

/**
 * A new per-session CSRF secret: 32 random bytes, base64url. Kept in the session, never sent as is.
 *
 * @example
 * ```ts
 * req.session.csrfSecret ??= createCsrfSecret();
 * ```
 */
export function createCsrfSecret(): string {
  return randomBase64url(SECRET_BYTES);
}

function secretBytes(secret: string): Uint8Array | null {
  if (typeof secret !== 'string' || !BASE64URL.test(secret)) return null;
  const bytes = fromBase64url(secret);
  return bytes.length === SECRET_BYTES ? bytes : null;
}

/**
 * A secret derived from `secret` for one `context` (the session ID), in the same form: tokens made
 * from it verify only in that context (the derivation is in keys.ts). A malformed secret is
 * returned as it is, so it stays refused.
 */
export function bindCsrfSecret(secret: string, context: string): string {
  const bytes = secretBytes(secret);
  return bytes === null ? secret : csrfContextSecret(bytes, context);
}

/**
 * The same binding as derived before keys.ts, accepted when verifying so that a token in a form
 * opened before an upgrade still submits; never used to make a token.
 */
export function previousCsrfBinding(secret: string, context: string): string | undefined {
  const bytes = secretBytes(secret);
  return bytes === null ? undefined : previous.csrfContextSecret(bytes, context);
}

/**
 * A token for forms and headers: the secret XOR a fresh random pad, behind the pad. Every call gives
 * a different string for the same secret, so a compressed response that reflects attacker input
 * does not leak the token byte by byte (BREACH).
 *
 * @example
 * ```ts
 * res.render('form', { csrfToken: createCsrfToken(req.session.csrfSecret) });
 * ```
 */
export function createCsrfToken(secret: string): string {
  const bytes = secretBytes(secret);
  if (bytes === null) throw new TypeError('createCsrfToken: the secret is not one made by createCsrfSecret');
  const token = randomBytes(2 * SECRET_BYTES);
  // The first half is the pad; the second, the secret masked with it.
  for (let i = 0; i < SECRET_BYTES; i++)
    token[SECRET_BYTES + i] = (bytes[i] as number) ^ (token[i] as number);
  return base64url(token);
}

/**
 * Whether `token` is a masked form of `secret`, compared in constant time. Never throws: a missing,
 * malformed or foreign token is `false`.
 *
 * @example
 * ```ts
 * if (!verifyCsrfToken(req.get('x-csrf-token'), req.session.csrfSecret)) throw new CsrfError('token-invalid');
 * ```
 */
export function verifyCsrfToken(token: unknown, secret: string): boolean {
  const expected = secretBytes(secret);
  if (expected === null) return false;
  if (typeof token !== 'string' || !TOKEN.test(token)) return false;
  const bytes = fromBase64url(token);
  const unmasked = new Uint8Array(SECRET_BYTES);
  for (let i = 0; i < SECRET_BYTES; i++) {
    unmasked[i] = (bytes[i] as number) ^ (bytes[SECRET_BYTES + i] as number);
  }
  return equalBytes(unmasked, expected);
}
