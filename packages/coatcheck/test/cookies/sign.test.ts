import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { type Secrets, sign, signingKeys, unsign } from '../../src/cookies/index.js';

const require = createRequire(import.meta.url);
const cookieSignature = require('cookie-signature') as {
  sign(value: string, secret: string | Buffer): string;
  unsign(signed: string, secret: string | Buffer): string | false;
};

const current = 'the current secret, long enough';
const previous = 'the previous secret, long enough';
const keys = signingKeys([current, previous]);
const signedWithPrevious = cookieSignature.sign('user-42', previous);

describe('signingKeys', () => {
  const bad: { title: string; secrets: unknown; message: RegExp }[] = [
    { title: 'empty string', secrets: '', message: /^secret must not be empty$/ },
    { title: 'empty array', secrets: [], message: /^secret must not be an empty array$/ },
    { title: 'empty entry in an array', secrets: ['ok', ''], message: /^secret\[1\] must not be empty$/ },
    { title: 'empty Buffer', secrets: Buffer.alloc(0), message: /^secret must not be empty$/ },
    { title: 'number', secrets: 42, message: /^secret must be a string or a Buffer$/ },
    {
      title: 'null in an array',
      secrets: ['ok', null],
      message: /^secret\[1\] must be a string or a Buffer$/,
    },
  ];
  for (const c of bad) {
    it(`refuses ${c.title} with a TypeError naming the option`, () => {
      assert.throws(
        () => signingKeys(c.secrets as Secrets),
        (e: unknown) => e instanceof TypeError && c.message.test(e.message),
      );
    });
  }

  it('names the option it was given', () => {
    assert.throws(() => signingKeys('', 'cookieSecret'), /^TypeError: cookieSecret must not be empty$/);
  });

  it('does not put the secret in its error messages', () => {
    assert.throws(
      () => signingKeys(['a very secret value', 7 as unknown as string]),
      (e: unknown) => e instanceof TypeError && !e.message.includes('a very secret value'),
    );
  });
});

describe('sign and unsign', () => {
  const cases: { title: string; signed: unknown; expected: ReturnType<typeof unsign> }[] = [
    {
      title: 'signed with the current key',
      signed: cookieSignature.sign('user-42', current),
      expected: { valid: true, value: 'user-42', renew: false },
    },
    {
      title: 'signed with an older key: renew',
      signed: signedWithPrevious,
      expected: { valid: true, value: 'user-42', renew: true },
    },
    {
      title: 'a value containing dots',
      signed: cookieSignature.sign('a.b.c', current),
      expected: { valid: true, value: 'a.b.c', renew: false },
    },
    {
      title: 'an empty value, as cookie-signature allows',
      signed: cookieSignature.sign('', current),
      expected: { valid: true, value: '', renew: false },
    },
    {
      title: 'signed with an unknown key',
      signed: cookieSignature.sign('user-42', 'another secret'),
      expected: { valid: false, renew: false },
    },
    {
      title: 'value changed',
      signed: cookieSignature.sign('user-42', current).replace('42', '43'),
      expected: { valid: false, renew: false },
    },
    {
      title: 'signature truncated',
      signed: cookieSignature.sign('user-42', current).slice(0, -1),
      expected: { valid: false, renew: false },
    },
    {
      title: 'signature with padding',
      signed: `${cookieSignature.sign('user-42', current)}=`,
      expected: { valid: false, renew: false },
    },
    { title: 'no dot', signed: 'user-42', expected: { valid: false, renew: false } },
    { title: 'empty string', signed: '', expected: { valid: false, renew: false } },
    { title: 'not a string', signed: 42, expected: { valid: false, renew: false } },
    {
      title: 'non-ASCII signature of the right length',
      signed: `user-42.${'é'.repeat(43)}`,
      expected: { valid: false, renew: false },
    },
  ];
  for (const c of cases) {
    it(c.title, () => {
      assert.deepEqual({ ...unsign(c.signed as string, keys) }, c.expected);
    });
  }

  it('writes exactly what cookie-signature writes, and reads it back', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 60 }), (value) => {
        const ours = sign(value, keys);
        assert.equal(ours, cookieSignature.sign(value, current));
        assert.equal(cookieSignature.unsign(ours, current), value);
      }),
      { numRuns: 500 },
    );
  });

  it('accepts Buffer secrets as cookie-signature does', () => {
    const secret = Buffer.from('00112233445566778899aabbccddeeff', 'hex');
    assert.equal(sign('v', signingKeys(secret)), cookieSignature.sign('v', secret));
  });

  it('never throws and never validates an unsigned change (property)', () => {
    const genuine = sign('session-id', keys);
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 120 }), (input) => {
        const result = unsign(input, keys);
        if (result.valid)
          assert.ok(input === genuine || input === cookieSignature.sign(result.value, previous));
      }),
      { numRuns: 3000 },
    );
  });

  it('rejects every single-character change of a signed value (property)', () => {
    const genuine = sign('session-id.with.dots', keys);
    fc.assert(
      fc.property(fc.nat({ max: genuine.length - 1 }), fc.integer({ min: 33, max: 126 }), (index, code) => {
        const replacement = String.fromCharCode(code);
        fc.pre(genuine[index] !== replacement);
        const tampered = genuine.slice(0, index) + replacement + genuine.slice(index + 1);
        assert.equal(unsign(tampered, keys).valid, false);
      }),
      { numRuns: 2000 },
    );
  });
});
