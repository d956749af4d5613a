import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SessionSerializeError } from 'coatcheck';
import { dataFields, hashPairs, patchFields, recordFromHash } from '../src/fields.js';

const NOW = Date.UTC(2026, 0, 1);

describe('dataFields', () => {
  it('one d: field per top-level key, holding its JSON', () => {
    assert.deepEqual(dataFields({ cart: ['apple'], 'a.b': 1, $set: null, '': 'empty' }), [
      'd:cart',
      '["apple"]',
      'd:a.b',
      '1',
      'd:$set',
      'null',
      'd:',
      '"empty"',
    ]);
  });
  it('leaves out values JSON drops and names the key of one it cannot hold', () => {
    assert.deepEqual(dataFields({ gone: undefined, fn: () => 1, kept: false }), ['d:kept', 'false']);
    assert.throws(
      () => dataFields({ ok: 1, big: 1n }),
      (err) => err instanceof SessionSerializeError && err.key === 'big',
    );
  });
});

describe('patchFields', () => {
  const table: Array<
    [string, { set: Record<string, unknown>; unset: string[] }, { remove: string[]; set: string[] }]
  > = [
    ['sets and unsets', { set: { a: 1 }, unset: ['b'] }, { remove: ['d:b'], set: ['d:a', '1'] }],
    ['a key both unset and set is set', { set: { a: 1 }, unset: ['a'] }, { remove: [], set: ['d:a', '1'] }],
    ['undefined deletes', { set: { a: undefined }, unset: [] }, { remove: ['d:a'], set: [] }],
    ['nothing', { set: {}, unset: [] }, { remove: [], set: [] }],
  ];
  for (const [label, patch, expected] of table) {
    it(label, () => assert.deepEqual(patchFields(patch), expected));
  }
});

describe('hashPairs', () => {
  const pairs = [
    ['m:expires', '1'],
    ['d:a', '2'],
  ];
  const table: Array<[string, unknown]> = [
    ['a flat array (RESP2, sendCommand and call)', ['m:expires', '1', 'd:a', '2']],
    [
      'a Map (RESP3)',
      new Map([
        ['m:expires', '1'],
        ['d:a', '2'],
      ]),
    ],
    ['an object (ioredis hgetall transform)', { 'm:expires': '1', 'd:a': '2' }],
  ];
  for (const [label, reply] of table) {
    it(label, () => assert.deepEqual(hashPairs(reply), pairs));
  }
  it('nothing for a missing key', () => {
    assert.deepEqual(hashPairs(null), []);
    assert.deepEqual(hashPairs([]), []);
  });
});

describe('recordFromHash', () => {
  const live: Array<[string, string]> = [
    ['m:expires', String(NOW + 1000)],
    ['m:created', String(NOW - 1000)],
    ['m:touched', String(NOW)],
    ['m:user', 'u'],
    ['m:indexed', String(NOW + 5000)],
    ['d:cart', '["apple"]'],
    ['d:', '"empty key"'],
  ];

  it('rebuilds data, metadata and owner, ignoring index bookkeeping', () => {
    assert.deepEqual(recordFromHash(live, NOW), {
      data: { cart: ['apple'], '': 'empty key' },
      expires: NOW + 1000,
      created: NOW - 1000,
      touched: NOW,
      user: 'u',
    });
  });
  it('nothing once expired, or for no hash', () => {
    assert.equal(recordFromHash(live, NOW + 1000), undefined);
    assert.equal(recordFromHash([], NOW), undefined);
  });
  // Issue 11: a hash missing its creation time used to take the expiry instead, which moved the
  // absolute timeout later; one without an expiry was silently skipped and stayed forever.
  const damaged: Array<[string, Array<[string, string]>, string]> = [
    ['no expiry', [['d:a', '1']], 'expires'],
    [
      'an expiry that is no number',
      [...live.filter(([f]) => f !== 'm:expires'), ['m:expires', 'soon']],
      'expires',
    ],
    ['no creation time', live.filter(([f]) => f !== 'm:created'), 'created'],
    ['an empty creation time', [...live.filter(([f]) => f !== 'm:created'), ['m:created', '']], 'created'],
    ['a value that is not JSON', [...live, ['d:cart2', '["apple"']], 'data'],
    ['a cookie that is a string', [...live, ['d:cookie', '"sid=abc"']], 'cookie'],
  ];
  for (const [label, pairs, field] of damaged) {
    it(`a hash with ${label} is a SessionRecordError naming ${field}`, () => {
      assert.throws(() => recordFromHash(pairs, NOW), { code: 'ERR_SESSION_RECORD', field });
    });
  }
  it('a missing touch time is the creation time', () => {
    const record = recordFromHash(
      live.filter(([f]) => f !== 'm:touched'),
      NOW,
    );
    assert.equal(record?.touched, NOW - 1000);
  });
  it('a __proto__ key stays data', () => {
    const record = recordFromHash(
      [
        ['m:expires', String(NOW + 1)],
        ['m:created', String(NOW)],
        ['d:__proto__', '{"polluted":true}'],
      ],
      NOW,
    );
    assert.ok(record);
    assert.equal(Object.getPrototypeOf(record.data), Object.prototype);
    assert.equal((record.data as Record<string, unknown>).polluted, undefined);
    assert.deepEqual(Object.getOwnPropertyDescriptor(record.data, '__proto__')?.value, { polluted: true });
  });
});
