import type { UnauthorizedErrorCode } from '../errors.js';

// RFC 6750 §3: error_description is limited to printable ASCII without '"' and '\'.
const UNSAFE_DESCRIPTION = /[^\x20\x21\x23-\x5B\x5D-\x7E]/g;

/**
 * The `WWW-Authenticate` challenge of RFC 6750 §3 for a refused request. A request without
 * credentials gets no error code (§3.1: "the resource server SHOULD NOT include an error code");
 * a malformed one gets `invalid_request`, a bad token `invalid_token`.
 */
export function bearerChallenge(code: UnauthorizedErrorCode, description: string, realm?: string): string {
  const params: string[] = [];
  if (realm !== undefined) params.push(`realm="${realm.replace(UNSAFE_DESCRIPTION, '')}"`);
  if (code !== 'credentials_required') {
    const error = code === 'invalid_token' || code === 'revoked_token' ? 'invalid_token' : 'invalid_request';
    params.push(`error="${error}"`);
    const safe = description.replace(UNSAFE_DESCRIPTION, '').slice(0, 200);
    if (safe) params.push(`error_description="${safe}"`);
  }
  return params.length === 0 ? 'Bearer' : `Bearer ${params.join(', ')}`;
}
