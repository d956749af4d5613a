import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  attributesFor,
  type CookieSettings,
  checkCookieSettings,
  isCookieName,
} from '../../src/cookies/attributes.js';
import { serializeCookie } from '../../src/cookies/serialize.js';

describe('isCookieName', () => {
  const table: Array<[unknown, boolean]> = [
    ['connect.sid', true],
    ['__Host-sid', true],
    ["!#$%&'*+-.^_`|~", true],
    ['', false],
    ['a b', false],
    ['a;b', false],
    ['a=b', false],
    ['é', false],
    ['\u00a0sid', false],
    [undefined, false],
    [42, false],
  ];
  for (const [name, expected] of table) {
    it(`${JSON.stringify(name)} → ${expected}`, () => assert.equal(isCookieName(name), expected));
  }
});

describe('attributesFor', () => {
  const table: Array<[string, CookieSettings, boolean, string]> = [
    ['auto is Secure over HTTPS', { secure: 'auto', path: '/' }, true, 'a=1; Path=/; Secure'],
    ['auto is not Secure over HTTP', { secure: 'auto', path: '/' }, false, 'a=1; Path=/'],
    [
      'sameSite auto is None over HTTPS',
      { secure: 'auto', sameSite: 'auto' },
      true,
      'a=1; Secure; SameSite=None',
    ],
    ['sameSite auto is Lax over HTTP', { secure: 'auto', sameSite: 'auto' }, false, 'a=1; SameSite=Lax'],
    ['None becomes Lax without Secure', { secure: 'auto', sameSite: 'none' }, false, 'a=1; SameSite=Lax'],
    ['Partitioned is left out without Secure', { secure: 'auto', partitioned: true }, false, 'a=1'],
    [
      'Partitioned stays with Secure',
      { secure: 'auto', partitioned: true },
      true,
      'a=1; Secure; Partitioned',
    ],
    ['secure: true ignores the request', { secure: true }, false, 'a=1; Secure'],
  ];
  for (const [title, settings, secureRequest, expected] of table) {
    it(title, () =>
      assert.equal(serializeCookie('a', '1', attributesFor(settings, secureRequest)), expected),
    );
  }

  it('caps the expiry at the 400 days a browser keeps a cookie', () => {
    const far = new Date(Date.now() + 500 * 24 * 3600 * 1000);
    const expires = attributesFor({ expires: far }, true).expires as Date;
    assert.ok(expires.getTime() <= Date.now() + 400 * 24 * 3600 * 1000);
    assert.ok(expires.getTime() > Date.now() + 399 * 24 * 3600 * 1000);
  });
});

describe('checkCookieSettings: the serializer rules, at construction, naming the option', () => {
  const option = (key: string) => `test option cookie.${key}`;
  const refused: Array<[string, string, CookieSettings & { maxAge?: unknown }, RegExp]> = [
    ['a path with ";"', 'sid', { path: '/a;Domain=evil' }, /^test option cookie\.path: path is invalid/],
    ['a bad domain', 'sid', { domain: 'a b' }, /^test option cookie\.domain: domain is invalid/],
    [
      'sameSite none with secure false',
      'sid',
      { sameSite: 'none', secure: false },
      /cookie\.sameSite: sameSite "none" requires secure/,
    ],
    [
      'a __Host- name with a domain',
      '__Host-sid',
      { secure: 'auto', path: '/', domain: 'example.com' },
      /cookie\.domain: a __Host- cookie/,
    ],
    [
      'a __Host- name with secure false',
      '__HOST-sid',
      { secure: false, path: '/' },
      /cookie\.secure: its prefix requires secure/,
    ],
    [
      'a maxAge that is no number',
      'sid',
      { maxAge: '1h' },
      /^test option cookie\.maxAge must be a number of milliseconds$/,
    ],
    [
      'a maxAge over 400 days',
      'sid',
      { maxAge: 401 * 86_400_000 },
      /cookie\.maxAge 34646400000 is over 400 days/,
    ],
    ['an unknown sameSite', 'sid', { sameSite: 'loose' as never }, /cookie\.sameSite must be/],
    ['an unknown priority', 'sid', { priority: 'urgent' as never }, /cookie\.priority must be/],
  ];
  for (const [title, name, settings, message] of refused) {
    it(`refuses ${title}`, () => {
      assert.throws(
        () => checkCookieSettings(name, settings, option),
        (error: Error) => {
          assert.ok(error instanceof TypeError);
          assert.match(error.message, message);
          return true;
        },
      );
    });
  }

  it('turns secure "auto" into true for a prefixed name, and keeps it otherwise', () => {
    assert.equal(checkCookieSettings('__Secure-sid', { secure: 'auto' }, option).secure, true);
    assert.equal(checkCookieSettings('sid', { secure: 'auto' }, option).secure, 'auto');
  });

  it('accepts what then serializes over HTTP and HTTPS without a throw', () => {
    const settings = checkCookieSettings(
      'sid',
      { secure: 'auto', sameSite: 'auto', partitioned: true, path: '/', httpOnly: true, priority: 'high' },
      option,
    );
    for (const secureRequest of [true, false])
      serializeCookie('sid', 'x', attributesFor(settings, secureRequest));
  });
});
