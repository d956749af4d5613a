import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { UnauthorizedError } from '../../src/errors.js';
import {
  OTHER_SCHEME,
  parseTokenLocation,
  tokenFromAuthorization,
  tokenFromCookieHeader,
} from '../../src/express/token-source.js';
import { bearerChallenge } from '../../src/express/www-authenticate.js';

describe('tokenFromAuthorization', () => {
  const table: Array<[string | undefined, boolean, string | symbol | undefined | { error: string }]> = [
    [undefined, true, undefined],
    ['', true, undefined],
    ['Bearer abc', true, 'abc'],
    ['bearer abc', true, 'abc'],
    ['BEARER abc', true, 'abc'],
    ['Bearer', true, { error: 'credentials_bad_format' }],
    ['Bearer a b', true, { error: 'credentials_bad_format' }],
    ['Bearer  abc', true, { error: 'credentials_bad_format' }],
    ['Basic abc', true, { error: 'credentials_bad_scheme' }],
    ['Basic abc', false, OTHER_SCHEME],
    ['Bearerx abc', true, { error: 'credentials_bad_scheme' }],
  ];
  for (const [header, required, expected] of table) {
    it(`${JSON.stringify(header)} (credentials ${required ? 'required' : 'optional'}) → ${JSON.stringify(expected)}`, () => {
      const run = () =>
        tokenFromAuthorization(header === undefined ? {} : { authorization: header }, required);
      if (typeof expected === 'object') {
        assert.throws(
          run,
          (error: UnauthorizedError) => error instanceof UnauthorizedError && error.code === expected.error,
        );
      } else {
        assert.equal(run(), expected);
      }
    });
  }
});

describe('tokenFromCookieHeader', () => {
  const table: Array<[string | undefined, string | undefined]> = [
    [undefined, undefined],
    ['', undefined],
    ['access_token=abc.def.ghi', 'abc.def.ghi'],
    ['theme=dark; access_token=abc', 'abc'],
    ['theme=dark;access_token=abc;x=1', 'abc'],
    ['access_token="abc"', 'abc'],
    ['access_token=first; access_token=second', 'first'],
    ['xaccess_token=abc', undefined],
    ['access_token=', undefined],
    ['access_token', undefined],
    // Read as browsers and coatcheck's session cookie are: only SP/HTAB around a name is trimmed,
    // and the value is never percent-decoded (no second spelling of one token).
    ['\u00a0access_token=planted', undefined],
    ['\taccess_token=abc ', 'abc'],
    ['access_token=abc%2Edef', 'abc%2Edef'],
  ];
  for (const [header, expected] of table) {
    it(`${JSON.stringify(header)} → ${JSON.stringify(expected)}`, () => {
      assert.equal(tokenFromCookieHeader(header, 'access_token'), expected);
    });
  }
});

describe('parseTokenLocation', () => {
  it('accepts the header and valid cookie names, refuses the rest', () => {
    assert.equal(parseTokenLocation(undefined), undefined);
    assert.equal(parseTokenLocation('header'), undefined);
    assert.equal(parseTokenLocation({ cookie: '__Host-at' }), '__Host-at');
    for (const bad of ['cookie', { cookie: '' }, { cookie: 'a;b' }, { name: 'x' }, 1]) {
      assert.throws(() => parseTokenLocation(bad), TypeError);
    }
  });
});

describe('bearerChallenge (RFC 6750 §3)', () => {
  const table: Array<[Parameters<typeof bearerChallenge>, string]> = [
    [['credentials_required', 'No authorization token was found'], 'Bearer'],
    [['credentials_required', 'No authorization token was found', 'api'], 'Bearer realm="api"'],
    [
      ['credentials_bad_scheme', 'Format is Authorization: Bearer [token]'],
      'Bearer error="invalid_request", error_description="Format is Authorization: Bearer [token]"',
    ],
    [
      ['invalid_token', '"exp" claim timestamp check failed', 'api'],
      'Bearer realm="api", error="invalid_token", error_description="exp claim timestamp check failed"',
    ],
    [
      ['revoked_token', 'The token has been revoked.'],
      'Bearer error="invalid_token", error_description="The token has been revoked."',
    ],
    [
      ['invalid_token', 'bad\\"\r\nInjected: yes'],
      'Bearer error="invalid_token", error_description="badInjected: yes"',
    ],
  ];
  for (const [args, expected] of table) {
    it(`${args[0]}: ${expected}`, () => {
      assert.equal(bearerChallenge(...args), expected);
    });
  }
});
