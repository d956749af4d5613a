import { ROTATION_FORWARD_TTL } from '../stores/contract.js';

/**
 * The rotations this process made on one store: old ID → new ID, kept for a while after each.
 *
 * A store's `rotate` is one decision, so a logout that removes the old ID *before* the move makes it
 * fail. The twin race is a logout that loaded the session just before a slower request moved it,
 * and removes the old ID just after: the ID is already gone, and the session lives on under the new
 * one, signed in. Removing the old ID therefore also removes what it became, found here.
 *
 * A move is noted before the store is asked to make it and dropped if it fails, so a remove that
 * lands while the store is still deciding already finds it. Entries live {@link TRAIL_TTL} (a
 * request that loaded a session and destroys it later than that is not protected) and at most
 * {@link TRAIL_LIMIT} of them are kept, the oldest dropped first, so a flood of logins costs a
 * bounded amount of memory. Rotations made by another process are not known here (see the store
 * contract).
 */
export class RotationTrail {
  readonly #next = new Map<string, { to: string; until: number }>();

  /** The trail of `store`, shared by every middleware of this process that uses it. */
  static of(store: object): RotationTrail {
    let trail = trails.get(store);
    if (trail === undefined) {
      trail = new RotationTrail();
      trails.set(store, trail);
    }
    return trail;
  }

  /** `from` is being moved to `to`. */
  note(from: string, to: string, now = Date.now()): void {
    const entries = this.#next;
    entries.delete(from);
    entries.set(from, { to, until: now + TRAIL_TTL });
    if (entries.size > TRAIL_LIMIT) {
      for (const [id, entry] of entries) {
        if (entries.size <= TRAIL_LIMIT && entry.until > now) break;
        entries.delete(id);
      }
    }
  }

  /** The move of `from` to `to` did not happen. */
  drop(from: string, to: string): void {
    if (this.#next.get(from)?.to === to) this.#next.delete(from);
  }

  /**
   * The IDs `id` was moved to, oldest first (a session rotated twice has two), taken off the trail:
   * the caller removes them.
   */
  take(id: string, now = Date.now()): string[] {
    const found: string[] = [];
    let at = id;
    // A cycle cannot be made (IDs are fresh), but the bound costs nothing.
    while (found.length < TRAIL_LIMIT) {
      const entry = this.#next.get(at);
      if (entry === undefined) break;
      this.#next.delete(at);
      if (entry.until <= now) break;
      found.push(entry.to);
      at = entry.to;
    }
    return found;
  }

  /** Entries held, expired ones included until they are dropped. */
  get size(): number {
    return this.#next.size;
  }
}

/** How long a move is remembered, in milliseconds. */
export const TRAIL_TTL = ROTATION_FORWARD_TTL;
/** How many moves are remembered per store. */
export const TRAIL_LIMIT = 10_000;

const trails = new WeakMap<object, RotationTrail>();
