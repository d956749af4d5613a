import { errors } from 'jose';
import { JsonWebTokenError, NotBeforeError, TokenExpiredError } from '../errors.js';

/** The options a message names: jsonwebtoken says what it expected. */
export interface ExpectedClaims {
  audience?: string | readonly string[] | undefined;
  issuer?: string | readonly string[] | undefined;
  subject?: string | undefined;
  /** `maxTokenAge` in seconds, to say when an old token stopped being valid. */
  maxTokenAgeSeconds?: number | undefined;
}

function jsonObjectOf(segment: string | undefined): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(Buffer.from(segment ?? '', 'base64url').toString());
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

const isJsonObject = (segment: string | undefined) => jsonObjectOf(segment) !== undefined;

/** jsonwebtoken's words for a token that is not a well-formed JWS, found by looking at the token. */
function malformed(token: unknown, error: errors.JOSEError): string {
  if (typeof token !== 'string') return 'jwt must be a string';
  const parts = token.split('.');
  if (parts.length !== 3) return 'jwt malformed';
  if (parts[2] === '') return 'jwt signature is required';
  const header = jsonObjectOf(parts[0]);
  if (header === undefined) return 'invalid token';
  if (typeof header.alg !== 'string' || header.alg === '') return 'invalid algorithm';
  return error.message;
}

const list = (value: string | readonly string[] | undefined) =>
  value === undefined ? [] : typeof value === 'string' ? [value] : [...value];

function claimMessage(
  error: InstanceType<typeof errors.JWTClaimValidationFailed>,
  expected: ExpectedClaims,
): string {
  const { claim, reason } = error;
  switch (claim) {
    case 'aud':
      return `jwt audience invalid. expected: ${list(expected.audience).join(' or ')}`;
    case 'iss':
      // jsonwebtoken concatenates the option as it is: a list reads "a,b".
      return `jwt issuer invalid. expected: ${String(expected.issuer)}`;
    case 'sub':
      return `jwt subject invalid. expected: ${expected.subject}`;
    case 'nbf':
      return reason === 'invalid' ? 'invalid nbf value' : 'jwt not active';
    case 'exp':
      return 'invalid exp value';
    case 'iat':
      if (reason === 'missing' || (reason === 'invalid' && expected.maxTokenAgeSeconds !== undefined))
        return 'iat required when maxAge is specified';
      return reason === 'invalid' ? 'invalid iat value' : error.message;
    default:
      return error.message;
  }
}

/**
 * The error jsonwebtoken (and so express-jwt) gives for the failure jose reported, with its class
 * and message, and jose's error as `cause`. Failures jsonwebtoken has no words for (an unknown
 * `crit` header, a wrong `typ`, a missing required claim, a payload that is not a JSON object) keep
 * jose's message.
 */
export function toJsonWebTokenError(
  error: errors.JOSEError,
  token: unknown,
  expected: ExpectedClaims,
): JsonWebTokenError {
  const cause = { cause: error };
  if (typeof token === 'string' && token.endsWith('.') && token.split('.').length === 3)
    return new JsonWebTokenError('jwt signature is required', cause);
  if (error instanceof errors.JWTExpired) {
    const payload = error.payload;
    if (error.claim === 'exp' && typeof payload.exp === 'number')
      return new TokenExpiredError('jwt expired', new Date(payload.exp * 1000), cause);
    const at = ((payload.iat ?? 0) + (expected.maxTokenAgeSeconds ?? 0)) * 1000;
    return new TokenExpiredError('maxAge exceeded', new Date(at), cause);
  }
  if (error instanceof errors.JWTClaimValidationFailed) {
    const message = claimMessage(error, expected);
    if (error.claim === 'nbf' && error.reason === 'check_failed' && typeof error.payload.nbf === 'number')
      return new NotBeforeError(message, new Date(error.payload.nbf * 1000), cause);
    return new JsonWebTokenError(message, cause);
  }
  if (error instanceof errors.JWSInvalid) return new JsonWebTokenError(malformed(token, error), cause);
  if (error instanceof errors.JOSEAlgNotAllowed) return new JsonWebTokenError('invalid algorithm', cause);
  if (error instanceof errors.JWSSignatureVerificationFailed)
    return new JsonWebTokenError('invalid signature', cause);
  if (error instanceof errors.JWTInvalid && typeof token === 'string' && !isJsonObject(token.split('.')[1]))
    return new JsonWebTokenError('jwt payload is not a JSON object', cause);
  return new JsonWebTokenError(error.message, cause);
}
