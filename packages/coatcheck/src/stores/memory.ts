/**
 * The bounded in-process store. Past 300 lines because its two bounds (sessions, and bytes with
 * the anonymous share) and its eviction order work on one map and must change together.
 *
 * @module
 */
import { SessionRecordError, StoreClosedError, StoreError, type StoreOperation } from '../errors.js';
import { jsonMembers } from '../lib/json-members.js';
import { RotationTrail } from '../lib/rotation-trail.js';
import { checkPruneInterval, StoreBase } from './base.js';
import type { CookieJSON, SessionPatch, SessionRecord, SessionStore, StoredData } from './contract.js';
import { offerImmediateCalls } from './immediate.js';
import { decodeRecord, decodeRows, skipDamaged } from './record.js';

/** Options of {@link MemoryStore}. */
export interface MemoryStoreOptions {
  /** Most sessions kept. Default 10 000. See {@link MemoryStore} for which ones go first. */
  max?: number;
  /**
   * Most bytes kept, counted per session as the characters of its ID, its data as JSON and its user,
   * plus {@link MemoryStore.entryOverhead} for the entry itself (about what V8 spends on it). `Infinity`
   * turns the byte bound off. Default 64 MiB.
   */
  maxBytes?: number;
  /**
   * The share of `max` and of `maxBytes` kept for anonymous sessions (those without a user):
   * signed-in sessions never use more than the rest, so visitors on the login page keep their
   * sessions (and CSRF tokens) whatever a flood of sign-ins does. A number from 0 to below 1.
   * Default 0.2.
   */
  anonymousShare?: number;
  /** How often expired sessions are swept, in milliseconds; 0 turns the sweep off. Default 60 000. */
  pruneInterval?: number;
}

// What maxBytes counts for each session beyond its characters: the entry, its numbers and its map
// slots (measured at about 170 bytes on Node 20: `npm run bench -- memory`).
const ENTRY_OVERHEAD = 200;

const DEFAULT_MAX_BYTES = 64 * 1024 * 1024;

// One session, as small as V8 keeps it: its data as one flat JSON text (one string instead of a map
// of per-key texts, which cost twice the memory), and its times as plain fields. Callers never
// share objects with the store, as with a real database: every read parses the text afresh.
class Entry {
  constructor(
    readonly text: string,
    public expires: number,
    readonly created: number,
    public touched: number,
    readonly user: string | undefined,
  ) {}
}

function sizeOf(id: string, entry: Entry): number {
  return id.length + entry.text.length + (entry.user?.length ?? 0) + ENTRY_OVERHEAD;
}

/** One class of sessions (anonymous or signed-in), least recently used first. */
class Lru {
  // Map iteration order is insertion order: re-inserting on use keeps the least recently used first.
  readonly entries = new Map<string, Entry>();
  bytes = 0;

  add(id: string, entry: Entry): void {
    this.entries.set(id, entry);
    this.bytes += sizeOf(id, entry);
  }

  delete(id: string, entry: Entry): void {
    this.entries.delete(id);
    this.bytes -= sizeOf(id, entry);
  }

  /** Moves `id` to the most recently used end. */
  use(id: string, entry: Entry): void {
    this.entries.delete(id);
    this.entries.set(id, entry);
  }
}

/**
 * A bounded in-memory store implementing the whole contract: fit for production in a single
 * process (sessions do not survive a restart and are not shared between processes).
 *
 * Unlike express-session's MemoryStore it cannot grow without bound: it keeps at most `max`
 * sessions and `maxBytes` bytes, and an unref'd timer sweeps expired sessions, which are never
 * served in between. Past a bound it evicts the least recently used session, in this order:
 *
 * - anonymous sessions (no user) go first: a flood of anonymous visitors evicts only anonymous
 *   sessions, never a signed-in one;
 * - signed-in sessions never take more than `1 - anonymousShare` of either bound; past that, the
 *   least recently used signed-in session goes, so a flood of sign-ins cannot evict every anonymous
 *   visitor either;
 * - a single session larger than its class may hold is refused with a {@link StoreError} (503),
 *   and the session stored under that ID before is kept.
 *
 * @example
 * ```ts
 * import session, { MemoryStore } from 'coatcheck';
 * app.use(session({ secret, store: new MemoryStore({ max: 50_000, maxBytes: 256 * 1024 * 1024 }) }));
 * ```
 */
