import { StoreClosedError } from '../errors.js';
import type { CookieJSON, SessionPatch, SessionRecord, SessionStore, StoredData } from './contract.js';
import { IMMEDIATE_CALLS, type ImmediateStoreCalls } from './immediate.js';
import { Store } from './store.js';

/** Options of {@link MemoryStore}. */
export interface MemoryStoreOptions {
  /** Most sessions kept; past it the least recently used is evicted. Default 10 000. */
  max?: number;
  /** How often expired sessions are swept, in milliseconds; 0 turns the sweep off. Default 60 000. */
  pruneInterval?: number;
}

interface Entry {
  // Data is kept as JSON, one text per top-level key, so that callers never share objects with the
  // store (as with a real database) and a patch re-encodes only the keys it changes. Never mutated:
  // a reader may hold it as its snapshot.
  keys: ReadonlyMap<string, string>;
  expires: number;
  created: number;
  touched: number;
  user: string | undefined;
}

/**
 * A bounded in-memory store implementing the whole contract: fit for production in a single
 * process (sessions do not survive a restart and are not shared between processes).
 *
 * Unlike express-session's MemoryStore it cannot grow without bound: it keeps at most `max`
 * sessions, evicting the least recently used, and an unref'd timer sweeps expired ones, which are
 * never served in between.
 *
 * @example
 * ```ts
 * import session, { MemoryStore } from 'coatcheck';
 * app.use(session({ secret, store: new MemoryStore({ max: 50_000 }) }));
 * ```
 */
export class MemoryStore extends Store implements SessionStore {
  readonly name = 'memory';
  /**
   * True for a MemoryStore itself; a subclass may override its methods with I/O, so it gets the
   * store timeout like any other store.
   */
  readonly inProcess: boolean;
  readonly [IMMEDIATE_CALLS]: ImmediateStoreCalls | undefined;
  readonly max: number;
  // Map iteration order is insertion order: re-inserting on use keeps the least recently used first.
  readonly #entries = new Map<string, Entry>();
  readonly #byUser = new Map<string, Set<string>>();
  #timer: NodeJS.Timeout | undefined;
  #closed = false;

  constructor(options: MemoryStoreOptions = {}) {
    super();
    this.inProcess = new.target === MemoryStore;
    this[IMMEDIATE_CALLS] = this.inProcess
      ? {
          read: (id) => this.#read(id),
          patch: (id, patch) => this.#patch(id, patch),
          refresh: (id, expires, touched, cookie) => this.#refresh(id, expires, touched, cookie),
        }
      : undefined;
    const { max = 10_000, pruneInterval = 60_000 } = options;
    if (!Number.isInteger(max) || max < 1) throw new TypeError('MemoryStore: max must be a positive integer');
    if (!Number.isFinite(pruneInterval) || pruneInterval < 0) {
      throw new TypeError('MemoryStore: pruneInterval must be a number of milliseconds ≥ 0');
    }
    this.max = max;
    if (pruneInterval > 0) {
      this.#timer = setInterval(() => this.prune(), pruneInterval);
      this.#timer.unref();
    }
  }

  #check(operation: 'read' | 'write' | 'patch' | 'refresh' | 'rotate'): void {
    if (this.#closed) throw new StoreClosedError(this.name, operation);
  }

