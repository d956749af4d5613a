import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { type KeygripAlgorithm, keygripIndex, keygripSign } from '../../src/cookies/keygrip.js';

// The original, to check every answer against.
const require = createRequire(import.meta.url);
const Keygrip = require('keygrip') as new (
  keys: string[],
  algorithm?: string,
) => { sign(data: string): string; index(data: string, digest: string): number };

describe('keygripSign and keygripIndex, against keygrip', () => {
  for (const algorithm of ['sha1', 'sha256', 'sha512'] as KeygripAlgorithm[]) {
    it(`sign as keygrip signs, ${algorithm} (property)`, () => {
      fc.assert(
        fc.property(fc.string({ maxLength: 80 }), fc.string({ minLength: 1, maxLength: 40 }), (data, key) => {
          assert.equal(keygripSign(data, key, algorithm), new Keygrip([key], algorithm).sign(data));
        }),
        { numRuns: 300 },
      );
    });
  }

  it('finds the key that signed, as keygrip does, and -1 for anything else', () => {
    const keys = ['newest', 'older', 'oldest'];
    const data = 'session=eyJ1c2VyIjoiYWRhIn0=';
    for (const [index, key] of keys.entries()) {
      const signature = new Keygrip([key]).sign(data);
      assert.equal(keygripIndex(data, signature, keys), index);
      assert.equal(keygripIndex(data, signature, keys), new Keygrip(keys).index(data, signature));
    }
    const good = new Keygrip(keys).sign(data);
    for (const bad of [
      '',
      good.slice(1),
      `${good}=`,
      `${good.slice(0, -1)}A`,
      new Keygrip(['other']).sign(data),
    ]) {
      assert.equal(keygripIndex(data, bad, keys), -1, JSON.stringify(bad));
    }
    assert.equal(keygripIndex(`${data}x`, good, keys), -1, 'signed data is bound');
  });
});
