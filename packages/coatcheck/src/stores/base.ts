/**
 * What every first-party store shares, so that each store package is its queries and row mapping:
 * the closed state, the mapping of failures to {@link StoreError} under the right operation name,
 * set-up (create the table or indexes) once with a retry after a failure, the prune timer,
 * ownership of clients (close only what the store created), and option checks.
 *
 * @module
 */
import {
  SessionRecordError,
  SessionSerializeError,
  StoreClosedError,
  StoreError,
  type StoreOperation,
} from '../errors.js';
import { isConnectionRefused } from '../lib/connection.js';
import { warn } from '../lib/warn.js';
import { Store } from './store.js';

/** Table and schema names: letters, digits and `_`, leaving room for index-name suffixes. */
const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]{0,47}$/;

/** `value` as a table or schema name, or a `TypeError` naming `option` of `store`'s options. */
export function checkIdentifier(store: string, option: string, value: unknown): string {
  if (typeof value !== 'string' || !IDENTIFIER.test(value)) {
    throw new TypeError(`${store}: ${option} must be 1–48 letters, digits or "_", not starting with a digit`);
  }
  return value;
}

/** `value` as a prune interval (milliseconds, 0 for none), or a `TypeError` naming the option. */
export function checkPruneInterval(store: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new TypeError(`${store}: pruneInterval must be a number of milliseconds ≥ 0`);
  }
  return value;
}

/** `value` as a boolean option, or a `TypeError` naming it. */
export function checkBoolean(store: string, option: string, value: unknown): boolean {
  if (typeof value !== 'boolean') throw new TypeError(`${store}: ${option} must be a boolean`);
  return value;
}

/**
 * Removes `id` and every session it was rotated to since (store contract, rule 8): `removeOne`
 * deletes one session and resolves the IDs its forwards lead to, read *after* the delete (the
 * order that makes a remove in flight with a rotate find the rotate's forward). Each ID is removed
 * once, so hand-written forward rows that make a cycle cannot make this loop.
 *
 * @example
 * ```ts
 * async remove(id: string) {
 *   await removeWithForwards(id, async (one) => {
 *     await db.query('DELETE FROM sessions WHERE id = $1', [one]);
 *     return (await db.query('SELECT new_id FROM sessions_forwards WHERE old_id = $1', [one])).rows.map((r) => r.new_id);
 *   });
 * }
 * ```
 */
export async function removeWithForwards(
  id: string,
  removeOne: (id: string) => Promise<readonly string[]> | readonly string[],
): Promise<void> {
  const pending = [id];
  const seen = new Set<string>();
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    if (seen.has(next)) continue;
    seen.add(next);
    pending.push(...(await removeOne(next)));
  }
}

const warned = new Set<string>();

/**
 * The value of an option under its current name `name`, or under its deprecated name `old` (with
 * one deprecation warning per process); a `TypeError` when both are given.
 */
export function renamedOption<T>(store: string, options: object, name: string, old: string): T | undefined {
  const values = options as Record<string, T | undefined>;
  if (values[old] === undefined) return values[name];
  if (values[name] !== undefined) throw new TypeError(`${store}: give ${name} only (${old} is its old name)`);
  if (!warned.has(`${store}.${old}`)) {
    warned.add(`${store}.${old}`);
    warn(`${store}: the option ${old} is now called ${name}`, {
      type: 'DeprecationWarning',
      code: 'COATCHECK_STORE_OPTION',
    });
  }
  return values[old];
}

/** A set-up that runs once; after a failure, the next call runs it again (the server may be starting). */
class Once {
  readonly #work: () => Promise<void>;
  #pending: Promise<void> | undefined;

  constructor(work: () => Promise<void>) {
    this.#work = work;
  }

  run(): Promise<void> {
    this.#pending ??= this.#work().catch((err: unknown) => {
      this.#pending = undefined;
      throw err;
    });
    return this.#pending;
  }

  /** Resolves once a set-up in flight has finished, whatever its outcome. */
  async settled(): Promise<void> {
    await this.#pending?.catch(() => {});
  }
}

/**
 * The base of the first-party stores. A subclass names itself (`name`), calls {@link run} (or
 * {@link runSync}) around each operation's queries, and registers what it must set up, prune and
 * release; everything else here is the same for every store.
 *
 * @example
 * ```ts
 * class MyStore extends StoreBase {
 *   readonly name = 'mine';
 *   constructor(db) {
 *     super();
 *     this.setUp(() => db.exec('CREATE TABLE IF NOT EXISTS …'));
 *     this.startPruning(60_000, () => this.prune());
 *   }
 *   read(id) { return this.run('read', async () => decode(await db.get(id))); }
 *   prune() { return this.run('prune', () => db.exec('DELETE … WHERE expires <= ?', Date.now())); }
 * }
 * ```
 */
