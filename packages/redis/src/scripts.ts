/**
 * The Lua scripts of the Redis store. Each touches exactly one key (`KEYS[1]`), so every script runs
 * on Redis Cluster whatever slot its key hashes to; session IDs, user IDs and data only ever travel
 * as `KEYS`/`ARGV`, never inside script text.
 *
 * Field names are those of `fields.ts`. Timestamps come from the application's clock (as ARGV),
 * the same clock that produced the record's `expires`, so "expired" means the same thing to a
 * script as to {@link recordFromHash}.
 *
 * @module
 */
import { createHash } from 'node:crypto';
import { CREATED, EXPIRES, INDEXED, TOUCHED, USER } from './fields.js';

/** A Lua script and its SHA1, for `EVALSHA`. */
export interface Script {
  readonly name: string;
  readonly lua: string;
  readonly sha: string;
}

function script(name: string, lua: string): Script {
  const text = lua
    .replaceAll('$EXPIRES', `'${EXPIRES}'`)
    .replaceAll('$CREATED', `'${CREATED}'`)
    .replaceAll('$TOUCHED', `'${TOUCHED}'`)
    .replaceAll('$USER', `'${USER}'`)
    .replaceAll('$INDEXED', `'${INDEXED}'`)
    .trim();
  return { name, lua: text, sha: createHash('sha1').update(text).digest('hex') };
}

/**
 * Replaces a session. ARGV: expires, PEXPIREAT time, created, touched, `set`|`none`, user,
 * indexed-until, then field/value pairs. Returns the previous owner (nil when none), so the caller
 * can take the ID off that owner's index.
 */
export const WRITE = script(
  'write',
  `
local owner = redis.call('HGET', KEYS[1], $USER)
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], $EXPIRES, ARGV[1], $CREATED, ARGV[3], $TOUCHED, ARGV[4])
if ARGV[5] == 'set' then
  redis.call('HSET', KEYS[1], $USER, ARGV[6], $INDEXED, ARGV[7])
end
for i = 8, #ARGV, 2 do
  redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1])
end
redis.call('PEXPIREAT', KEYS[1], ARGV[2])
return owner
`,
);

/**
 * Creates a session only if its key does not exist yet: the move of a connect-redis session into
 * this layout, which must not overwrite a move (and patch) that another request made first.
 * ARGV as {@link WRITE}'s, without an owner (connect-redis sessions have none). Returns 1 when it
 * created the session, 0 when one was there.
 */
export const CREATE = script(
  'create',
  `
if redis.call('EXISTS', KEYS[1]) == 1 then
  return 0
end
redis.call('HSET', KEYS[1], $EXPIRES, ARGV[1], $CREATED, ARGV[3], $TOUCHED, ARGV[4])
for i = 5, #ARGV, 2 do
  redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1])
end
redis.call('PEXPIREAT', KEYS[1], ARGV[2])
return 1
`,
);

/**
 * Reads a connect-redis session: its JSON and the key's expiry time (epoch ms; negative when the
 * key has none or does not exist), in one round trip.
 */
export const LEGACY_READ = script(
  'legacy-read',
  `
local value = redis.call('GET', KEYS[1])
if not value then
  return nil
end
return {value, redis.call('PEXPIRETIME', KEYS[1])}
`,
);

/**
 * Patches (or, with no fields, refreshes) a live session. ARGV: now, expires, PEXPIREAT time,
 * touched, `keep`|`set`|`clear`, user, indexed-until, count of fields to delete, those fields, then
 * field/value pairs to set.
 *
 * Returns 0 when there is no live session (nothing changed); `{1}` when it had no owner before;
 * `{1, owner, stale}` otherwise, where `owner` is the previous owner and `stale` is 1 when the
 * owner is kept but the session now outlives what `m:indexed` promises of the owner's index.
 */
export const PATCH = script(
  'patch',
  `
local expires = redis.call('HGET', KEYS[1], $EXPIRES)
if not expires or tonumber(expires) <= tonumber(ARGV[1]) then
  return 0
end
local owner = redis.call('HGET', KEYS[1], $USER)
local removed = tonumber(ARGV[8])
for i = 9, 8 + removed do
  redis.call('HDEL', KEYS[1], ARGV[i])
end
for i = 9 + removed, #ARGV, 2 do
  redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1])
end
redis.call('HSET', KEYS[1], $EXPIRES, ARGV[2], $TOUCHED, ARGV[4])
local mode = ARGV[5]
if mode == 'set' then
  redis.call('HSET', KEYS[1], $USER, ARGV[6], $INDEXED, ARGV[7])
elseif mode == 'clear' then
  redis.call('HDEL', KEYS[1], $USER, $INDEXED)
end
redis.call('PEXPIREAT', KEYS[1], ARGV[3])
if not owner then
  return {1}
end
local stale = 0
if mode == 'keep' then
  local indexed = tonumber(redis.call('HGET', KEYS[1], $INDEXED) or '0') or 0
  if indexed < tonumber(ARGV[2]) then
    stale = 1
  end
end
return {1, owner, stale}
`,
);

/**
 * Deletes a session only while it is live (ARGV[1] is now): the second half of a rotate, after the
 * new session was written. Returns 0 when there was no live session (the rotate must fail),
 * `{1}` when one without an owner was deleted, `{1, owner}` otherwise.
 */
export const TAKE = script(
  'take',
  `
local expires = redis.call('HGET', KEYS[1], $EXPIRES)
if not expires or tonumber(expires) <= tonumber(ARGV[1]) then
  return 0
end
local owner = redis.call('HGET', KEYS[1], $USER)
redis.call('DEL', KEYS[1])
if not owner then
  return {1}
end
return {1, owner}
`,
);

/** Deletes a session. Returns its owner (nil when none) for the caller to unindex. */
export const REMOVE = script(
  'remove',
  `
local owner = redis.call('HGET', KEYS[1], $USER)
redis.call('DEL', KEYS[1])
return owner
`,
);

/**
 * Deletes a session only if ARGV[1] owns it; ARGV[2] is now. Returns 1 when a live session was
 * deleted, 0 when an expired one was, -1 when the session is gone or has another owner.
 */
export const REMOVE_OWNED = script(
  'remove-owned',
  `
if redis.call('HGET', KEYS[1], $USER) ~= ARGV[1] then
  return -1
end
local expires = tonumber(redis.call('HGET', KEYS[1], $EXPIRES) or '0') or 0
redis.call('DEL', KEYS[1])
if expires > tonumber(ARGV[2]) then
  return 1
end
return 0
`,
);

/**
 * Adds session ID ARGV[1] to a user's index set and makes the set live at least until ARGV[2]
 * (never shortens it: other sessions of the user may need it longer).
 */
export const INDEX_ADD = script(
  'index-add',
  `
redis.call('SADD', KEYS[1], ARGV[1])
local at = redis.call('PEXPIRETIME', KEYS[1])
if at < tonumber(ARGV[2]) then
  redis.call('PEXPIREAT', KEYS[1], ARGV[2])
end
return 1
`,
);

/**
 * Records in a session that its owner ARGV[1]'s index lives until at least ARGV[2], once the
 * index has been extended; does nothing if the session is gone or changed owner meanwhile.
 */
export const MARK_INDEXED = script(
  'mark-indexed',
  `
if redis.call('HGET', KEYS[1], $USER) == ARGV[1] then
  local indexed = tonumber(redis.call('HGET', KEYS[1], $INDEXED) or '0') or 0
  if indexed < tonumber(ARGV[2]) then
    redis.call('HSET', KEYS[1], $INDEXED, ARGV[2])
  end
end
return 1
`,
);
