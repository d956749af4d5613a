/**
 * Cookie names mapped to their values, as read from a `Cookie` header. Inherits nothing:
 * `__proto__`, `constructor` and `toString` are names like any other.
 */
export type CookieMap = Record<string, string>;

/**
 * How a value wrapped in double quotes is read.
 *
 * - `'express-session'` (the default): as cookie 0.7, the parser of express-session and
 *   cookie-parser, reads it: one `"` goes at each end, and a lone `"` reads as an empty value. The
 *   session cookie is read this way so that a browser switching from express-session is read
 *   exactly as before.
 * - `'as-sent'`: the value as the browser sent it, quotes included: RFC 6265bis §5.6 keeps them as
 *   part of the value, and cookie 1.x reads it so.
 */
export type CookieQuotes = 'express-session' | 'as-sent';

/** Options of {@link parseCookie} and {@link findCookie}. */
export interface ParseCookieOptions {
  /**
   * Turns a raw cookie value into the value returned. Defaults to `decodeURIComponent`, skipped for
   * values without `%` and falling back to the raw value when it fails. A `decode` that throws also
   * falls back to the raw value: request data never makes the parser throw. `false` keeps values
   * raw (a token that is cookie-safe already gains nothing from a second spelling).
   */
  decode?: ((value: string) => string) | false;
  /** How a DQUOTE-wrapped value is read; see {@link CookieQuotes}. Default `'express-session'`. */
  quotes?: CookieQuotes;
}

function decodeValue(value: string): string {
  if (value.indexOf('%') === -1) return value;
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

// Instances inherit nothing (their prototype is an empty object without a prototype), like
// `Object.create(null)`; but they start in V8's fast-properties mode, where `Object.create(null)`
// starts as a dictionary: parsing a short header is about 8× faster this way (bench/cookies.bench.ts).
const NullObject = function NullObject() {} as unknown as new () => CookieMap;
NullObject.prototype = Object.create(null);
const SP = 0x20;
const HTAB = 0x09;
const DQUOTE = 0x22;

/**
 * Parses a `Cookie` request header into a map of names to values.
 *
 * Follows the lenient server-side reading of RFC 6265bis §5.6: pairs are split on `;`, optional
 * whitespace (SP / HTAB only, as browsers and the `cookie` package trim: never U+00A0 or other
 * Unicode spaces) around names and values is dropped, and a value that starts and ends with a
 * double quote loses them unless `quotes: 'as-sent'` (see {@link CookieQuotes}). A pair without
 * `=` or with an empty name is skipped. When a name repeats, the first one wins: browsers send the
 * cookie with the longest matching path first, and that is the one the application set for this
 * path.
 *
 * Never throws, whatever the input, and the result inherits no property.
 *
 * @example
 * ```ts
 * parseCookie('sid=abc; theme=dark; sid=shadowed');
 * // { sid: 'abc', theme: 'dark' }
 * ```
 */
export function parseCookie(header: string | null | undefined, options?: ParseCookieOptions): CookieMap {
  const cookies = new NullObject();
  // The shortest pair is `a=`.
  if (typeof header === 'string' && header.length >= 2) scan(header, undefined, options, cookies);
  return cookies;
}

/**
 * The value of the first cookie called `name` in a `Cookie` header, read exactly as
 * {@link parseCookie} reads it (one scanner serves both), or `undefined` when there is none. The
 * fast path for one cookie: linear in the header's length whatever it holds, and it builds no map,
 * so the session middleware reads its cookie with it on every request.
 *
 * @example
 * ```ts
 * findCookie('theme=dark; sid=s%3Aabc.def', 'sid'); // 's:abc.def'
 * findCookie('\u00a0sid=planted', 'sid'); // undefined: that cookie's name is "\u00a0sid"
 * ```
 */
export function findCookie(
  header: string | null | undefined,
  name: string,
  options?: ParseCookieOptions,
): string | undefined {
  if (typeof header !== 'string' || name.length === 0 || !header.includes(name)) return undefined;
  return scan(header, name, options, undefined);
}

/**
 * Walks the pairs of `header` once: with `only`, returns the value of the first pair of that name;
 * without, fills `into` (first pair of each name wins) and returns `undefined`.
 */
function scan(
  header: string,
  only: string | undefined,
  options: ParseCookieOptions | undefined,
  into: CookieMap | undefined,
): string | undefined {
  const decode = options?.decode;
  const keepQuotes = options?.quotes === 'as-sent';
  const length = header.length;
  let start = 0;
  while (start < length) {
    let end = header.indexOf(';', start);
    if (end === -1) end = length;
    const eq = header.indexOf('=', start);
    if (eq === -1) return undefined;
    if (eq > end) {
      start = pairHolding(header, eq);
      continue;
    }
    const nameStart = skipWhitespace(header, start, eq);
    const nameEnd = trimWhitespace(header, eq, nameStart);
    if (only !== undefined) {
      if (nameEnd - nameStart === only.length && header.startsWith(only, nameStart)) {
        return readValue(header, eq + 1, end, decode, keepQuotes);
      }
    } else if (nameEnd > nameStart) {
      const name = header.slice(nameStart, nameEnd);
      if ((into as CookieMap)[name] === undefined) {
        (into as CookieMap)[name] = readValue(header, eq + 1, end, decode, keepQuotes);
      }
    }
    start = end + 1;
  }
  return undefined;
}

/**
 * Every pair between the current position and `eq` lacks "=": jump straight to the pair that holds
 * it. Scanning each of them for "=" again would make a header of many ";" quadratic.
 */
function pairHolding(header: string, eq: number): number {
  return header.lastIndexOf(';', eq - 1) + 1;
}

function skipWhitespace(header: string, from: number, to: number): number {
  let index = from;
  while (index < to && isWhitespace(header.charCodeAt(index))) index++;
  return index;
}

function trimWhitespace(header: string, to: number, from: number): number {
  let index = to;
  while (index > from && isWhitespace(header.charCodeAt(index - 1))) index--;
  return index;
}

/** The value between `from` and `to`: trimmed, unquoted unless `keepQuotes`, decoded. */
function readValue(
  header: string,
  from: number,
  to: number,
  decode: ParseCookieOptions['decode'],
  keepQuotes: boolean,
): string {
  let valueStart = skipWhitespace(header, from, to);
  let valueEnd = trimWhitespace(header, to, valueStart);
  // cookie 0.7 strips a quote at each end even when both are the same character: `"` reads as ''.
  if (
    !keepQuotes &&
    valueEnd > valueStart &&
    header.charCodeAt(valueStart) === DQUOTE &&
    header.charCodeAt(valueEnd - 1) === DQUOTE
  ) {
    valueStart++;
    valueEnd = Math.max(valueStart, valueEnd - 1);
  }
  const raw = header.slice(valueStart, valueEnd);
  if (decode === undefined) return decodeValue(raw);
  return decode === false ? raw : decodeWith(decode, raw);
}

function isWhitespace(code: number): boolean {
  return code === SP || code === HTAB;
}

function decodeWith(decode: (value: string) => string, raw: string): string {
  try {
    const value = decode(raw);
    return typeof value === 'string' ? value : raw;
  } catch {
    return raw;
  }
}
