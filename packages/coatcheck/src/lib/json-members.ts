/**
 * The top-level members of a JSON object's text, each value as the text it already is: what lets
 * MemoryStore change one key of a stored session without parsing the rest and writing it out
 * again.
 *
 * @module
 */

/** One member: its key, the key as it is written (a JSON string), and its value's JSON text. */
export interface JsonMember {
  key: string;
  keyText: string;
  value: string;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COLON = 0x3a;
const COMMA = 0x2c;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;

/** The index of the quote that closes the string whose opening quote is at `at`, or -1. */
function stringEnd(text: string, at: number): number {
  for (let i = at + 1; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === BACKSLASH) i++;
    else if (c === QUOTE) return i;
  }
  return -1;
}

/**
 * The members of `text`, which must be compact JSON of an object (as `JSON.stringify` writes it:
 * no white space between tokens), in order; `undefined` for any other text, so the caller falls
 * back to `JSON.parse`. Values are not checked, only delimited: `text` is trusted JSON.
 *
 * @example
 * ```ts
 * jsonMembers('{"a":1,"b":{"c":[2,"}"]}}');
 * // [{ key: 'a', keyText: '"a"', value: '1' }, { key: 'b', keyText: '"b"', value: '{"c":[2,"}"]}' }]
 * ```
 */
export function jsonMembers(text: string): JsonMember[] | undefined {
  const members: JsonMember[] = [];
  const n = text.length;
  if (text.charCodeAt(0) !== OPEN_BRACE) return undefined;
  if (text.charCodeAt(1) === CLOSE_BRACE) return n === 2 ? members : undefined;
  let i = 1;
  for (;;) {
    if (text.charCodeAt(i) !== QUOTE) return undefined;
    const keyEnd = stringEnd(text, i);
    if (keyEnd === -1 || text.charCodeAt(keyEnd + 1) !== COLON) return undefined;
    const keyText = text.slice(i, keyEnd + 1);
    const key = keyText.includes('\\') ? (JSON.parse(keyText) as string) : keyText.slice(1, -1);
    const start = keyEnd + 2;
    let depth = 0;
    i = start;
    for (; i < n; i++) {
      const c = text.charCodeAt(i);
      if (c === QUOTE) {
        i = stringEnd(text, i);
        if (i === -1) return undefined;
      } else if (c === OPEN_BRACE || c === OPEN_BRACKET) depth++;
      else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
        if (depth === 0) break;
        depth--;
      } else if (c === COMMA && depth === 0) break;
    }
    if (i >= n || i === start) return undefined;
    members.push({ key, keyText, value: text.slice(start, i) });
    if (text.charCodeAt(i) === CLOSE_BRACE) return i === n - 1 ? members : undefined;
    i++;
  }
}
