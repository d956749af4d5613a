/**
 * The compact serialization of a JWS (RFC 7515 §7.1), read strictly: each token has one accepted
 * spelling. jose decodes base64url forgivingly (padding, stray trailing bits), so the same token can
 * be written several ways; those spellings are refused here before anything else, and everything
 * after this step is jose's rule for the one spelling left (test/verify-parity.test.ts).
 *
 * @module
 */
import { errors, type JWTPayload } from 'jose';
import type { DecodedToken } from '../types.js';

// Three base64url segments; the header is never empty. An empty payload or signature is let through
// so that jose's checks, in jose's order, refuse it with jose's error.
const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*$/;
/** Larger than any header a Node.js server accepts (16 KiB in total), so only hostile input hits it. */
export const MAX_TOKEN_LENGTH = 16_384;
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * True when `segment` (already known to use the base64url alphabet) is the canonical unpadded
 * encoding of its bytes: a length that is not 1 modulo 4, and zero bits after the last byte.
 */
export function isCanonicalBase64url(segment: string): boolean {
  const rest = segment.length % 4;
  if (rest === 0) return true;
  if (rest === 1) return false;
  const last = ALPHABET.indexOf(segment.charAt(segment.length - 1));
  return (last & (rest === 2 ? 0b1111 : 0b11)) === 0;
}

/** The three segments of a compact JWS in its one accepted spelling; jose's `JWSInvalid` otherwise. */
export function splitCompact(token: unknown): [header: string, payload: string, signature: string] {
  if (typeof token !== 'string') throw new errors.JWSInvalid('Compact JWS must be a string');
  if (token.length > MAX_TOKEN_LENGTH || !COMPACT_JWS.test(token))
    throw new errors.JWSInvalid('Invalid Compact JWS');
  const segments = token.split('.') as [string, string, string];
  if (!isCanonicalBase64url(segments[0]) || !isCanonicalBase64url(segments[1]))
    throw new errors.JWSInvalid('Invalid Compact JWS');
  return segments;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** A segment as a JSON object (jose's rule for headers: strict UTF-8, then JSON, then an object). */
export function decodeJsonSegment(segment: string, what: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(strictUtf8.decode(Buffer.from(segment, 'base64url')));
  } catch (cause) {
    throw new errors.JWSInvalid(`${what} is invalid`, { cause });
  }
  if (!isPlainObject(parsed)) throw new errors.JWSInvalid(`${what} is invalid`);
  return parsed;
}

/**
 * Splits a compact JWS and decodes its header and payload without verifying anything.
 * Throws jose's `JWSInvalid` for anything that is not a well-formed compact JWS.
 *
 * @example
 * ```ts
 * const { header, payload } = decodeToken(token); // untrusted until verified
 * ```
 */
export function decodeToken<P = JWTPayload>(token: string): DecodedToken<P> {
  const segments = splitCompact(token);
  return {
    header: decodeJsonSegment(segments[0], 'JWS Protected Header'),
    payload: decodeJsonSegment(segments[1], 'JWT Claims Set') as P,
    signature: segments[2],
  };
}
