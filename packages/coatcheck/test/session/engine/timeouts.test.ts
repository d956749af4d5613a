import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Cookie } from '../../../src/session/cookie.js';
import {
  endOf,
  expiryOf,
  idleDeadlineOf,
  isLive,
  restartCookie,
  type TimeoutPolicy,
  touchDue,
} from '../../../src/session/engine/timeouts.js';
import type { SessionRecord } from '../../../src/stores/contract.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const policy: TimeoutPolicy = { idleTimeout: 30 * MINUTE, absoluteTimeout: 8 * HOUR, touchAfter: undefined };
const record = (created: number, touched: number, expires: number): SessionRecord => ({
  data: { cookie: { originalMaxAge: null, path: '/' } },
  created,
  touched,
  expires,
});

describe('engine/timeouts', () => {
  it('ends a record at the earlier of its idle and absolute deadlines, and says which', () => {
    const now = 10 * HOUR;
    assert.equal(endOf(policy, record(now - HOUR, now - MINUTE, now + HOUR), now), undefined);
    assert.equal(endOf(policy, record(now - HOUR, now - 31 * MINUTE, now + HOUR), now), 'idle');
    assert.equal(endOf(policy, record(now - 9 * HOUR, now - MINUTE, now + HOUR), now), 'absolute');
    assert.equal(
      isLive(policy, record(now - HOUR, now - MINUTE, now - 1), now),
      false,
      'the store expiry too',
    );
    assert.equal(
      endOf({ ...policy, absoluteTimeout: false }, record(0, now - MINUTE, now + HOUR), now),
      undefined,
    );
  });

  it('falls back to the stored cookie lifetime when there is no idleTimeout option', () => {
    const stored: SessionRecord = { ...record(0, 1000, 10 ** 9), data: { cookie: { originalMaxAge: 5000 } } };
    assert.equal(idleDeadlineOf({ ...policy, idleTimeout: undefined }, stored), 6000);
  });

  it('stores expires at the deadline plus one idle timeout of grace, never past absolute + grace', () => {
    const session = { cookie: new Cookie({}) };
    assert.equal(expiryOf(policy, session, 0, HOUR), HOUR + 30 * MINUTE + 30 * MINUTE);
    assert.equal(expiryOf(policy, session, 0, 8 * HOUR - MINUTE), 8 * HOUR + 30 * MINUTE);
  });

  it('throttles touches: a tenth of the idle timeout by default, touchAfter when given', () => {
    const session = { cookie: new Cookie({}) };
    const short = { ...policy, idleTimeout: 5 * MINUTE };
    assert.equal(touchDue(short, session, 0, 30_000 - 1), false);
    assert.equal(touchDue(short, session, 0, 30_000), true);
    assert.equal(touchDue({ ...policy, touchAfter: 0 }, session, 0, 0), true);
    assert.equal(
      touchDue({ ...policy, idleTimeout: 24 * HOUR }, session, 0, 59_999),
      false,
      'at most a minute',
    );
    assert.equal(touchDue({ ...policy, idleTimeout: 24 * HOUR }, session, 0, 60_000), true);
  });

  it('restarts a cookie with a maxAge, capped at the absolute deadline', () => {
    const cookie = new Cookie({ maxAge: HOUR });
    const lifetime = cookie.originalMaxAge;
    restartCookie(policy, cookie, 0, 7.5 * HOUR);
    assert.equal(cookie.expires?.getTime(), 8 * HOUR);
    assert.equal(cookie.originalMaxAge, lifetime, 'the lifetime itself is kept');
    const browserSession = new Cookie({});
    restartCookie(policy, browserSession, 0, HOUR);
    assert.equal(browserSession.expires, null);
  });
});
