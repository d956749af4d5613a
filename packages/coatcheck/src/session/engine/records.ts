import { BINDING_KEY } from '../../device-bound/binding.js';
import type { SessionRecord, StoredData } from '../../stores/contract.js';
import type { Session, SessionState } from '../session.js';

/**
 * The whole stored record of a session: its cookie, every key from `json` (the session's JSON as
 * {@link changesOf} encoded it), and the device binding under its own key. The one place a record
 * is built, whether for a new session, a rotation or a sealed cookie written early.
 */
export function recordOf(
  session: Session,
  state: SessionState,
  json: ReadonlyMap<string, string>,
  touched: number,
  expires: number,
  user: string | undefined,
): SessionRecord {
  const data: StoredData = { cookie: session.cookie.toJSON() };
  for (const [key, encoded] of json) data[key] = JSON.parse(encoded);
  if (state.binding !== undefined) data[BINDING_KEY] = state.binding;
  return { data, expires, created: state.created, touched, user };
}
