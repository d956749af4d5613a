import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { toSeconds } from '../../src/lib/duration.js';
import { VerifiedTokenCache } from '../../src/lib/verified-cache.js';

const header = { alg: 'HS256' as const };

describe('VerifiedTokenCache', () => {
  it('keys by a hash of the whole token', () => {
    const key = VerifiedTokenCache.keyOf('a.b.c');
    assert.match(key, /^[A-Za-z0-9_-]{43}$/);
    assert.notEqual(key, VerifiedTokenCache.keyOf('a.b.d'));
    assert.ok(!key.includes('a.b.c'));
  });

  it('stays within maxEntries, dropping the oldest first', () => {
    const cache = new VerifiedTokenCache(3, 60_000);
    for (let i = 0; i < 10; i++) cache.set(`k${i}`, header, { i }, 0, Number.POSITIVE_INFINITY);
    assert.equal(cache.size, 3);
    assert.equal(cache.get('k6', 0), undefined);
    assert.deepEqual(cache.get('k9', 0)?.payload, { i: 9 });
  });

  it('expires entries at notAfter or after maxAge, whichever comes first', () => {
    const cache = new VerifiedTokenCache(10, 1_000);
    cache.set('short', header, {}, 0, 500);
    cache.set('long', header, {}, 0, 10_000);
    cache.set('dead', header, {}, 0, 0);
    assert.ok(cache.get('short', 499));
    assert.equal(cache.get('short', 500), undefined);
    assert.ok(cache.get('long', 999));
    assert.equal(cache.get('long', 1_000), undefined);
    assert.equal(cache.get('dead', 0), undefined);
  });

  it('hands out a fresh payload on every hit', () => {
    const cache = new VerifiedTokenCache(10, 1_000);
    cache.set('k', header, { roles: ['a'] }, 0, 1_000);
    (cache.get('k', 1)!.payload as { roles: string[] }).roles.push('b');
    assert.deepEqual(cache.get('k', 2)!.payload, { roles: ['a'] });
  });
});

describe('toSeconds', () => {
  const table: Array<[number | string, number | 'TypeError']> = [
    [0, 0],
    [90, 90],
    ['30', 30],
    ['15m', 900],
    ['2 hours', 7200],
    ['1.5h', 5400],
    ['7d', 604_800],
    ['1w', 604_800],
    ['1y', 31_557_600],
    [-1, 'TypeError'],
    [Number.POSITIVE_INFINITY, 'TypeError'],
    ['soon', 'TypeError'],
    ['-5m', 'TypeError'],
    ['5 minutes ago', 'TypeError'],
  ];
  for (const [input, expected] of table) {
    it(`${JSON.stringify(input)} → ${expected}`, () => {
      if (expected === 'TypeError') assert.throws(() => toSeconds(input, 'x'), TypeError);
      else assert.equal(toSeconds(input, 'x'), expected);
    });
  }
});