  #live(id: string, now: number): Entry | undefined {
    const entry = this.#entries.get(id);
    if (entry === undefined) return undefined;
    if (entry.expires <= now) {
      this.#delete(id, entry);
      return undefined;
    }
    return entry;
  }

  #delete(id: string, entry: Entry): void {
    this.#entries.delete(id);
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

  #put(id: string, entry: Entry): void {
    const previous = this.#entries.get(id);
    if (previous) {
      this.#entries.delete(id);
      if (previous.user !== entry.user && previous.user !== undefined) this.#unindex(previous.user, id);
    } else if (this.#entries.size >= this.max) {
      const oldest = this.#entries.keys().next();
      if (!oldest.done) this.#delete(oldest.value, this.#entries.get(oldest.value) as Entry);
    }
    this.#entries.set(id, entry);
    if (entry.user !== undefined) this.#index(entry.user, id);
  }

  #record(entry: Entry): SessionRecord {
    const data: StoredData = {};
    for (const [key, json] of entry.keys) setKey(data, key, JSON.parse(json));
    return {
      data,
      expires: entry.expires,
      created: entry.created,
      touched: entry.touched,
      user: entry.user,
      json: entry.keys,
    };
  }

  async read(id: string): Promise<SessionRecord | undefined> {
    return this.#read(id);
  }

  #read(id: string): SessionRecord | undefined {
    this.#check('read');
    const entry = this.#live(id, Date.now());
    if (entry === undefined) return undefined;
    this.#entries.delete(id);
    this.#entries.set(id, entry);
    return this.#record(entry);
  }

  async write(id: string, record: SessionRecord): Promise<void> {
    this.#check('write');
    const keys = new Map<string, string>();
    for (const key of Object.keys(record.data)) encodeKey(keys, key, record.data[key], record.json);
    this.#put(id, {
      keys,
      expires: record.expires,
      created: record.created,
      touched: record.touched,
      user: record.user ?? undefined,
    });
  }

  async patch(id: string, patch: SessionPatch): Promise<boolean> {
    return this.#patch(id, patch);
  }

  #patch(id: string, patch: SessionPatch): boolean {
    this.#check('patch');
    const entry = this.#live(id, Date.now());
    if (entry === undefined) return false;
    const keys = new Map(entry.keys);
    for (const key of patch.unset) keys.delete(key);
    for (const key of Object.keys(patch.set)) {
      if (key !== '__proto__') encodeKey(keys, key, patch.set[key], patch.json);
    }
    const user = patch.user === undefined ? entry.user : (patch.user ?? undefined);
    this.#put(id, {
      keys,
      expires: patch.expires,
      created: entry.created,
      touched: patch.touched,
      user,
    });
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
      // Entries are never mutated (a reader may hold its keys as a snapshot): a new map of keys.
      const keys = new Map(entry.keys);
      encodeKey(keys, 'cookie', cookie, undefined);
      this.#put(id, { ...entry, keys, expires, touched });
      return true;
    }
    entry.expires = expires;
    entry.touched = touched;
    return true;
  }

  /** Synchronous, so nothing can land between the check of the old session and the move. */
  async rotate(oldId: string, newId: string, record: SessionRecord): Promise<boolean> {
    this.#check('rotate');
    const entry = this.#live(oldId, Date.now());
    if (entry === undefined) return false;
    this.#delete(oldId, entry);
    await this.write(newId, record);
    return true;
  }

  async remove(id: string): Promise<void> {
    const entry = this.#entries.get(id);
    if (entry) this.#delete(id, entry);
  }

  async ids(): Promise<string[]> {
    this.prune();
    return [...this.#entries.keys()];
  }

  async entries(): Promise<Array<[string, SessionRecord]>> {
    this.prune();
    return [...this.#entries].map(([id, entry]) => [id, this.#record(entry)]);
  }

  async count(): Promise<number> {
    this.prune();
    return this.#entries.size;
  }

  async purge(): Promise<void> {
    this.#entries.clear();
    this.#byUser.clear();
  }

  async listByUser(user: string): Promise<Array<[string, SessionRecord]>> {
    const now = Date.now();
    const out: Array<[string, SessionRecord]> = [];
    for (const id of [...(this.#byUser.get(user) ?? [])]) {
      const entry = this.#live(id, now);
      if (entry) out.push([id, this.#record(entry)]);
    }
    return out;
  }

  async removeByUser(user: string, exceptId?: string): Promise<number> {
    let removed = 0;
    const now = Date.now();
    for (const id of [...(this.#byUser.get(user) ?? [])]) {
      if (id === exceptId) continue;
      const entry = this.#entries.get(id);
      if (!entry) continue;
      if (entry.expires > now) removed++;
      this.#delete(id, entry);
    }
    return removed;
  }

  /** Deletes expired sessions now; the timer calls this every `pruneInterval`. */
  prune(): number {
    const now = Date.now();
    let pruned = 0;
    for (const [id, entry] of this.#entries) {
      if (entry.expires <= now) {
        this.#delete(id, entry);
        pruned++;
      }
    }
    return pruned;
  }

  /** Stops the sweep timer and refuses further reads and writes. */
  async close(): Promise<void> {
    this.#closed = true;
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
  }
}

/** Encodes one top-level key as `JSON.stringify` of the whole record would: keys it would drop are dropped. */
function encodeKey(
  keys: Map<string, string>,
  key: string,
  value: unknown,
  encoded: ReadonlyMap<string, string> | undefined,
): void {
  const json = encoded?.get(key) ?? (JSON.stringify(value) as string | undefined);
  if (json === undefined) keys.delete(key);
  else keys.set(key, json);
}

/** `data[key] = value`, as an own property even for `__proto__` (as `JSON.parse` would make it). */
function setKey(data: StoredData, key: string, value: unknown): void {
  if (key === '__proto__')
    Object.defineProperty(data, key, { value, enumerable: true, writable: true, configurable: true });
  else data[key] = value;
}
