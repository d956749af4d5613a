import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { createCsrfSecret, createCsrfToken, verifyCsrfToken } from '../../src/csrf/index.js';

const secret = createCsrfSecret();
const other = createCsrfSecret();
const token = createCsrfToken(secret);

describe('CSRF tokens', () => {
  it('makes 32-byte secrets and 64-byte masked tokens in base64url', () => {
    assert.match(secret, /^[A-Za-z0-9_-]{43}$/);
    assert.match(token, /^[A-Za-z0-9_-]{86}$/);
    assert.notEqual(secret, other);
  });

  it('masks the secret differently on every call, and every mask verifies', () => {
    const tokens = new Set(Array.from({ length: 50 }, () => createCsrfToken(secret)));
    assert.equal(tokens.size, 50);
    for (const t of tokens) assert.equal(verifyCsrfToken(t, secret), true);
    assert.ok(!token.includes(secret));
  });

  const cases: { title: string; token: unknown; secret?: string; expected: boolean }[] = [
    { title: 'a token of this secret', token, expected: true },
    { title: 'a token of another secret', token: createCsrfToken(other), expected: false },
    { title: 'the secret itself', token: secret, expected: false },
    { title: 'a truncated token', token: token.slice(0, -1), expected: false },
    { title: 'a token with an extra character', token: `${token}A`, expected: false },
    { title: 'a token with a non-base64url character', token: `${token.slice(0, -1)}+`, expected: false },
    {
      title: 'a non-canonical spelling of the token (padding bits set)',
      token: token.slice(0, -1) + String.fromCharCode(token.charCodeAt(token.length - 1) + 1),
      expected: false,
    },
    { title: 'empty', token: '', expected: false },
    { title: 'undefined', token: undefined, expected: false },
    { title: 'an array of the right token', token: [token], expected: false },
    { title: 'a valid token against a malformed secret', token, secret: 'not a secret', expected: false },
  ];
  for (const c of cases) {
    it(`verifies ${c.title}: ${c.expected}`, () => {
      assert.equal(verifyCsrfToken(c.token, c.secret ?? secret), c.expected);
    });
  }

  it('refuses to mask something that is not a secret', () => {
    assert.throws(() => createCsrfToken('short'), /not one made by createCsrfSecret/);
  });

  it('never throws and never accepts a changed token (property)', () => {
    fc.assert(
      fc.property(fc.nat({ max: token.length - 1 }), fc.constantFrom(...'ABCabc019-_'), (index, char) => {
        fc.pre(token[index] !== char);
        const changed = token.slice(0, index) + char + token.slice(index + 1);
        assert.equal(verifyCsrfToken(changed, secret), false);
      }),
      { numRuns: 1000 },
    );
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 120 }), (input) => {
        assert.equal(verifyCsrfToken(input, secret), false);
      }),
      { numRuns: 2000 },
    );
  });
});
