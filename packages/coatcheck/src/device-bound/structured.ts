/**
 * The header values of the DBSC draft, as RFC 8941 structured fields. Only what the server sends is
 * serialised here; the one value it reads (`Sec-Secure-Session-Id`) arrives bare from Chromium.
 */

/** An algorithm a device key may sign with: the two the draft names, and the two this module verifies. */
export type DeviceKeyAlgorithm = 'ES256' | 'RS256';

/**
 * An RFC 8941 sf-string: printable ASCII in double quotes, with `"` and `\` escaped. Anything else
 * cannot be sent, and Chromium deletes a session whose challenge it cannot parse, so it is refused.
 */
export function sfString(value: string): string {
  let out = '"';
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i);
    if (code < 0x20 || code > 0x7e) {
      throw new TypeError(`a structured-header string may hold printable ASCII only (character ${i})`);
    }
    if (code === 0x22 || code === 0x5c) out += '\\';
    out += value[i];
  }
  return `${out}"`;
}

/**
 * `Secure-Session-Registration`: an inner list of algorithms with the registration path, the
 * challenge and, when the application wants one echoed in the proof, an authorization value.
 *
 * @example
 * ```ts
 * registrationHeader({ algorithms: ['ES256', 'RS256'], path: '/dbsc/register', challenge: 'c1' });
 * // '(ES256 RS256);path="/dbsc/register";challenge="c1"'
 * ```
 */
export function registrationHeader(options: {
  algorithms: readonly DeviceKeyAlgorithm[];
  path: string;
  challenge: string;
  authorization?: string | undefined;
}): string {
  let value = `(${options.algorithms.join(' ')});path=${sfString(options.path)};challenge=${sfString(options.challenge)}`;
  if (options.authorization !== undefined) value += `;authorization=${sfString(options.authorization)}`;
  return value;
}

/**
 * `Secure-Session-Challenge`: the challenge as an sf-string with the session identifier as its
 * `id` parameter, itself a correctly escaped sf-string.
 *
 * @example
 * ```ts
 * challengeHeader('c2', 'abc'); // '"c2";id="abc"'
 * ```
 */
export function challengeHeader(challenge: string, sessionIdentifier: string): string {
  return `${sfString(challenge)};id=${sfString(sessionIdentifier)}`;
}

/**
 * The value of `Sec-Secure-Session-Id`. Chromium sends it bare; a quoted sf-string is unwrapped as
 * well, in case another browser follows the draft's wording. `undefined` for anything else.
 */
export function sessionIdentifierOf(header: string | string[] | undefined): string | undefined {
  if (typeof header !== 'string') return undefined;
  const value = header.trim();
  if (value.length === 0 || value.length > 256) return undefined;
  if (value.charCodeAt(0) !== 0x22) return /^[\x21-\x7e]+$/.test(value) ? value : undefined;
  if (value.length < 2 || value.charCodeAt(value.length - 1) !== 0x22) return undefined;
  let out = '';
  for (let i = 1; i < value.length - 1; i++) {
    let char = value[i] as string;
    if (char === '\\') {
      i++;
      char = value[i] as string;
      if (char !== '"' && char !== '\\') return undefined;
    } else if (char === '"') return undefined;
    const code = char.charCodeAt(0);
    if (code < 0x20 || code > 0x7e) return undefined;
    out += char;
  }
  return out.length > 0 ? out : undefined;
}
