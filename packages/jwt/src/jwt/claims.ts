/**
 * JWT claim checks, done by jose itself. jose validates a claims set in `jwtVerify` after the
 * signature, and publicly only through `UnsecuredJWT.decode`: the payload segment, once its
 * signature has been checked, is handed to jose in an unsecured JWT whose header carries the token's
 * `typ` (the one header field jose's claim validation reads), so every rule, message, `claim` and
 * `reason` is jose's own, in jose's order (`typ`, presence, `iss`, `sub`, `aud`, `nbf`, `exp`,
 * `maxTokenAge`), with no copy of them here to drift.
 *
 * @module
 */
import { type JWTPayload, UnsecuredJWT } from 'jose';
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

/** Claim validation for one set of options, checked once at construction. */
export interface ClaimChecks {
  /**
   * The claims set of a token whose signature verified: jose's `JWTInvalid`,
   * `JWTClaimValidationFailed` or `JWTExpired` when it does not pass.
   */
  validate(header: { typ?: unknown }, payloadSegment: string): JWTPayload;
  /** `maxTokenAge` in seconds, for the verified-token cache. */
  readonly maxTokenAgeSeconds: number | undefined;
}

const segmentOf = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
const NONE_HEADER = segmentOf({ alg: 'none' });
const MAX_TYP_HEADERS = 16;

/** The options jose's claim validation takes, after checking them; `TypeError` for bad ones. */
export function claimChecks(options: ClaimOptions): ClaimChecks {
  const isStringList = (value: unknown) =>
    typeof value === 'string' || (Array.isArray(value) && value.every((item) => typeof item === 'string'));
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
  if (options.clockTolerance !== undefined) toSeconds(options.clockTolerance, 'clockTolerance');
  const maxTokenAgeSeconds =
    options.maxTokenAge === undefined ? undefined : toSeconds(options.maxTokenAge, 'maxTokenAge');
  const joseOptions = {
    ...(options.audience !== undefined ? { audience: options.audience as string | string[] } : {}),
    ...(options.issuer !== undefined ? { issuer: options.issuer as string | string[] } : {}),
    ...(options.subject !== undefined ? { subject: options.subject } : {}),
    ...(options.clockTolerance !== undefined ? { clockTolerance: options.clockTolerance } : {}),
    ...(options.maxTokenAge !== undefined ? { maxTokenAge: options.maxTokenAge } : {}),
    ...(options.requiredClaims !== undefined ? { requiredClaims: [...options.requiredClaims] } : {}),
    ...(options.typ !== undefined ? { typ: options.typ } : {}),
  };
  // jose rejects some durations only while validating: run its validation once on a harmless
  // claims set so that those option errors surface now, as TypeErrors.
  try {
    UnsecuredJWT.decode(`${NONE_HEADER}.${segmentOf({ iat: Math.floor(Date.now() / 1000) })}.`, {
      ...(joseOptions.clockTolerance !== undefined ? { clockTolerance: joseOptions.clockTolerance } : {}),
      ...(joseOptions.maxTokenAge !== undefined ? { maxTokenAge: joseOptions.maxTokenAge } : {}),
    });
  } catch (error) {
    if (error instanceof TypeError) throw new TypeError(`@coatcheck/jwt: ${error.message}`, { cause: error });
  }

  // Without a `typ` option jose never reads the header, so one constant header serves every token.
  // With it, the header carries the token's `typ` as it is (any JSON value), a few of them cached.
  const typHeaders = new Map<string, string>();
  function headerSegment(typ: unknown): string {
    if (options.typ === undefined || typ === undefined) return NONE_HEADER;
    const key = JSON.stringify(typ);
    let segment = typHeaders.get(key);
    if (segment === undefined) {
      segment = segmentOf({ alg: 'none', typ });
      if (typHeaders.size >= MAX_TYP_HEADERS) typHeaders.clear();
      typHeaders.set(key, segment);
    }
    return segment;
  }

  return {
    validate(header, payloadSegment) {
      return UnsecuredJWT.decode(`${headerSegment(header.typ)}.${payloadSegment}.`, joseOptions).payload;
    },
    maxTokenAgeSeconds,
  };
}
