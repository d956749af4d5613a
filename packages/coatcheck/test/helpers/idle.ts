/**
 * "Activity keeps a session alive" on a machine that may be loaded. Between two requests the
 * server can have seen the session idle for at most this request's end minus the previous
 * request's start. When that bound stays under the idle timeout, a session found dead is a bug;
 * when a slow machine pushed it over, the attempt proves nothing either way. Such an attempt is
 * discarded and tried again with a new session, so the test fails only for the first reason.
 */
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';

export interface KeepAlive {
  /** The session's idle timeout, in ms. */
  idleTimeout: number;
  /** The pause between requests, in ms. */
  every: number;
  /** How many requests after the first, each of which must find the session alive. */
  count: number;
  /** Attempts before giving up on a machine too slow to say anything (3). */
  attempts?: number;
}

/**
 * Runs `begin()` (the request that makes the session; it returns the check of one later request,
 * which throws when the session is gone), then `count` checks `every` ms apart. Resolves with the
 * last attempt's state (whatever `begin()` resolved to), so the caller can go on to let it expire.
 */
export async function assertKeptAlive<T>(
  { idleTimeout, every, count, attempts = 3 }: KeepAlive,
  begin: () => Promise<{ state: T; check: (i: number) => Promise<void> }>,
): Promise<T> {
  assert.ok((count + 1) * every > idleTimeout, 'the requests must outlast one idle timeout');
  const discarded: string[] = [];
  for (let attempt = 0; attempt < attempts; attempt++) {
    let previousStart = Date.now();
    const { state, check } = await begin();
    let conclusive = true;
    for (let i = 1; i <= count; i++) {
      await sleep(every);
      const start = Date.now();
      try {
        await check(i);
      } catch (err) {
        const bound = Date.now() - previousStart;
        if (bound < idleTimeout) throw err;
        discarded.push(`attempt ${attempt + 1}: request ${i} came up to ${bound} ms after the last`);
        conclusive = false;
        break;
      }
      previousStart = start;
    }
    if (conclusive) return state;
  }
  assert.fail(
    `the machine was too slow to test an idle timeout of ${idleTimeout} ms: ${discarded.join('; ')}`,
  );
}
