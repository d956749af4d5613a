import { utf8Length } from '#crypto';
import type { CookieAttributes } from '../cookies/attributes.js';
import { chunkedSize, expireChunks, readChunks, serializeChunks } from '../cookies/chunk.js';
import { SEAL_PREFIX, type SealingKey, sealMaybe, type UnsealResult, unsealMaybe } from '../cookies/seal.js';
import { CookieTooLargeError } from '../errors.js';
import type { Maybe } from '../lib/crypto/contract.js';
import { applyPatch, type SessionPatch, type SessionRecord, type SessionStore } from '../stores/contract.js';
import type { LegacyCookieSession } from './cookie-session-migration.js';
import { type CookieReading, NO_COOKIE, type Persistence, type RequestPersistence } from './persistence.js';
import { generateSessionId, idleGraceOf } from './request.js';

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
  /** cookie-session's cookies to take over, during a migration window. */
  legacy?: LegacyCookieSession | undefined;
  /** The idle timeout a session taken over from cookie-session starts with. */
  idleTimeout: number;
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

/** Length of `seal()`'s output for a value of `bytes` UTF-8 bytes: `cc1.` + key ID + `.` + base64url(iv ‖ times ‖ value ‖ tag). */
export function sealedLength(bytes: number): number {
  return 13 + Math.ceil(((12 + 12 + bytes + 16) * 4) / 3);
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

type Opened = Extract<UnsealResult, { valid: true }>;

/** How many opened seals {@link OpenedSeals} keeps, and how many characters (seals and values) in all. */
export const OPENED_SEALS_LIMIT = 1000;
export const OPENED_SEALS_CHARS = 4_000_000;

/**
 * Seals this middleware opened or made lately, by their exact text. A browser sends the same
 * sealed cookie on every request until the session changes, and opening it (an AES-GCM context,
 * the decoding around it) is most of what reading a cookie session costs; a seal made on a response
 * is the one the browser sends next. Only authentic seals get in, under keys that never change for
 * the life of the middleware; the expiry inside each is checked again on every use. At most
 * {@link OPENED_SEALS_LIMIT} entries and {@link OPENED_SEALS_CHARS} characters, the least recently
 * used dropped first, so a flood of new sessions costs a bounded amount of memory.
 */
export class OpenedSeals {
  readonly #entries = new Map<string, Opened>();
  #chars = 0;

  /** The seal `sealed` opened to, if kept and not expired by `now`. */
  get(sealed: string, now: number): Opened | 'expired' | undefined {
    const entries = this.#entries;
    const opened = entries.get(sealed);
    if (opened === undefined) return undefined;
    entries.delete(sealed);
    if (now >= opened.expiresAt) {
      this.#chars -= sealed.length + opened.value.length;
      return 'expired';
    }
    entries.set(sealed, opened);
    return opened;
  }

  /**
   * Keeps `opened` for `sealed`. `fromRequest`: the seal is a slice of the request's Cookie header,
   * which keeping it would keep alive, so a clone is kept, a string of its own.
   */
  remember(sealed: string, opened: Opened, fromRequest: boolean): void {
    const size = sealed.length + opened.value.length;
    if (size > OPENED_SEALS_CHARS / 16 || this.#entries.has(sealed)) return;
    const key = fromRequest ? structuredClone(sealed) : sealed;
    this.#entries.set(key, opened);
    this.#chars += size;
    for (const [oldest, entry] of this.#entries) {
      if (this.#entries.size <= OPENED_SEALS_LIMIT && this.#chars <= OPENED_SEALS_CHARS) break;
      this.#entries.delete(oldest);
      this.#chars -= oldest.length + entry.value.length;
    }
  }

  get size(): number {
    return this.#entries.size;
  }
}

/** `cookieSession()`: the record is sealed into the cookie; each request's "store" is its own copy of it. */
export function sealedPersistence(config: SealedConfig): Persistence {
  const opened = new OpenedSeals();
  return { forRequest: () => new SealedCookieStore(config, opened) };
}

const EXPIRED = Object.freeze({ valid: false, reason: 'expired', renew: false }) as UnsealResult;

/**
 * One request's session record, read from the sealed cookie(s) and written back through the store
 * contract, so the session code that drives a real store drives this one unchanged.
 */
class SealedCookieStore implements SessionStore, RequestPersistence {
  readonly name = 'cookie';
  readonly local = true;
  changed = false;
  readonly #config: SealedConfig;
  readonly #opened: OpenedSeals;
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
  /** The request carried cookie-session's signature cookie: the response deletes it. */
  #legacyHeld = false;

  constructor(config: SealedConfig, opened: OpenedSeals) {
    this.#config = config;
    this.#opened = opened;
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
    const size = chunkedSize(this.#config.name, sealedLength(utf8Length(json)));
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
    const { name, keys, maxSize, legacy } = this.#config;
    const chunks = readChunks(header, name, maxSize);
    if (legacy?.holds(header)) {
      this.#legacyHeld = true;
      // A sealed cookie is coatcheck's already; cookie-session's may share its name or have its own.
      const sealedHere = chunks.kind === 'value' && chunks.value.startsWith(SEAL_PREFIX);
      if (!sealedHere && (legacy.name === name || chunks.kind === 'none')) {
        if (chunks.kind !== 'none') this.#chunksReceived = chunks.held;
        return this.#takeOver(legacy, header);
      }
    }
    if (chunks.kind === 'none') return NO_COOKIE;
    // Every chunk the browser holds, even ones a lost response failed to delete, goes on the next
    // response's clean-up list.
    this.#chunksReceived = chunks.held;
    if (chunks.kind !== 'value') return { kind: 'tampered', reason: chunks.kind };
    const sealed = chunks.value;
    const now = Date.now();
    const known = this.#opened.get(sealed, now);
    let opened = known === 'expired' ? EXPIRED : (known ?? unsealMaybe(sealed, keys, { name, now }));
    // Awaited only where opening is asynchronous (Web Crypto): on node:crypto no extra tick.
    if (opened instanceof Promise) opened = await opened;
    if (opened.valid && known === undefined) this.#opened.remember(sealed, opened, true);
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

  /**
   * A new session holding the data of cookie-session's cookie: sealed and sent on this response
   * (`renew`), which also deletes the signature cookie.
   */
  #takeOver(legacy: LegacyCookieSession, header: string | undefined): CookieReading {
    const reading = legacy.read(header, this.#config.maxSize);
    if (reading.kind !== 'session') return reading.kind === 'none' ? NO_COOKIE : reading;
    const now = Date.now();
    const idle = this.#config.idleTimeout;
    const record: SealedRecord = {
      i: generateSessionId(),
      d: reading.data,
      c: now,
      t: now,
      e: now + idle + idleGraceOf(idle),
    };
    const json = JSON.stringify(record);
    if (chunkedSize(this.#config.name, sealedLength(utf8Length(json))) > this.#config.maxSize) {
      return { kind: 'tampered', reason: 'oversized' };
    }
    this.#id = record.i;
    this.#json = json;
    this.#parsed = record;
    this.#created = now;
    this.#expires = record.e;
    this.#user = undefined;
    this.#issuedAt = now;
    this.changed = true;
    return { kind: 'session', id: record.i, renew: true };
  }

  /** `Set-Cookie` values deleting cookie-session's cookies, when the request carried them. */
  #expireLegacy(attributes: CookieAttributes): string[] {
    const legacy = this.#config.legacy;
    if (!this.#legacyHeld || legacy === undefined) return [];
    const lines = expireChunks(legacy.sigName, attributes, 0, 1);
    if (legacy.name !== this.#config.name) lines.push(...expireChunks(legacy.name, attributes, 0, 1));
    return lines;
  }

  issue(id: string, attributes: CookieAttributes): Maybe<string[]> {
    const json = this.#json;
    if (json === undefined || id !== this.#id) return [];
    const { name, keys, absoluteTimeout } = this.#config;
    // The seal ends at the idle deadline, never past the absolute one, whatever the browser keeps.
    const end =
      absoluteTimeout === false ? this.#expires : Math.min(this.#expires, this.#created + absoluteTimeout);
    const issuedAt = Math.min(this.#issuedAt, Date.now());
    const sealed = sealMaybe(json, keys, { name, expires: end, issuedAt });
    // What opening it will find, for the browser's next request (see OpenedSeals).
    const opened: Opened = {
      valid: true,
      value: json,
      renew: false,
      issuedAt: Math.floor(issuedAt),
      expiresAt: Math.floor(end),
      keyId: (keys[0] as SealingKey).id,
    };
    if (typeof sealed === 'string') {
      this.#opened.remember(sealed, opened, false);
      return this.#lines(sealed, attributes);
    }
    return sealed.then((value) => {
      this.#opened.remember(value, opened, false);
      return this.#lines(value, attributes);
    });
  }

  #lines(sealed: string, attributes: CookieAttributes): string[] {
    return [
      ...serializeChunks(this.#config.name, sealed, attributes, this.#chunksReceived),
      ...this.#expireLegacy(attributes),
    ];
  }

  clear(attributes: CookieAttributes): string[] {
    return [
      ...expireChunks(this.#config.name, attributes, 0, Math.max(1, this.#chunksReceived)),
      ...this.#expireLegacy(attributes),
    ];
  }
}
