import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Cookie } from '../../src/session/cookie.js';

const HOUR = 60 * 60 * 1000;

/** Runs `body` with a clock that moves one millisecond each time it is read, as a busy machine's can. */
function withTickingClock(body: () => void): void {
  const realNow = Date.now;
  let now = 1_700_000_000_000;
  Date.now = () => now++;
  try {
    body();
  } finally {
    Date.now = realNow;
  }
}

describe('Cookie maxAge and originalMaxAge', () => {
  // Found by issue 11's repeated runs (packages/coatcheck/test/stores/store.test.ts saw 3599999 once):
  // the expires setter read the clock a millisecond after the maxAge setter had.
  it('records the maxAge it was given as originalMaxAge, even when the clock moves in between', () => {
    withTickingClock(() => {
      assert.equal(new Cookie({ maxAge: HOUR }).originalMaxAge, HOUR);
      const cookie = new Cookie();
      cookie.maxAge = HOUR;
      assert.equal(cookie.originalMaxAge, HOUR);
    });
  });

  it('keeps originalMaxAge through many resets of a rolling cookie (maxAge = originalMaxAge)', () => {
    withTickingClock(() => {
      const cookie = new Cookie({ maxAge: HOUR });
      for (let i = 0; i < 1000; i++) cookie.maxAge = cookie.originalMaxAge;
      assert.equal(cookie.originalMaxAge, HOUR);
    });
  });

  it('still derives originalMaxAge from an expiry that is set directly, and clears both with null', () => {
    const cookie = new Cookie();
    cookie.expires = new Date(Date.now() + HOUR);
    assert.ok(Math.abs((cookie.originalMaxAge as number) - HOUR) < 1000);
    cookie.maxAge = null;
    assert.equal(cookie.expires, null);
    assert.equal(cookie.originalMaxAge, null);
  });
});
