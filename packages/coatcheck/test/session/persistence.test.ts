import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { cookieValue } from '../../src/session/persistence.js';

// The cookie parser express-session itself uses (cookie 0.7, which strips one pair of quotes): the
// session cookie must be read exactly as express-session reads it.
const require = createRequire(import.meta.url);
const { parse } = createRequire(require.resolve('express-session'))('cookie') as {
  parse(header: string): Record<string, string | undefined>;
};

const cases: Array<[string, string | undefined, string, string | undefined]> = [
  ['absent header', undefined, 'sid', undefined],
  ['only cookie', 'sid=abc', 'sid', 'abc'],
  ['among others', 'a=1; sid=abc; b=2', 'sid', 'abc'],
  ['first of duplicates', 'sid=first; sid=second', 'sid', 'first'],
  ['name as a suffix of another', 'xsid=no; sid=yes', 'sid', 'yes'],
  ['name inside a value', 'a=sid=no', 'sid', undefined],
  ['spaces around', '  sid =  abc  ;b=2', 'sid', 'abc'],
  ['quoted', 'sid="abc"', 'sid', 'abc'],
  ['percent-encoded', 'sid=s%3Aabc.def', 'sid', 's:abc.def'],
  ['malformed encoding kept raw', 'sid=%E0%A4%A', 'sid', '%E0%A4%A'],
  ['pair without =', 'sid; sid=abc', 'sid', 'abc'],
  ['empty value', 'sid=', 'sid', ''],
];

describe('cookieValue', () => {
  for (const [label, header, name, expected] of cases) {
    it(`finds ${label}`, () => {
      assert.equal(cookieValue(header, name), expected);
    });
  }

  it('agrees with the parser express-session uses, on random headers', () => {
    const token = fc.stringMatching(/^[a-z0-9.]{1,6}$/);
    const value = fc.oneof(
      fc.stringMatching(/^[A-Za-z0-9%:. "=_-]{0,12}$/),
      fc.constantFrom('%', '%2', '%zz', '""', '"a"'),
    );
    const pair = fc.tuple(token, value).map(([k, v]) => `${k}=${v}`);
    const header = fc.array(fc.oneof(pair, token), { maxLength: 6 }).map((parts) => parts.join('; '));
    fc.assert(
      fc.property(header, token, (h, name) => {
        assert.equal(cookieValue(h, name), parse(h)[name]);
      }),
      { numRuns: 2000 },
    );
  });
});
