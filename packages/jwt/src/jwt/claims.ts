/**
 * The claim options of a verifier, checked once at construction and handed to `jose.jwtVerify`,
 * which validates the claims set itself (every rule, message, `claim` and `reason` is jose's).
 * Durations are given to jose in seconds: this package's grammar (`"15m"`, `"2 hours"`, `30`) is a
 * subset of jose's, except that a bare number in a string (`"30"`) means seconds here, where jose
 * would throw a `TypeError` while verifying.
 *
 * The HMAC path of verify.ts checks signatures itself and reaches jose's claims validation through
 * `UnsecuredJWT.decode`, the one synchronous entry to it (jwtVerify's `validateClaimsSet` is not
 * exported): the payload segment of a token whose signature verified, under an `alg: "none"` header
 * that carries the token's `typ` as it is (the only header field that validation reads). Every rule,
 * message, `claim` and `reason` is then jose's own, with no copy here to drift.
 *
 * @module
 */
import { type JWTPayload, type JWTVerifyOptions, UnsecuredJWT } from 'jose';
import { toSeconds } from '../lib/duration.js';

/** Claim checks, with the meaning and defaults of jose's `jwtVerify` (every duration in seconds or as `"5m"`). */
export interface ClaimOptions {
  /** Accept only tokens whose `aud` contains one of these. */
  audience?: string | readonly string[];
  /** Accept only tokens whose `iss` is one of these. */
  issuer?: string | readonly string[];
  /** Accept only tokens with this `sub`. */
  subject?: string;
  /** Leeway for `exp`, `nbf` and `iat` checks. */
  clockTolerance?: number | string;
  /** Refuse tokens whose `iat` is older than this (and tokens without `iat`). */
  maxTokenAge?: number | string;
  /** Claims that must be present. */
  requiredClaims?: readonly string[];
  /** Expected `typ` header, e.g. `"at+jwt"`; compared as media types, like jose. */
  typ?: string;
  /** Extension header names (listed in `crit`) the application understands. */
  crit?: Readonly<Record<string, boolean>>;
}

/** jose's options for these claim options, and `maxTokenAge` in seconds (for the verified-token cache). */
export interface CheckedClaimOptions {
  readonly jose: Omit<JWTVerifyOptions, 'algorithms' | 'currentDate'>;
  readonly maxTokenAgeSeconds: number | undefined;
}

const isStringList = (value: unknown) =>
  typeof value === 'string' || (Array.isArray(value) && value.every((item) => typeof item === 'string'));

/** Checks the claim options; a `TypeError` naming the option for a bad one. */
export function checkClaimOptions(options: ClaimOptions): CheckedClaimOptions {
  for (const name of ['audience', 'issuer'] as const) {
    if (options[name] !== undefined && !isStringList(options[name])) {
      throw new TypeError(`@coatcheck/jwt: \`${name}\` must be a string or an array of strings`);
    }
  }
  if (options.subject !== undefined && typeof options.subject !== 'string') {
    throw new TypeError('@coatcheck/jwt: `subject` must be a string');
  }
  if (
    options.requiredClaims !== undefined &&
    (!Array.isArray(options.requiredClaims) || !isStringList(options.requiredClaims))
  ) {
    throw new TypeError('@coatcheck/jwt: `requiredClaims` must be an array of strings');
  }
  if (options.typ !== undefined && typeof options.typ !== 'string')
    throw new TypeError('@coatcheck/jwt: `typ` must be a string');
  const { crit } = options;
  if (
    crit !== undefined &&
    (typeof crit !== 'object' ||
      crit === null ||
      Array.isArray(crit) ||
      Object.values(crit).some((value) => typeof value !== 'boolean'))
  ) {
    throw new TypeError('@coatcheck/jwt: `crit` must be an object of extension names to booleans');
  }
  const clockTolerance =
    options.clockTolerance === undefined ? undefined : toSeconds(options.clockTolerance, 'clockTolerance');
  const maxTokenAgeSeconds =
    options.maxTokenAge === undefined ? undefined : toSeconds(options.maxTokenAge, 'maxTokenAge');
  return {
    jose: {
      ...(options.audience !== undefined ? { audience: [options.audience].flat() } : {}),
      ...(options.issuer !== undefined ? { issuer: [options.issuer].flat() } : {}),
      ...(options.subject !== undefined ? { subject: options.subject } : {}),
      ...(clockTolerance !== undefined ? { clockTolerance } : {}),
      ...(maxTokenAgeSeconds !== undefined ? { maxTokenAge: maxTokenAgeSeconds } : {}),
      ...(options.requiredClaims !== undefined ? { requiredClaims: [...options.requiredClaims] } : {}),
      ...(options.typ !== undefined ? { typ: options.typ } : {}),
      ...(crit !== undefined ? { crit: { ...crit } } : {}),
    },
    maxTokenAgeSeconds,
  };
}

const segmentOf = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
const NONE_HEADER = segmentOf({ alg: 'none' });
const MAX_TYP_HEADERS = 16;

/**
 * jose's validation of a claims set, for a token whose signature has been checked: the payload, or
 * jose's `JWTInvalid`, `JWTClaimValidationFailed` or `JWTExpired`.
 */
export function claimsValidator(
  options: CheckedClaimOptions,
): (header: { typ?: unknown }, payloadSegment: string) => JWTPayload {
  const { crit: _crit, ...decodeOptions } = options.jose;
  const wantsTyp = decodeOptions.typ !== undefined;
  // Without a `typ` option jose never reads the header, so one header serves every token; with it,
  // a few headers are kept, one per `typ` value seen.
  const typHeaders = new Map<string, string>();
  function headerSegment(typ: unknown): string {
    if (!wantsTyp || typ === undefined) return NONE_HEADER;
    const key = JSON.stringify(typ);
    let segment = typHeaders.get(key);
    if (segment === undefined) {
      segment = segmentOf({ alg: 'none', typ });
      if (typHeaders.size >= MAX_TYP_HEADERS) typHeaders.clear();
      typHeaders.set(key, segment);
    }
    return segment;
  }
  return (header, payloadSegment) =>
    UnsecuredJWT.decode(`${headerSegment(header.typ)}.${payloadSegment}.`, decodeOptions).payload;
}
