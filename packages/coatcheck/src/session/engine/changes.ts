import { SessionSerializeError } from '../../errors.js';
import type { Cookie } from '../cookie.js';
import { isReservedKey, type Session, type SessionState } from '../session.js';

/** What one request changed in a session, against the snapshot taken when it was loaded or last saved. */
export interface Changes {
  /** Keys whose JSON differs from the snapshot, with their values as a JSON round trip gives them. */
  set: Record<string, unknown>;
  /** Keys the snapshot had and the session no longer has. */
  unset: string[];
  /** The JSON of every key the session holds now: the next snapshot, and the text a store may keep. */
  json: Map<string, string>;
  /** Something changed: a key, or one of the cookie's settings. */
  modified: boolean;
  cookieChanged: boolean;
}

function jsonOf(key: string, value: unknown): string | undefined {
  try {
    return JSON.stringify(value);
  } catch (err) {
    throw new SessionSerializeError(key, { cause: err });
  }
}

/** The cookie's settings but its expiry, as one string: a change of any of them means a save. */
export function cookieSettingsKey(cookie: Cookie): string {
  return `${cookie.originalMaxAge}|${cookie.path}|${cookie.httpOnly}|${cookie.domain}|${cookie.secure}|${cookie.sameSite}|${cookie.partitioned}|${cookie.priority}`;
}

/**
 * Compares the session with its snapshot, key by key on JSON text: change detection is this one
 * function, so a save, a patch and the cookie decision all agree on what "modified" means.
 * Throws {@link SessionSerializeError} for a value JSON cannot encode.
 */
export function changesOf(session: Session, state: SessionState): Changes {
  const set: Record<string, unknown> = {};
  const json = new Map<string, string>();
  let modified = false;
  const values = session as unknown as Record<string, unknown>;
  for (const key of Object.keys(session)) {
    if (key === 'cookie' || isReservedKey(key)) continue;
    const encoded = jsonOf(key, values[key]);
    if (encoded === undefined) continue;
    json.set(key, encoded);
    if (state.snapshot.get(key) !== encoded) {
      set[key] = JSON.parse(encoded);
      modified = true;
    }
  }
  const unset: string[] = [];
  for (const key of state.snapshot.keys()) {
    if (!json.has(key)) {
      unset.push(key);
      modified = true;
    }
  }
  const cookieChanged = state.cookieSnapshot !== cookieSettingsKey(session.cookie);
  return { set, unset, json, modified: modified || cookieChanged, cookieChanged };
}

/** Takes the snapshot of a session just loaded: what {@link changesOf} compares against later. */
export function takeSnapshot(session: Session, state: SessionState): void {
  for (const key of Object.keys(session)) {
    if (key === 'cookie') continue;
    state.snapshot.set(key, JSON.stringify((session as unknown as Record<string, unknown>)[key]));
  }
  state.cookieSnapshot = cookieSettingsKey(session.cookie);
}
