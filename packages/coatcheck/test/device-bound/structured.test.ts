import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { challengeHeader, registrationHeader, sessionIdentifierOf, sfString } from 'coatcheck/device-bound';

describe('structured-header values (RFC 8941)', () => {
  const strings: Array<[string, string]> = [
    ['plain', '"plain"'],
    ['', '""'],
    ['say "hi"', '"say \\"hi\\""'],
    ['back\\slash', '"back\\\\slash"'],
    ['a.b-c_d~e', '"a.b-c_d~e"'],
  ];
  for (const [value, serialised] of strings) {
    it(`sfString(${JSON.stringify(value)}) is ${serialised}`, () =>
      assert.equal(sfString(value), serialised));
  }
  for (const value of ['new\nline', 'tab\t', 'é', '\u0000', '\u007f']) {
    it(`sfString refuses ${JSON.stringify(value)}`, () => assert.throws(() => sfString(value), TypeError));
  }

  it('registration header: algorithms, path, challenge and the optional authorization', () => {
    assert.equal(
      registrationHeader({ algorithms: ['ES256', 'RS256'], path: '/dbsc/register', challenge: 'c1' }),
      '(ES256 RS256);path="/dbsc/register";challenge="c1"',
    );
    assert.equal(
      registrationHeader({ algorithms: ['ES256'], path: '/r', challenge: 'c"1', authorization: 'a\\b' }),
      '(ES256);path="/r";challenge="c\\"1";authorization="a\\\\b"',
    );
  });

  it('challenge header: a quoted challenge and a quoted, escaped id', () => {
    assert.equal(challengeHeader('c2', 'abc'), '"c2";id="abc"');
    assert.equal(challengeHeader('c2', 'a"b'), '"c2";id="a\\"b"');
  });

  const identifiers: Array<[string | string[] | undefined, string | undefined]> = [
    ['abc', 'abc'], // Chromium sends it bare
    [' abc ', 'abc'],
    ['"abc"', 'abc'],
    ['"a\\"b"', 'a"b'],
    ['"a"b"', undefined],
    ['"abc', undefined],
    ['"a\\nb"', undefined],
    ['', undefined],
    ['a b', undefined],
    [['a', 'b'], undefined],
    [undefined, undefined],
    ['x'.repeat(300), undefined],
  ];
  for (const [header, expected] of identifiers) {
    it(`Sec-Secure-Session-Id ${JSON.stringify(header)?.slice(0, 30)} reads as ${JSON.stringify(expected)}`, () =>
      assert.equal(sessionIdentifierOf(header), expected));
  }
});
