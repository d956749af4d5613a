/**
 * One value over several cookies, for values longer than the 4096 bytes a browser keeps in one
 * (a sealed session): `name`, `name.1`, `name.2`, …, the first announcing how many there are, so a
 * missing or stale chunk is detected before the value is used.
 *
 * @module
 */
import type { CookieAttributes } from './attributes.js';
import { parseCookie } from './parse.js';
import { MAX_COOKIE_SIZE, serializeCookie } from './serialize.js';

/** The most cookies one value is spread over. */
export const MAX_CHUNKS = 99;

// A chunked first cookie starts with `<count>~`; `~` survives encodeURIComponent, and a value that
// is not chunked never starts so (a sealed value starts with its format prefix).
const CHUNK_MARK = /^([2-9]|[1-9][0-9])~/;

/** The cookie that holds chunk `index`: the name itself for the first, then `name.1`, `name.2`, …. */
export function chunkName(name: string, index: number): string {
  return index === 0 ? name : `${name}.${index}`;
}

/**
 * How a value of `length` characters is cut so that every cookie's name and value stay within
 * 4096 bytes: the value lengths, the first chunk's `<count>~` mark included. One chunk when it fits
 * (no mark); `[Infinity]` when even {@link MAX_CHUNKS} cookies cannot hold it.
 *
 * @example
 * ```ts
 * chunkLengths('session', 100);    // [100]
 * chunkLengths('session', 10_000); // [4089, 4087, 1826]: "3~" + 4087, 4096 - "session.1".length, the rest
 * ```
 */
export function chunkLengths(name: string, length: number): number[] {
  if (name.length + length <= MAX_COOKIE_SIZE) return [length];
  for (let count = 2; count <= MAX_CHUNKS; count++) {
    const mark = `${count}~`.length;
    const lengths: number[] = [];
    let left = length;
    for (let index = 0; index < count && left > 0; index++) {
      const room = MAX_COOKIE_SIZE - chunkName(name, index).length - (index === 0 ? mark : 0);
      const take = Math.min(room, left);
      lengths.push(take + (index === 0 ? mark : 0));
      left -= take;
    }
    if (left === 0 && lengths.length === count) return lengths;
  }
  return [Number.POSITIVE_INFINITY];
}

/** Bytes of names and values over all the chunks a value of `length` characters needs. */
export function chunkedSize(name: string, length: number): number {
  return chunkLengths(name, length).reduce(
    (sum, value, index) => sum + value + chunkName(name, index).length,
    0,
  );
}

/**
 * The `Set-Cookie` values that carry `value` (already cookie-safe: it is not encoded) over as many
 * cookies as it needs, with `attributes`; and, when the request held more chunks (`held`) than the
 * value needs now, the ones deleting the rest.
 *
 * @example
 * ```ts
 * serializeChunks('session', sealed, { path: '/', httpOnly: true, secure: true }, 3);
 * // ['session=2~cc1…; Path=/; HttpOnly; Secure', 'session.1=…', 'session.2=; …; Expires=Thu, 01 Jan 1970 …']
 * ```
 */
export function serializeChunks(
  name: string,
  value: string,
  attributes: CookieAttributes,
  held = 0,
): string[] {
  const lengths = chunkLengths(name, value.length);
  const lines: string[] = [];
  let offset = 0;
  const raw = { ...attributes, encode: (text: string) => text };
  for (let index = 0; index < lengths.length; index++) {
    const mark = lengths.length > 1 && index === 0 ? `${lengths.length}~` : '';
    const take = (lengths[index] as number) - mark.length;
    lines.push(serializeCookie(chunkName(name, index), mark + value.slice(offset, offset + take), raw));
    offset += take;
  }
  if (held > lengths.length) lines.push(...expireChunks(name, attributes, lengths.length, held));
  return lines;
}

/** `Set-Cookie` values deleting chunks `from` (included) to `to` (excluded) of `name`. */
export function expireChunks(name: string, attributes: CookieAttributes, from: number, to: number): string[] {
  const { maxAge: _maxAge, ...rest } = attributes;
  const expired: CookieAttributes = { ...rest, expires: new Date(0) };
  const lines: string[] = [];
  for (let index = from; index < to; index++)
    lines.push(serializeCookie(chunkName(name, index), '', expired));
  return lines;
}

/** What a `Cookie` header holds of a chunked value. `held` counts the chunk cookies present, stale ones included. */
export type ChunkReading =
  | { kind: 'none' }
  | { kind: 'value'; value: string; held: number }
  /** A chunk the first one announces is missing. */
  | { kind: 'malformed'; held: number }
  /** Names and values together exceed `maxSize`. */
  | { kind: 'oversized'; held: number };

/**
 * Joins the chunks of `name` in a `Cookie` header, refusing a set whose announced chunks are missing
 * or whose names and values exceed `maxSize` bytes, before anything reads the value. `held` is every
 * chunk the browser sent, announced or not (a response lost before it deleted them leaves some),
 * so that the next response deletes those no longer needed.
 *
 * @example
 * ```ts
 * readChunks('session=2~abc; session.1=def', 'session', 8192); // { kind: 'value', value: 'abcdef', held: 2 }
 * readChunks('session=2~abc', 'session', 8192);                // { kind: 'malformed', held: 1 }
 * ```
 */
export function readChunks(header: string | undefined, name: string, maxSize: number): ChunkReading {
  if (typeof header !== 'string' || !header.includes(name)) return { kind: 'none' };
  const cookies = parseCookie(header);
  const first = cookies[name];
  if (first === undefined) return { kind: 'none' };
  let held = 1;
  while (held < MAX_CHUNKS && cookies[chunkName(name, held)] !== undefined) held++;
  const mark = CHUNK_MARK.exec(first);
  if (!mark) {
    return name.length + first.length > maxSize
      ? { kind: 'oversized', held }
      : { kind: 'value', value: first, held };
  }
  const count = Number(mark[1]);
  const parts = [first.slice(mark[0].length)];
  let size = name.length + first.length;
  for (let index = 1; index < count; index++) {
    const part = cookies[chunkName(name, index)];
    if (part === undefined) return { kind: 'malformed', held };
    size += chunkName(name, index).length + part.length;
    if (size > maxSize) return { kind: 'oversized', held };
    parts.push(part);
  }
  return { kind: 'value', value: parts.join(''), held };
}
