/**
 * keygrip's cookie signatures, the format of cookie-session and the `cookies` package: `name.sig`
 * holds an HMAC (SHA-1 unless configured otherwise) of `name=value` under the raw key, in base64url
 * without padding; the first key signs, any verifies. Read here only, so that sessions signed by
 * cookie-session can be taken over; coatcheck signs with {@link sign} and seals with `seal`.
 *
 * @module
 */
import { equalText, keygripMac } from '#crypto';

/** The digests keygrip is used with. */
export type KeygripAlgorithm = 'sha1' | 'sha256' | 'sha512';

/** What keygrip accepts as a key: the raw secret, used as the HMAC key as it is. */
export type KeygripKey = string | Buffer | Uint8Array;

/**
 * keygrip's signature of `data` under `key`.
 *
 * @example
 * ```ts
 * keygripSign('session=eyJ1c2VyIjoiYWRhIn0=', 'an old cookie-session key'); // 27 base64url characters
 * ```
 */
export function keygripSign(data: string, key: KeygripKey, algorithm: KeygripAlgorithm = 'sha1'): string {
  return keygripMac(algorithm, key, data);
}

/**
 * The index of the key in `keys` whose signature of `data` is `signature`, or `-1`; every key is
 * compared in constant time.
 *
 * @example
 * ```ts
 * keygripIndex(`session=${value}`, sig, [newKey, oldKey]); // 1: signed with the older key
 * ```
 */
export function keygripIndex(
  data: string,
  signature: string,
  keys: readonly KeygripKey[],
  algorithm: KeygripAlgorithm = 'sha1',
): number {
  for (let index = 0; index < keys.length; index++) {
    const expected = keygripSign(data, keys[index] as KeygripKey, algorithm);
    // The length of a digest is public (it depends on the algorithm only), so a length mismatch
    // says nothing about the key.
    if (equalText(signature, expected)) return index;
  }
  return -1;
}
