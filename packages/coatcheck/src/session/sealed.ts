import { parseCookie } from '../cookies/parse.js';
import { type SealingKey, seal, unseal } from '../cookies/seal.js';
import { type CookieAttributes, MAX_COOKIE_SIZE, serializeCookie } from '../cookies/serialize.js';
import { CookieTooLargeError } from '../errors.js';
import { applyPatch, type SessionPatch, type SessionRecord, type SessionStore } from '../stores/contract.js';
import { type CookieReading, NO_COOKIE, type Persistence, type RequestPersistence } from './persistence.js';

/** The "not before" hook of `cookieSession()`: seals of `user` issued before the time it returns are refused. */
export type NotBefore = (
  user: string,
) => Date | number | undefined | null | Promise<Date | number | undefined | null>;

/** What the sealed persistence needs from the options. */
export interface SealedConfig {
  name: string;
  keys: readonly SealingKey[];
  /** Bytes of name and value over all chunks. */
  maxSize: number;
  absoluteTimeout: number | false;
  notBefore: NotBefore | undefined;
}

/** The record as sealed: short keys, since every byte travels on every request. */
interface SealedRecord {
  /** Session ID: events, handles and CSRF tokens need one even without a store. */
  i: string;
  d: SessionRecord['data'];
  c: number;
  t: number;
  e: number;
  u?: string | undefined;
}

// Chunks after the first are `name.1`, `name.2`, …; a chunked first cookie starts with `<count>~`,
// so a missing or stale chunk is detected before any decryption. `~` survives encodeURIComponent.
const CHUNK_MARK = /^([2-9]|[1-9][0-9])~/;
const MAX_CHUNKS = 99;

/** Length of `seal()`'s output for a value of `bytes` UTF-8 bytes: `cc1.` + key ID + `.` + base64url(iv ‖ times ‖ value ‖ tag). */
export function sealedLength(bytes: number): number {
  return 13 + Math.ceil(((12 + 12 + bytes + 16) * 4) / 3);
}

function chunkName(name: string, index: number): string {
  return index === 0 ? name : `${name}.${index}`;
}

/**
 * How a sealed value of `length` characters is cut so that every cookie's name and value stay within
 * 4096 bytes, the most a browser keeps: the value lengths, first chunk's `<count>~` mark included.
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

/** Bytes of names and values over all the chunks a sealed value of `length` characters needs. */
export function cookieBytes(name: string, length: number): number {
  return chunkLengths(name, length).reduce(
    (sum, value, index) => sum + value + chunkName(name, index).length,
    0,
  );
}

function isSealedRecord(value: unknown): value is SealedRecord {
  if (value === null || typeof value !== 'object') return false;
  const record = value as Partial<SealedRecord>;
  return (
    typeof record.i === 'string' &&
    record.i.length > 0 &&
    record.d !== null &&
    typeof record.d === 'object' &&
    !Array.isArray(record.d) &&
    typeof record.c === 'number' &&
    typeof record.t === 'number' &&
    typeof record.e === 'number' &&
    (record.u === undefined || typeof record.u === 'string')
  );
}

function toRecord(sealed: SealedRecord): SessionRecord {
  return { data: sealed.d, created: sealed.c, touched: sealed.t, expires: sealed.e, user: sealed.u };
}

function timeOf(value: Date | number | undefined | null): number | undefined {
  if (value === undefined || value === null) return undefined;
  const time = value instanceof Date ? value.getTime() : value;
  if (typeof time !== 'number' || Number.isNaN(time)) {
    throw new TypeError(
      'cookieSession option notBefore must return a Date, a number of milliseconds or undefined',
    );
  }
  return time;
}

/** `cookieSession()`: the record is sealed into the cookie; each request's "store" is its own copy of it. */
export function sealedPersistence(config: SealedConfig): Persistence {
  return { forRequest: () => new SealedCookieStore(config) };
}

/**
 * One request's session record, read from the sealed cookie(s) and written back through the store
 * contract, so the session code that drives a real store drives this one unchanged.
 */
class SealedCookieStore implements SessionStore, RequestPersistence {
  readonly name = 'cookie';
  readonly local = true;
  changed = false;
  readonly #config: SealedConfig;
  #id: string | undefined;
  /** JSON of the current record, as it will be sealed. */
  #json: string | undefined;
  /** The record the cookie carried, parsed once, handed out by the first read. */
  #parsed: SealedRecord | undefined;
  #created = 0;
  #expires = 0;
  #user: string | undefined;
  /**
   * When the current user signed in (or the session began, without one): the seal's issued-at,
   * kept across re-seals so the "not before" check compares it with the time of logging out.
   */
  #issuedAt = 0;
  /** How many of the session's cookies the request carried, so those no longer needed are deleted. */
  #chunksReceived = 0;

  constructor(config: SealedConfig) {
    this.#config = config;
  }

  get store(): SessionStore {
    return this;
  }

  async read(id: string): Promise<SessionRecord | undefined> {
    return this.#current(id);
  }

  #current(id: string): SessionRecord | undefined {
    if (id !== this.#id || this.#json === undefined) return undefined;
    const parsed = this.#parsed ?? (JSON.parse(this.#json) as SealedRecord);
    this.#parsed = undefined;
    return toRecord(parsed);
  }

  async write(id: string, record: SessionRecord): Promise<void> {
    this.writeNow(id, record);
  }

