import assert from 'node:assert/strict';
import { createSecretKey, randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { BoundCookies, Challenges } from 'coatcheck/device-bound';

const key = createSecretKey(randomBytes(32));
const now = Date.now();

describe('challenges', () => {
  const challenges = new Challenges(key);
  const value = challenges.issue('refresh', 'session-a', now + 60_000);

  it('are accepted for the session, purpose and lifetime they were issued for', () =>
    assert.equal(challenges.check(value, 'refresh', 'session-a', now), 'valid'));
  it('are 128 random bits plus a MAC: two are never alike', () =>
    assert.notEqual(challenges.issue('refresh', 'session-a', now + 60_000), value));
  it('are printable without quoting trouble', () => assert.match(value, /^[A-Za-z0-9_.-]+$/));
  const refused: Array<[string, () => string]> = [
    ['another session', () => challenges.check(value, 'refresh', 'session-b', now)],
    ['another purpose', () => challenges.check(value, 'registration', 'session-a', now)],
    [
      'another server key',
      () => new Challenges(createSecretKey(randomBytes(32))).check(value, 'refresh', 'session-a', now),
    ],
    [
      'a lengthened expiry',
      () => {
        const [nonce, , mac] = value.split('.');
        return challenges.check(
          `${nonce}.${(now + 10 ** 9).toString(36)}.${mac}`,
          'refresh',
          'session-a',
          now,
        );
      },
    ],
    ['garbage', () => challenges.check('c1', 'refresh', 'session-a', now)],
  ];
  for (const [name, check] of refused) it(`are forged for ${name}`, () => assert.equal(check(), 'forged'));
  it('expire', () => assert.equal(challenges.check(value, 'refresh', 'session-a', now + 60_000), 'expired'));
});

describe('bound cookies', () => {
  const old = createSecretKey(randomBytes(32));
  const cookies = new BoundCookies([key, old]);
  const value = cookies.value('session-a', 'thumb-a', now + 60_000);

  it('verify for their session and key until they expire', () => {
    assert.equal(cookies.check(value, 'session-a', 'thumb-a', now), 'valid');
    assert.equal(cookies.check(value, 'session-a', 'thumb-a', now + 60_000), 'expired');
    assert.equal(cookies.expiresOf(value), now + 60_000);
  });
  it('stay good for the allowance past their expiry, and no longer', () => {
    const lenient = new BoundCookies([key], 500);
    assert.equal(lenient.check(value, 'session-a', 'thumb-a', now + 60_499), 'valid');
    assert.equal(lenient.check(value, 'session-a', 'thumb-a', now + 60_500), 'expired');
  });
  it('verify under an older secret (rotation)', () => {
    const before = new BoundCookies([old]).value('session-a', 'thumb-a', now + 60_000);
    assert.equal(cookies.check(before, 'session-a', 'thumb-a', now), 'valid');
  });
  const invalid: Array<[string, string, string, string]> = [
    ['another session', value, 'session-b', 'thumb-a'],
    ['another key', value, 'session-a', 'thumb-b'],
    [
      'a lengthened expiry',
      `${(now + 10 ** 9).toString(36)}${value.slice(value.indexOf('.'))}`,
      'session-a',
      'thumb-a',
    ],
    ['a truncated MAC', value.slice(0, -2), 'session-a', 'thumb-a'],
    ['no dot', 'abc', 'session-a', 'thumb-a'],
    ['an oversized value', `${value}${'A'.repeat(200)}`, 'session-a', 'thumb-a'],
  ];
  for (const [name, v, id, thumb] of invalid) {
    it(`are invalid for ${name}`, () => assert.equal(cookies.check(v, id, thumb, now), 'invalid'));
  }
  it('are missing when absent', () => {
    assert.equal(cookies.check(undefined, 'session-a', 'thumb-a', now), 'missing');
    assert.equal(cookies.check('', 'session-a', 'thumb-a', now), 'missing');
  });
});
