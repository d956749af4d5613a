import type { KeyObject } from 'node:crypto';
import { EventEmitter } from '#events';
import type { StoreError } from '../errors.js';
import { HandleKeys } from '../keys.js';
import { warn } from '../lib/warn.js';

/**
 * What the session middleware reports, by event name. `handle` is a keyed hash of the session ID:
 * it identifies a session in logs and pages without revealing the ID itself.
 */
export interface SessionEvents {
  /** A new session was stored for the first time. */
  created: { handle: string };
  /** A session moved to a new ID with its data (`req.session.rotate()`). */
  rotated: { handle: string; previous: string; user?: string | undefined };
  /** A session ended on request: `destroy()`, `regenerate()`, or `req.session = null` with `unset: 'destroy'`. */
  destroyed: { handle: string; reason: 'destroy' | 'regenerate' | 'unset'; user?: string | undefined };
  /**
   * A session arrived past its idle or absolute timeout and was ended. The store keeps an ended
   * session one more idle timeout (at most 24 hours) for this report; after that it is `unknown`.
   */
  expired: { handle: string; reason: 'idle' | 'absolute'; user?: string | undefined };
  /**
   * Sessions were ended from outside the request: "log out this device" or "everywhere"; with
   * `cookieSession()`, a seal its `notBefore` hook refused.
   */
  revoked: { handles: string[]; user: string };
  /**
   * A session cookie failed its signature (or seal) check or was malformed (bursts of these mean
   * probing); or, with reason `'record'`, its signature was good but the store held a record under
   * its ID that cannot be read back (damaged or written by hand: see `SessionRecordError`). Then
   * `handle` names the session, the request gets a fresh one, and the damaged record is removed.
   */
  tampered: { reason: 'signature' | 'malformed' | 'oversized' | 'record'; handle?: string | undefined };
  /** A correctly signed ID the store does not have: expired and pruned, logged out, or never issued. */
  unknown: { handle: string };
  /** A store operation failed or timed out; the request gets the error (503). */
  storeError: { error: StoreError };
  /** A browser registered a device key for the session (`deviceBound` option): the session is now bound to it. */
  deviceBound: { handle: string; user?: string | undefined };
  /** A bound session's device proved it holds the key and got a new bound cookie. */
  deviceRefreshed: { handle: string; user?: string | undefined };
  /**
   * A registration or refresh was refused: a bad, replayed or foreign proof, an expired challenge,
   * or a request for a session that is not (or no longer) there. `handle` is absent without a session.
   */
  deviceRefreshFailed: {
    step: 'registration' | 'refresh';
    reason: string;
    handle?: string | undefined;
    user?: string | undefined;
  };
  /**
   * A device-bound session's cookie came without a valid, unexpired bound cookie: most likely a
   * copied cookie replayed elsewhere. `enforced` says whether the request was refused the session.
   */
  usedWithoutDeviceProof: {
    handle: string;
    user?: string | undefined;
    reason: 'missing' | 'expired' | 'invalid';
    enforced: boolean;
  };
}

export type SessionEventName = keyof SessionEvents;

/** Typed `on`/`off`/`once` for {@link SessionEvents}. */
export interface SessionEventTarget {
  on<E extends SessionEventName>(event: E, listener: (payload: SessionEvents[E]) => void): this;
  once<E extends SessionEventName>(event: E, listener: (payload: SessionEvents[E]) => void): this;
  off<E extends SessionEventName>(event: E, listener: (payload: SessionEvents[E]) => void): this;
}

/**
 * Why the session a request's cookie named was not used: it had `expired`; the store no longer had
 * it (`unknown`: logged out elsewhere, revoked, or pruned after expiring); a sealed session issued
 * before the user's "not before" time (`revoked`); the cookie failed verification, or the stored
 * record could not be read (`tampered`); or
 * the session is bound to a device and the request did not prove it came from there (`unbound`).
 */
export type EndedReason = 'expired' | 'unknown' | 'revoked' | 'tampered' | 'unbound';

/** Emits session events and derives handles; one per middleware. */
export class SessionReporter {
  readonly emitter = new EventEmitter();
  /** Requests whose cookie named a session that could not be used, and why. */
  readonly ended = new WeakMap<object, EndedReason>();
  readonly #handles: HandleKeys;

  /** `signingKeys`: the session secrets, newest first; handles are keyed by them (see keys.ts). */
  constructor(signingKeys: readonly KeyObject[]) {
    this.#handles = new HandleKeys(signingKeys);
  }

  /** A keyed hash of a session ID under the newest secret: 132 bits, base64url. Safe to log and to show. */
  handleOf(id: string): string {
    return this.#handles.of(id);
  }

  /** Whether `handle` was made for `id`, under any of the listed secrets (a rotation keeps it good). */
  isHandleOf(id: string, handle: string): boolean {
    return this.#handles.matches(id, handle);
  }

  /** Whether anyone listens, so requests skip building payloads nobody reads. */
  wants(event: SessionEventName): boolean {
    return this.emitter.listenerCount(event) > 0;
  }

  emit<E extends SessionEventName>(event: E, payload: SessionEvents[E]): void {
    if (!this.wants(event)) return;
    try {
      this.emitter.emit(event, payload);
    } catch (err) {
      // A failing listener must not fail the request that happened to trigger it.
      warn(`coatcheck: a "${event}" listener threw: ${(err as Error)?.message ?? err}`);
    }
  }
}