  writeNow(id: string, record: SessionRecord): void {
    const sealed: SealedRecord = {
      i: id,
      d: record.data,
      c: record.created,
      t: record.touched,
      e: record.expires,
      u: record.user,
    };
    const json = JSON.stringify(sealed);
    const size = cookieBytes(this.#config.name, sealedLength(Buffer.byteLength(json)));
    if (size > this.#config.maxSize) {
      throw new CookieTooLargeError(this.#config.name, size, this.#config.maxSize);
    }
    if (this.#json === undefined || this.#user !== record.user) this.#issuedAt = Date.now();
    this.#id = id;
    this.#json = json;
    this.#parsed = undefined;
    this.#created = record.created;
    this.#expires = record.expires;
    this.#user = record.user;
    this.changed = true;
  }

  async patch(id: string, patch: SessionPatch): Promise<boolean> {
    const record = this.#current(id);
    if (!record) return false;
    applyPatch(record.data, patch);
    record.expires = patch.expires;
    record.touched = patch.touched;
    if (patch.user !== undefined) record.user = patch.user ?? undefined;
    this.writeNow(id, record);
    return true;
  }

  async refresh(id: string, expires: number, touched: number): Promise<boolean> {
    const record = this.#current(id);
    if (!record) return false;
    record.expires = expires;
    record.touched = touched;
    this.writeNow(id, record);
    return true;
  }

  async remove(id: string): Promise<void> {
    if (id !== this.#id) return;
    this.#id = undefined;
    this.#json = undefined;
    this.#parsed = undefined;
  }

  // RequestPersistence

  async readCookie(header: string | undefined): Promise<CookieReading> {
    const { name, keys, maxSize } = this.#config;
    if (typeof header !== 'string' || !header.includes(name)) return NO_COOKIE;
    const cookies = parseCookie(header);
    const first = cookies[name];
    if (first === undefined) return NO_COOKIE;
    // Every chunk the browser holds, even ones a lost response failed to delete, goes on the next
    // response's clean-up list.
    let held = 1;
    while (held < MAX_CHUNKS && cookies[chunkName(name, held)] !== undefined) held++;
    this.#chunksReceived = held;
    let sealed = first;
    const mark = CHUNK_MARK.exec(first);
    if (mark) {
      const count = Number(mark[1]);
      const parts = [first.slice(mark[0].length)];
      let size = name.length + first.length;
      for (let index = 1; index < count; index++) {
        const part = cookies[chunkName(name, index)];
        if (part === undefined) return { kind: 'tampered', reason: 'malformed' };
        size += chunkName(name, index).length + part.length;
        if (size > maxSize) return { kind: 'tampered', reason: 'oversized' };
        parts.push(part);
      }
      sealed = parts.join('');
    } else if (name.length + first.length > maxSize) {
      return { kind: 'tampered', reason: 'oversized' };
    }
    const opened = unseal(sealed, keys, { name });
    if (!opened.valid) {
      // An expired seal is authentic and simply over: a fresh session, not an attack.
      if (opened.reason === 'expired') return NO_COOKIE;
      return { kind: 'tampered', reason: opened.reason === 'malformed' ? 'malformed' : 'signature' };
    }
    let record: unknown;
    try {
      record = JSON.parse(opened.value);
    } catch {
      return { kind: 'tampered', reason: 'malformed' };
    }
    if (!isSealedRecord(record)) return { kind: 'tampered', reason: 'malformed' };
    if (record.u !== undefined && this.#config.notBefore) {
      const notBefore = timeOf(await this.#config.notBefore(record.u));
      if (notBefore !== undefined && opened.issuedAt < notBefore) {
        return { kind: 'revoked', id: record.i, user: record.u };
      }
    }
    this.#id = record.i;
    this.#json = opened.value;
    this.#parsed = record;
    this.#created = record.c;
    this.#expires = record.e;
    this.#user = record.u;
    this.#issuedAt = opened.issuedAt;
    return { kind: 'session', id: record.i, renew: opened.renew };
  }

  issue(id: string, attributes: CookieAttributes): string[] {
    const json = this.#json;
    if (json === undefined || id !== this.#id) return [];
    const { name, keys, absoluteTimeout } = this.#config;
    // The seal ends at the idle deadline, never past the absolute one, whatever the browser keeps.
    const end =
      absoluteTimeout === false ? this.#expires : Math.min(this.#expires, this.#created + absoluteTimeout);
    const sealed = seal(json, keys, { name, expires: end, issuedAt: Math.min(this.#issuedAt, Date.now()) });
    const lengths = chunkLengths(name, sealed.length);
    const lines: string[] = [];
    let offset = 0;
    for (let index = 0; index < lengths.length; index++) {
      const mark = lengths.length > 1 && index === 0 ? `${lengths.length}~` : '';
      const take = (lengths[index] as number) - mark.length;
      lines.push(
        serializeCookie(chunkName(name, index), mark + sealed.slice(offset, offset + take), attributes),
      );
      offset += take;
    }
    if (this.#chunksReceived > lengths.length) {
      lines.push(...this.#expire(attributes, lengths.length, this.#chunksReceived));
    }
    return lines;
  }

  clear(attributes: CookieAttributes): string[] {
    return this.#expire(attributes, 0, Math.max(1, this.#chunksReceived));
  }

  #expire(attributes: CookieAttributes, from: number, to: number): string[] {
    const expired: CookieAttributes = { ...attributes, expires: new Date(0) };
    const lines: string[] = [];
    for (let index = from; index < to; index++) {
      lines.push(serializeCookie(chunkName(this.#config.name, index), '', expired));
    }
    return lines;
  }
}
