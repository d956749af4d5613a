import { type Secret, type Secrets, secretLength } from '../cookies/sign.js';

/** The length under which a secret is too short to be a long random one: 32 bytes (256 bits). */
export const MIN_SECRET_BYTES = 32;

/**
 * The secrets shorter than {@link MIN_SECRET_BYTES}, named as in option messages (`secret`, or
 * `secret[2]` in an array), so a middleware warns about every one: an old secret kept for rotation
 * verifies cookies as well as the newest does, so a short one is as weak.
 */
export function shortSecrets(secrets: Secrets, option = 'secret'): string[] {
  const list: readonly Secret[] = Array.isArray(secrets) ? secrets : [secrets as Secret];
  const short: string[] = [];
  list.forEach((secret, index) => {
    const known = typeof secret === 'string' || secret instanceof Uint8Array;
    if (known && secretLength(secret) < MIN_SECRET_BYTES) {
      short.push(Array.isArray(secrets) ? `${option}[${index}]` : option);
    }
  });
  return short;
}
