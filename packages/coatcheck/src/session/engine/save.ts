import { BINDING_KEY } from '../../device-bound/binding.js';
import { andThen } from '../../lib/settle.js';
import type { SessionPatch, SessionRecord } from '../../stores/contract.js';
import { Cookie } from '../cookie.js';
import { type Session, type SessionState, STATE } from '../session.js';
import { type Changes, changesOf, cookieSettingsKey } from './changes.js';
import { type EngineContext, userOf } from './context.js';
import { recordOf } from './records.js';
import type { Maybe } from './store-calls.js';
import { expiryOf, restartCookie, touchDue } from './timeouts.js';

/** After a write: the state now matches what the store holds. */
function settle(
  state: SessionState,
  changes: Changes,
  session: Session,
  now: number,
  user: string | undefined,
  expires: number,
): void {
  state.expires = expires;
  state.snapshot = changes.json;
  state.cookieSnapshot = cookieSettingsKey(session.cookie);
  state.touched = now;
  state.user = user;
}

function emitCreated(context: EngineContext, id: string): void {
  const { reporter } = context.options;
  reporter.emit('created', { handle: reporter.handleOf(id) });
}

/**
 * Writes the session if it needs writing: all of it when new, only the keys that changed
 * otherwise (a patch, so concurrent requests lose nothing), or just a refresh of its expiry when
 * nothing changed and `touchAfter` has passed. `explicit` is a `save()` call. Returns whether the
 * session was modified (for the cookie decision): at once when nothing had to wait for the store.
 */
export function persist(context: EngineContext, session: Session, explicit: boolean): Maybe<boolean> {
  const state = session[STATE];
  if (state.destroyed || state.gone || state.offline) return false;
  const { options, calls } = context;
  const now = Date.now();
  restartCookie(options, session.cookie, state.created, now);
  const changes = changesOf(session, state);
  const user = userOf(options, session);
  const expires = expiryOf(options, session, state.created, now);

  const bindingChanged = state.bindingChanged === true;
  const wanted = explicit || changes.modified || bindingChanged || options.saveUninitialized;
  if (state.provisional && !wanted) {
    // regenerate() stored an empty session to make the move one decision; nothing was put in it,
    // so it goes again and the browser keeps no session, as with express-session.
    return andThen(calls.remove(session.id), () => {
      state.provisional = false;
      state.isNew = true;
      return false;
    });
  }

  if (state.isNew) {
    if (!wanted) return false;
    const record = recordOf(session, state, changes.json, now, expires, user);
    return andThen(calls.write(session.id, record, changes.json), () => {
      state.isNew = false;
      state.bindingChanged = false;
      settle(state, changes, session, now, user, expires);
      if (!state.rotatedFrom) emitCreated(context, session.id);
      return true;
    });
  }

  const userChanged = user !== state.user;
  // As express-session: `resave` rewrites a session the request did not save itself, not one it did.
  const resave = options.resave && !state.saved;
  if (changes.modified || userChanged || explicit || resave || bindingChanged) {
    const set = resave
      ? Object.fromEntries([...changes.json].map(([k, v]) => [k, JSON.parse(v)]))
      : changes.set;
    set.cookie = session.cookie.toJSON();
    const unset = changes.unset;
    if (bindingChanged) {
      if (state.binding === undefined) unset.push(BINDING_KEY);
      else set[BINDING_KEY] = state.binding;
      state.bindingChanged = false;
    }
    const patch: SessionPatch = { set, unset, expires, touched: now };
    if (userChanged) patch.user = user ?? null;
    return andThen(calls.patch(session.id, patch, changes.json), (kept) => {
      if (!kept) {
        state.gone = true;
        return false;
      }
      settle(state, changes, session, now, user, expires);
      if (state.provisional) {
        state.provisional = false;
        emitCreated(context, session.id);
      }
      return changes.modified;
    });
  }

  if (state.saved || !touchDue(options, session, state.touched, now)) return false;
  // A cookie with an expiry just moved it (restartCookie): the stored cookie moves with the record,
  // as express-session's touch() would move it, so stores that read it (connect stores) agree.
  const cookie = session.cookie.originalMaxAge === null ? undefined : session.cookie.toJSON();
  return andThen(calls.refresh(session.id, expires, now, cookie), (kept) => {
    if (!kept) state.gone = true;
    else {
      state.touched = now;
      state.expires = expires;
    }
    return false;
  });
}

/**
 * Whether a sealed cookie must be written before the headers go (streaming): the same triggers as
 * {@link persist}, asked early, since the cookie carries the record.
 */
export function writeDueEarly(
  context: EngineContext,
  session: Session,
  changes: Changes,
  now: number,
): boolean {
  const state = session[STATE];
  const { options } = context;
  return (
    state.isNew ||
    changes.modified ||
    options.resave ||
    userOf(options, session) !== state.user ||
    touchDue(options, session, state.touched, now)
  );
}

/** The whole record, now: for a local store when the headers go out before the response ends. */
export function writeEarly(context: EngineContext, session: Session, changes: Changes, now: number): void {
  const state = session[STATE];
  const { options } = context;
  const expires = expiryOf(options, session, state.created, now);
  const record = recordOf(session, state, changes.json, now, expires, userOf(options, session));
  context.persistence.writeNow?.(session.id, record);
}

/**
 * The session `rotate()` (keepData) or `regenerate()` moves to: a fresh ID, the data when kept,
 * the cookie's settings and lifetime carried over.
 */
export function prepareMove(session: Session, next: Session, keepData: boolean): void {
  if (!keepData) return;
  next[STATE].rotatedFrom = session.id;
  next.cookie = new Cookie({ ...session.cookie.data, maxAge: session.cookie.originalMaxAge });
}

/**
 * The stored half of rotate()/regenerate(): the old session's removal and the new one's creation
 * as one store decision. Resolves `false` when the old session is gone (destroyed, revoked or
 * expired meanwhile): nothing is created, so a logout is never undone. regenerate()'s new session
 * starts empty but stored, still indexed under the old owner, so a "log out everywhere" that lands
 * before this request ends finds it; it is deleted again at the end if nothing was put in it.
 */
export async function moveStored(
  context: EngineContext,
  session: Session,
  next: Session,
  keepData: boolean,
  now: number,
): Promise<boolean> {
  const { options, calls } = context;
  const state = session[STATE];
  const nextState = next[STATE];
  let changes: Changes | undefined;
  let record: SessionRecord;
  let user: string | undefined;
  const expires = expiryOf(options, next, nextState.created, now);
  if (keepData) {
    restartCookie(options, next.cookie, nextState.created, now);
    changes = changesOf(next, nextState);
    user = userOf(options, next);
    record = recordOf(next, nextState, changes.json, now, expires, user);
  } else {
    user = state.user;
    record = recordOf(next, nextState, new Map(), now, expires, user);
  }
  const moved = await calls.rotate(session.id, next.id, record, changes?.json);
  if (!moved) return false;
  nextState.isNew = false;
  if (keepData) nextState.bindingChanged = false;
  nextState.touched = now;
  nextState.expires = expires;
  nextState.user = user;
  if (changes) {
    nextState.snapshot = changes.json;
    nextState.cookieSnapshot = cookieSettingsKey(next.cookie);
  } else {
    nextState.provisional = true;
  }
  return true;
}