export class MemoryStore extends StoreBase implements SessionStore {
  /** What `maxBytes` counts for each session beyond the characters of its ID, data JSON and user. */
  static readonly entryOverhead = ENTRY_OVERHEAD;
  readonly name = 'memory';
  readonly max: number;
  readonly maxBytes: number;
  readonly anonymousShare: number;
  // Signed-in sessions' own bounds: what is left of `max` and `maxBytes` after the anonymous share.
  readonly #signedInMax: number;
  readonly #signedInMaxBytes: number;
  readonly #anonymous = new Lru();
  readonly #signedIn = new Lru();
  readonly #byUser = new Map<string, Set<string>>();
  /** The forwards rotations leave (store contract, rule 8): this store's own, not the middleware's trail. */
  #forwards = new RotationTrail();

  constructor(options: MemoryStoreOptions = {}) {
    super();
    // A MemoryStore itself answers the session engine synchronously; a subclass may override its
    // methods with I/O, so it is called like any other store (through its methods, with a timeout).
    if (new.target === MemoryStore) {
      offerImmediateCalls(this, {
        read: (id) => this.#read(id),
        write: (id, record, json) => this.#write(id, record, json),
        patch: (id, patch, json) => this.#patch(id, patch, json),
        refresh: (id, expires, touched, cookie) => this.#refresh(id, expires, touched, cookie),
        rotate: (oldId, newId, record, json) => this.#rotate(oldId, newId, record, json),
        remove: (id) => this.#remove(id),
      });
    }
    const {
      max = 10_000,
      maxBytes = DEFAULT_MAX_BYTES,
      anonymousShare = 0.2,
      pruneInterval = 60_000,
    } = options;
    if (!Number.isInteger(max) || max < 1) throw new TypeError('MemoryStore: max must be a positive integer');
    if (!(Number.isInteger(maxBytes) || maxBytes === Number.POSITIVE_INFINITY) || maxBytes < 1) {
      throw new TypeError('MemoryStore: maxBytes must be a positive integer or Infinity');
    }
    if (typeof anonymousShare !== 'number' || !(anonymousShare >= 0 && anonymousShare < 1)) {
      throw new TypeError('MemoryStore: anonymousShare must be a number from 0 to below 1');
    }
    checkPruneInterval('MemoryStore', pruneInterval);
    this.max = max;
    this.maxBytes = maxBytes;
    this.anonymousShare = anonymousShare;
    this.#signedInMax = max - Math.floor(max * anonymousShare);
    this.#signedInMaxBytes =
      maxBytes === Number.POSITIVE_INFINITY ? maxBytes : maxBytes - Math.floor(maxBytes * anonymousShare);
    this.startPruning(pruneInterval, () => this.prune());
  }

