import { BINDING_KEY } from '../device-bound/binding.js';
import { SessionDestroyedError } from '../errors.js';
import { type Callback, withCallback } from '../lib/settle.js';
import type { Cookie } from './cookie.js';

/** What a session needs from the request that owns it; implemented by the middleware. */
export interface SessionHost {
  regenerate(session: Session, keepData: boolean): Promise<void>;
  destroy(session: Session): Promise<void>;
  reload(session: Session): Promise<void>;
  save(session: Session): Promise<void>;
}

/** Bookkeeping of one session object, kept off its enumerable keys. */
export interface SessionState {
  /** The session ID, behind the read-only `id` getter. */
  readonly id: string;
  host: SessionHost;
  /** Not yet in the store. */
  isNew: boolean;
  /** JSON of each top-level key as last read from or written to the store. */
  snapshot: Map<string, string>;
  /** JSON of the cookie's settings (without its expiry) as last stored. */
  cookieSnapshot: string;
  created: number;
  touched: number;
  /** When the store will drop it, as last written or read. */
  expires: number;
  user: string | undefined;
  destroyed: boolean;
  /** The store no longer has it (removed by another request): nothing more is written. */
  gone: boolean;
  /** Made because the store failed, under `onStoreError: 'continue'`: never written, no cookie. */
  offline?: boolean | undefined;
  /** `save()` wrote it during this request: the end of the request writes only what changed since. */
  saved?: boolean | undefined;
  /**
   * Made by regenerate() and stored empty, so that the old session's removal was one decision with
   * its creation; deleted again at the end of the request if nothing was put in it.
   */
  provisional?: boolean | undefined;
  /** The ID this session's data moved from, when it was made by `rotate()`. */
  rotatedFrom?: string | undefined;
  /** The device binding (its shape is device-bound/'s), stored under its own key, never on the session. */
  binding?: unknown;
  /** `binding` was replaced in this request and must be written. */
  bindingChanged?: boolean | undefined;
}

export const STATE = Symbol('coatcheck.session');

/** Keys a stored session may not put on a `Session`: they would replace its methods or prototype. */
export function isReservedKey(key: string): boolean {
  return (
    key === '__proto__' || key === 'id' || key === 'cookie' || key === BINDING_KEY || key in Session.prototype
  );
}

/**
 * Makes `target` the session `source` was built as: its ID, bookkeeping and cookie, and, unless
 * `keepData`, its (empty) data. rotate() and regenerate() end this way, so the object the
 * application holds is the session after the call too: a reference taken before
 * `await session.rotate()` does not silently point at a destroyed session.
 */
export function takeOver(target: Session, source: Session, keepData: boolean): void {
  const data = target as unknown as Record<string, unknown>;
  if (!keepData) {
    for (const key of Object.keys(target)) if (key !== 'cookie') delete data[key];
    for (const key of Object.keys(source)) {
      if (key !== 'cookie') data[key] = (source as unknown as Record<string, unknown>)[key];
    }
  }
  target.cookie = source.cookie;
  (target as { [STATE]: SessionState })[STATE] = source[STATE];
}

/**
 * `req.session`: the session's data as plain properties, and express-session's methods, each of
 * which takes an optional callback and returns a promise.
 *
 * @example
 * ```ts
 * app.post('/login', async (req, res) => {
 *   await req.session.rotate();        // new ID, same cart: the old ID is dead at once
 *   req.session.userId = user.id;
 *   res.redirect('/');
 * });
 * ```
 */
export class Session {
  /** The session cookie's settings. */
  cookie: Cookie;
  // A symbol key, and not enumerable: invisible to Object.keys, for…in and JSON, and not copied by
  // Object.assign or `{ ...req.session }`, so a copy of the data taken before regenerate() and
  // assigned back after it (as passport-style logins do) cannot put the old session back in place.
  // Replaced only by takeOver(), when rotate() or regenerate() moves this object to a new ID.
  declare readonly [STATE]: SessionState;

  constructor(cookie: Cookie, state: SessionState, data?: Record<string, unknown>) {
    Object.defineProperty(this, STATE, { value: state, writable: true, enumerable: false });
    this.cookie = cookie;
    if (data) {
      for (const key of Object.keys(data)) {
        if (!isReservedKey(key)) (this as Record<string, unknown>)[key] = data[key];
      }
    }
  }

  /** The session ID (never log it: use the `handle` of session events instead). */
  get id(): string {
    return this[STATE].id;
  }

  /**
   * Empties this session and moves it to a new ID; the old ID is deleted from the store. The object
   * stays the same (`req.session` before and after the call is one object), as with `rotate()`.
   */
  regenerate(callback?: Callback): Promise<void> {
    return this.#run('regenerate', (host) => host.regenerate(this, false), callback);
  }

  /**
   * Moves this session's data to a new ID and deletes the old one, at once: call it on login and on
   * any change of privilege, so an ID an attacker planted or saw before is worthless. This object
   * is the session under its new ID afterwards, so a reference held across the call keeps working.
   */
  rotate(callback?: Callback): Promise<void> {
    return this.#run('rotate', (host) => host.regenerate(this, true), callback);
  }

  /** Deletes the session from the store; `req.session` is unset. */
  destroy(callback?: Callback): Promise<void> {
    return this.#run('destroy', (host) => host.destroy(this), callback);
  }

  /** Replaces this session's data with what the store has now. */
  reload(callback?: Callback): Promise<void> {
    return this.#run('reload', (host) => host.reload(this), callback);
  }

  /** Writes the session now rather than at the end of the response. */
  save(callback?: Callback): Promise<void> {
    return this.#run('save', (host) => host.save(this), callback);
  }

  /** Restarts the cookie's `maxAge`, as express-session does on every request. */
  touch(): this {
    return this.resetMaxAge();
  }

  /** Restarts the cookie's `maxAge`. */
  resetMaxAge(): this {
    if (this.cookie.originalMaxAge !== null) this.cookie.maxAge = this.cookie.originalMaxAge;
    return this;
  }

  #run(
    operation: string,
    run: (host: SessionHost) => Promise<void>,
    callback: Callback | undefined,
  ): Promise<void> {
    const state = this[STATE];
    const promise = state.destroyed ? Promise.reject(new SessionDestroyedError(operation)) : run(state.host);
    return withCallback(promise, callback) as Promise<void>;
  }
}
