/**
 * Base64 (RFC 4648 §4) and base64url (§5) without padding, and UTF-8, over `Uint8Array`: what
 * `Buffer` does for the `node:crypto` backend, for runtimes that have no `Buffer`.
 *
 * @module
 */

const STANDARD = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const URL_SAFE = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/** The 6-bit value of each character code of either alphabet; -1 for anything else. */
const VALUES = new Int8Array(128).fill(-1);
for (let i = 0; i < 64; i++) {
  VALUES[STANDARD.charCodeAt(i)] = i;
  VALUES[URL_SAFE.charCodeAt(i)] = i;
}

function encode(bytes: Uint8Array, alphabet: string): string {
  let out = '';
  const whole = bytes.length - (bytes.length % 3);
  for (let i = 0; i < whole; i += 3) {
    const n = ((bytes[i] as number) << 16) | ((bytes[i + 1] as number) << 8) | (bytes[i + 2] as number);
    out +=
      alphabet[n >>> 18] +
      (alphabet[(n >>> 12) & 63] as string) +
      (alphabet[(n >>> 6) & 63] as string) +
      (alphabet[n & 63] as string);
  }
  const rest = bytes.length - whole;
  if (rest === 1) {
    const n = (bytes[whole] as number) << 16;
    out += (alphabet[n >>> 18] as string) + (alphabet[(n >>> 12) & 63] as string);
  } else if (rest === 2) {
    const n = ((bytes[whole] as number) << 16) | ((bytes[whole + 1] as number) << 8);
    out +=
      (alphabet[n >>> 18] as string) +
      (alphabet[(n >>> 12) & 63] as string) +
      (alphabet[(n >>> 6) & 63] as string);
  }
  return out;
}

/** Standard base64 without `=` padding. */
export function base64(bytes: Uint8Array): string {
  return encode(bytes, STANDARD);
}

/** base64url without padding. */
export function base64url(bytes: Uint8Array): string {
  return encode(bytes, URL_SAFE);
}

/**
 * The bytes of base64 or base64url text, as `Buffer.from(text, 'base64url')` reads it: padding and
 * a last character's unused bits are ignored, so callers that need one spelling encode again and
 * compare. Stops at the first character of neither alphabet.
 */
export function fromBase64url(text: string): Uint8Array {
  let length = text.length;
  while (length > 0 && text.charCodeAt(length - 1) === 0x3d /* = */) length--;
  const out = new Uint8Array(Math.floor((length * 6) / 8));
  let bits = 0;
  let value = 0;
  let at = 0;
  for (let i = 0; i < length; i++) {
    const code = text.charCodeAt(i);
    const digit = code < 128 ? (VALUES[code] as number) : -1;
    if (digit < 0) return out.subarray(0, at);
    value = ((value << 6) | digit) & 0xffffff;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[at++] = (value >>> bits) & 0xff;
    }
  }
  return out.subarray(0, at);
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** The UTF-8 bytes of `text` (a lone surrogate becomes U+FFFD, as with `Buffer`). */
export function utf8(text: string): Uint8Array {
  return encoder.encode(text);
}

/** `bytes` read as UTF-8 (malformed sequences become U+FFFD, as with `Buffer`). */
export function fromUtf8(bytes: Uint8Array): string {
  return decoder.decode(bytes);
}

/** The length of `text` in UTF-8, without encoding it: `Buffer.byteLength(text)`. */
export function utf8Length(text: string): number {
  let length = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x80) length += 1;
    else if (code < 0x800) length += 2;
    else if (code >= 0xd800 && code <= 0xdbff && i + 1 < text.length) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        length += 4;
        i++;
      } else length += 3;
    } else length += 3;
  }
  return length;
}