  #check(operation: StoreOperation): void {
    if (this.closed) throw new StoreClosedError(this.name, operation);
  }

  #classOf(entry: Entry): Lru {
    return entry.user === undefined ? this.#anonymous : this.#signedIn;
  }

  #find(id: string): Entry | undefined {
    return this.#anonymous.entries.get(id) ?? this.#signedIn.entries.get(id);
  }

  #live(id: string, now: number): Entry | undefined {
    const entry = this.#find(id);
    if (entry === undefined) return undefined;
    // Not `<= now`: an expiry that is not a number (NaN) reads as expired too.
    if (!(entry.expires > now)) {
      this.#delete(id, entry);
      return undefined;
    }
    return entry;
  }

  #delete(id: string, entry: Entry): void {
    this.#classOf(entry).delete(id, entry);
    if (entry.user !== undefined) this.#unindex(entry.user, id);
  }

  #unindex(user: string, id: string): void {
    const ids = this.#byUser.get(user);
    if (!ids) return;
    ids.delete(id);
    if (ids.size === 0) this.#byUser.delete(user);
  }

  #index(user: string, id: string): void {
    let ids = this.#byUser.get(user);
    if (!ids) {
      ids = new Set();
      this.#byUser.set(user, ids);
    }
    ids.add(id);
  }

  /** Stores `entry` as the most recently used, then evicts what the bounds require (see the class). */
  #put(id: string, entry: Entry, operation: 'write' | 'patch'): void {
    const previous = this.#find(id);
    const size = sizeOf(id, entry);
    // The room this session may have: anonymous sessions may use whatever signed-in ones do not.
    const room =
      entry.user === undefined
        ? this.maxBytes -
          this.#signedIn.bytes +
          (previous !== undefined && previous.user !== undefined ? sizeOf(id, previous) : 0)
        : this.#signedInMaxBytes;
    if (size > room) {
      throw new StoreError(this.name, operation, {
        message: `${this.name} store: a session of ${size} bytes does not fit in maxBytes (${this.maxBytes})`,
      });
    }
    if (previous !== undefined) this.#delete(id, previous);
    const lru = this.#classOf(entry);
    lru.add(id, entry);
    if (entry.user !== undefined) {
      this.#index(entry.user, id);
      while (lru.entries.size > this.#signedInMax || lru.bytes > this.#signedInMaxBytes)
        this.#evictOldest(lru);
    }
    const anonymous = this.#anonymous;
    while (
      anonymous.entries.size + this.#signedIn.entries.size > this.max ||
      anonymous.bytes + this.#signedIn.bytes > this.maxBytes
    ) {
      // Only with an anonymous share of less than one session can the new anonymous session be the
      // last one left; then a signed-in session makes room, as in an unshared LRU.
      const oldest = anonymous.entries.keys().next();
      this.#evictOldest(oldest.done || oldest.value === id ? this.#signedIn : anonymous);
    }
  }

  #evictOldest(lru: Lru): void {
    const oldest = lru.entries.entries().next();
    if (!oldest.done) this.#delete(oldest.value[0], oldest.value[1]);
  }

  #record(entry: Entry): SessionRecord {
    // Records arrive through write() from anyone (express-session's set(), an application), so
    // what comes back out is checked like any store's.
    return decodeRecord(this.name, {
      data: entry.text,
      expires: entry.expires,
      created: entry.created,
      touched: entry.touched,
      user: entry.user,
    });
  }

  async read(id: string): Promise<SessionRecord | undefined> {
    return this.#read(id);
  }

  #read(id: string): SessionRecord | undefined {
    this.#check('read');
    // A record written with an expiry that is no time is reported as damaged, as from any store
    // (the middleware then removes it); every other path treats it as expired.
    if (Number.isNaN(this.#find(id)?.expires)) throw new SessionRecordError(this.name, 'expires');
    const entry = this.#live(id, Date.now());
    if (entry === undefined) return undefined;
    this.#classOf(entry).use(id, entry);
    return this.#record(entry);
  }

  async write(id: string, record: SessionRecord): Promise<void> {
    this.#write(id, record, undefined);
  }

  #write(id: string, record: SessionRecord, json: ReadonlyMap<string, string> | undefined): void {
    this.#check('write');
    const text = encode(record.data, json);
    this.#put(
      id,
      new Entry(text, record.expires, record.created, record.touched, record.user ?? undefined),
      'write',
    );
  }

  async patch(id: string, patch: SessionPatch): Promise<boolean> {
    return this.#patch(id, patch, undefined);
  }

  #patch(id: string, patch: SessionPatch, encoded: ReadonlyMap<string, string> | undefined): boolean {
    this.#check('patch');
    const entry = this.#live(id, Date.now());
    if (entry === undefined) return false;
    const text = spliced(entry.text, patch, encoded);
    // This store writes every text itself, as compact JSON of an object: anything else is damage.
    if (text === undefined) throw new SessionRecordError(this.name, 'data');
    const user = patch.user === undefined ? entry.user : (patch.user ?? undefined);
    this.#put(id, new Entry(text, patch.expires, entry.created, patch.touched, user), 'patch');
    return true;
  }

  async refresh(id: string, expires: number, touched: number, cookie?: CookieJSON): Promise<boolean> {
    return this.#refresh(id, expires, touched, cookie);
  }

  #refresh(id: string, expires: number, touched: number, cookie?: CookieJSON): boolean {
    this.#check('refresh');
    const entry = this.#live(id, Date.now());
    if (entry === undefined) return false;
    if (cookie !== undefined) {
      const data = JSON.parse(entry.text) as StoredData;
      data.cookie = cookie;
      this.#put(id, new Entry(encode(data, undefined), expires, entry.created, touched, entry.user), 'patch');
      return true;
    }
    entry.expires = expires;
    entry.touched = touched;
    return true;
  }

  /** Synchronous, so nothing can land between the check of the old session and the move. */
  async rotate(oldId: string, newId: string, record: SessionRecord): Promise<boolean> {
    return this.#rotate(oldId, newId, record, undefined);
  }

  #rotate(
    oldId: string,
    newId: string,
    record: SessionRecord,
    json: ReadonlyMap<string, string> | undefined,
  ): boolean {
    this.#check('rotate');
    if (this.#live(oldId, Date.now()) === undefined) return false;
    // The new one first: a session too large for the bounds fails the rotate and keeps the old one.
    this.#write(newId, record, json);
    const old = this.#find(oldId);
    if (old !== undefined) this.#delete(oldId, old);
    this.#forwards.note(oldId, newId);
    return true;
  }

  async remove(id: string): Promise<void> {
    this.#check('remove');
    this.#remove(id);
  }

  #remove(id: string): void {
    for (const each of [id, ...this.#forwards.take(id)]) {
      const entry = this.#find(each);
      if (entry) this.#delete(each, entry);
    }
  }

  #all(): Array<[string, Entry]> {
    return [...this.#anonymous.entries, ...this.#signedIn.entries];
  }

  async ids(): Promise<string[]> {
    this.prune();
    return [...this.#anonymous.entries.keys(), ...this.#signedIn.entries.keys()];
  }

  async entries(): Promise<Array<[string, SessionRecord]>> {
    this.prune();
    return decodeRows(this.#all(), ([id, entry]) => [id, this.#record(entry)]);
  }

  async count(): Promise<number> {
    this.prune();
    return this.#anonymous.entries.size + this.#signedIn.entries.size;
  }

  /** Bytes held now, as `maxBytes` counts them (expired sessions not yet swept included). */
  get bytes(): number {
    return this.#anonymous.bytes + this.#signedIn.bytes;
  }

  async purge(): Promise<void> {
    for (const lru of [this.#anonymous, this.#signedIn]) {
      lru.entries.clear();
      lru.bytes = 0;
    }
    this.#byUser.clear();
    this.#forwards = new RotationTrail();
  }

  async listByUser(user: string): Promise<Array<[string, SessionRecord]>> {
    const now = Date.now();
    const out: Array<[string, SessionRecord]> = [];
    for (const id of [...(this.#byUser.get(user) ?? [])]) {
      const entry = this.#live(id, now);
      const record = entry && skipDamaged(() => this.#record(entry));
      if (record) out.push([id, record]);
    }
    return out;
  }

  async removeByUser(user: string, exceptId?: string): Promise<number> {
    let removed = 0;
    const now = Date.now();
    for (const id of [...(this.#byUser.get(user) ?? [])]) {
      if (id === exceptId) continue;
      const entry = this.#find(id);
      if (!entry) continue;
      if (entry.expires > now) removed++;
      this.#delete(id, entry);
    }
    return removed;
  }

  /** Deletes expired sessions now; the timer calls this every `pruneInterval`. */
  prune(): number {
    this.#check('prune');
    const now = Date.now();
    let pruned = 0;
    for (const [id, entry] of this.#all()) {
      if (!(entry.expires > now)) {
        this.#delete(id, entry);
        pruned++;
      }
    }
    return pruned;
  }
}

/** The JSON text of one key the patch sets: from `encoded` when the middleware has it, else made. */
function setText(patch: SessionPatch, key: string, encoded: ReadonlyMap<string, string> | undefined) {
  return encoded?.get(key) ?? (JSON.stringify(patch.set[key]) as string | undefined);
}

/**
 * The stored text with `patch` applied, changing only the members it names: the others keep their
 * text, so nothing is parsed or written out again. Keys keep their places, new ones go last, and a
 * key set to `undefined` goes, as with `JSON.stringify` of the patched data (the property test in
 * test/stores/memory.test.ts holds it to `applyPatch`). `undefined` for text that is not compact
 * JSON of an object, which this store never writes.
 */
function spliced(
  stored: string,
  patch: SessionPatch,
  encoded: ReadonlyMap<string, string> | undefined,
): string | undefined {
  const members = jsonMembers(stored);
  if (members === undefined) return undefined;
  const { set, unset } = patch;
  let text = '{';
  const add = (keyText: string, value: string | undefined) => {
    if (value !== undefined) text += `${text.length === 1 ? '' : ','}${keyText}:${value}`;
  };
  for (const { key, keyText, value } of members) {
    if (key !== '__proto__' && Object.hasOwn(set, key)) add(keyText, setText(patch, key, encoded));
    else if (!unset.includes(key)) add(keyText, value);
  }
  for (const key of Object.keys(set)) {
    if (key === '__proto__' || members.some((member) => member.key === key)) continue;
    add(JSON.stringify(key), setText(patch, key, encoded));
  }
  return flat(`${text}}`);
}

/**
 * `JSON.stringify(data)`, taking the text of keys found in `encoded` from there (the middleware has
 * encoded them already). Keys `JSON.stringify` would drop are dropped.
 */
function encode(data: StoredData, encoded: ReadonlyMap<string, string> | undefined): string {
  if (encoded === undefined || encoded.size === 0) return flat(JSON.stringify(data));
  let text = '{';
  for (const key of Object.keys(data)) {
    const json = encoded.get(key) ?? (JSON.stringify(data[key]) as string | undefined);
    if (json === undefined) continue;
    text += `${text.length === 1 ? '' : ','}${JSON.stringify(key)}:${json}`;
  }
  return flat(`${text}}`);
}

/**
 * V8 builds a long string (from `JSON.stringify` or `+`) as a rope of pieces, which costs about 140
 * bytes more per session than one flat string. Converting it to a number flattens it in place; the
 * result is compared so the conversion cannot be dropped as unused.
 */
function flat(text: string): string {
  return Number.isNaN(Number(text)) ? text : String(text);
}
