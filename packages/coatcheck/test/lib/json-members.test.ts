import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { jsonMembers } from '../../src/lib/json-members.js';

describe('jsonMembers', () => {
  const cases: Array<[string, string, Array<[string, string]> | undefined]> = [
    ['an empty object', '{}', []],
    ['one member', '{"a":1}', [['a', '1']]],
    [
      'nested values',
      '{"a":{"b":[1,{"c":2}]},"d":null}',
      [
        ['a', '{"b":[1,{"c":2}]}'],
        ['d', 'null'],
      ],
    ],
    [
      'brackets and quotes inside strings',
      '{"a":"}],{[\\"","b":"x"}',
      [
        ['a', '"}],{[\\""'],
        ['b', '"x"'],
      ],
    ],
    ['an escaped key', '{"a\\"b\\u00e9":true}', [['a"bé', 'true']]],
    [
      'the empty key and __proto__',
      '{"":0,"__proto__":1}',
      [
        ['', '0'],
        ['__proto__', '1'],
      ],
    ],
    ['white space between tokens', '{ "a": 1 }', undefined],
    ['an array', '[1,2]', undefined],
    ['a missing value', '{"a":}', undefined],
    ['an unterminated string', '{"a":"b}', undefined],
    ['text after the object', '{"a":1}x', undefined],
    ['a stray bracket', '{"a":1]}', undefined],
    ['the empty text', '', undefined],
  ];
  for (const [label, text, expected] of cases) {
    it(`${label}: ${expected === undefined ? 'not compact JSON of an object' : 'each member and its text'}`, () => {
      const members = jsonMembers(text);
      assert.deepEqual(
        members?.map(({ key, value }) => [key, value]),
        expected,
      );
    });
  }

  it('agrees with JSON.parse on every object JSON.stringify writes', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string(), fc.jsonValue()), (object) => {
        const text = JSON.stringify(object);
        const members = jsonMembers(text);
        assert.ok(members, text);
        const parsed = JSON.parse(text) as Record<string, unknown>;
        assert.deepEqual(
          members.map(({ key }) => key),
          Object.keys(parsed),
        );
        for (const { key, keyText, value } of members) {
          assert.equal(JSON.parse(keyText), key);
          assert.deepEqual(JSON.parse(value), parsed[key]);
        }
      }),
      { numRuns: 500 },
    );
  });
});