export abstract class StoreBase extends Store {
  abstract readonly name: string;
  #closed = false;
  #setUp: Once | undefined;
  #timer: NodeJS.Timeout | undefined;
  #release: (() => unknown) | undefined;
  /** The last call could not connect at all, and none has succeeded since. */
  #refused = false;

  /** Whether {@link close} has been called. */
  protected get closed(): boolean {
    return this.#closed;
  }

  /**
   * Whether the last call failed to connect at all (refused or unreachable) and none succeeded
   * since: for a `connected()` of a store whose driver does not track its server.
   */
  protected get refused(): boolean {
    return this.#refused;
  }

  /**
   * The driver's error as a `StoreError`'s `cause`: a store whose driver puts session IDs or data
   * into its errors strips them here.
   */
  protected scrub(err: unknown): unknown {
    return err;
  }

  /**
   * Registers the set-up every operation waits for (creating the table or indexes) and, unless
   * `lazy`, starts it now so the first request need not wait; a failure surfaces from the
   * operations, and the next one tries again.
   */
  protected setUp(work: () => Promise<void>, lazy = false): void {
    this.#setUp = new Once(work);
    if (!lazy) this.#setUp.run().catch(() => {});
  }

  /** Registers what {@link close} must release: only what the store opened itself. */
  protected release(close: () => unknown): void {
    this.#release = close;
  }

  /**
   * Calls `prune` every `interval` milliseconds (not at all for 0) until {@link close}, on an
   * unref'd timer; a failure goes to the store's `'error'` listeners, never to an uncaught throw.
   */
  protected startPruning(interval: number, prune: () => unknown): void {
    if (interval <= 0 || this.#timer !== undefined || this.#closed) return;
    this.#timer = setInterval(async () => {
      try {
        await prune();
      } catch (err) {
        this.report(err);
      }
    }, interval);
    // A number on runtimes without Node's timers (workerd), where nothing keeps a process alive anyway.
    (this.#timer as { unref?: () => void }).unref?.();
  }

  /**
   * Warns once that the table rotations leave their forwards in (store contract, rule 8) does not
   * exist, under `createTable: false`: the store then works without forwards, and a logout that
   * races another process's rotation may leave the rotated session signed in. `ddl` creates it.
   */
  protected warnNoForwards(store: string, table: string, ddl: string): void {
    warn(
      `${store}: the table ${table} is missing and createTable is false, so a rotated session is not ` +
        `forwarded: a logout racing another process's rotate() may not end it. Create it with: ${ddl}`,
      { code: 'COATCHECK_NO_FORWARDS' },
    );
  }

  /** A background failure, to the store's `'error'` listeners if it has any. */
  protected report(err: unknown): void {
    if (this.listenerCount('error') > 0) this.emit('error', err);
  }

  #failure(operation: StoreOperation, err: unknown): unknown {
    // Already what the caller should see: a store's own error, data that is not JSON, a damaged record.
    if (
      err instanceof StoreError ||
      err instanceof SessionSerializeError ||
      err instanceof SessionRecordError
    ) {
      return err;
    }
    if (isConnectionRefused(err)) this.#refused = true;
    return new StoreError(this.name, operation, { cause: this.scrub(err) });
  }

  /**
   * Runs one contract operation: refused with `StoreClosedError` once closed, after the set-up,
   * and with any failure reported as a `StoreError` naming `operation`.
   */
  protected async run<T>(operation: StoreOperation, work: () => T | Promise<T>): Promise<T> {
    if (this.#closed) throw new StoreClosedError(this.name, operation);
    try {
      if (this.#setUp) await this.#setUp.run();
      const result = await work();
      this.#refused = false;
      return result;
    } catch (err) {
      throw this.#failure(operation, err);
    }
  }

  /** {@link run} for a driver that answers synchronously (better-sqlite3). */
  protected runSync<T>(operation: StoreOperation, work: () => T): T {
    if (this.#closed) throw new StoreClosedError(this.name, operation);
    try {
      return work();
    } catch (err) {
      throw this.#failure(operation, err);
    }
  }

  /**
   * Stops the prune timer and refuses further work; releases the connection only if the store
   * opened it (a client or pool the application passed stays open). Closing twice is a no-op.
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#setUp?.settled();
    const release = this.#release;
    this.#release = undefined;
    if (release === undefined) return;
    try {
      await release();
    } catch (err) {
      throw new StoreError(this.name, 'close', { cause: this.scrub(err) });
    }
  }
}
