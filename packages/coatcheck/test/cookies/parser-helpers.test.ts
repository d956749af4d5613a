import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { after, describe, it } from 'node:test';
import coatcheck, { cookies } from 'coatcheck';
import { JSONCookie, JSONCookies, signedCookie, signedCookies } from 'coatcheck/cookies';
import { type Running, serve } from './servers.js';

const require = createRequire(import.meta.url);
// The original, to check each answer against: the helpers promise cookie-parser's results exactly.
const cookieParser = require('cookie-parser') as {
  JSONCookie(value: unknown): unknown;
  signedCookie(value: unknown, secret: unknown): unknown;
  signedCookies(cookies: Record<string, unknown>, secret: unknown): Record<string, unknown>;
};
const cookieSignature = require('cookie-signature') as { sign(value: string, secret: string): string };

const secret = 'the current cookie secret, 32+ bytes';
const older = 'the previous cookie secret, 32+ bytes';
const signedBy = (value: string, key: string) => `s:${cookieSignature.sign(value, key)}`;

describe("cookie-parser's helpers", () => {
  it('are on cookies() itself and named exports, as on cookie-parser and on require()', () => {
    assert.equal(cookies.JSONCookie, JSONCookie);
    assert.equal(cookies.JSONCookies, JSONCookies);
    assert.equal(cookies.signedCookie, signedCookie);
    assert.equal(cookies.signedCookies, signedCookies);
    assert.equal((coatcheck as unknown as { signedCookie: unknown }).signedCookie, signedCookie);
  });

  const jsonCases: ReadonlyArray<readonly [string, unknown]> = [
    ['no argument', undefined],
    ['null', null],
    ['a number', 42],
    ['an object', {}],
    ['an empty string', ''],
    ['a plain string', 'foo'],
    ['JSON without the prefix', '{}'],
    ['a JSON cookie', 'j:{"foo":"bar"}'],
    ['a JSON cookie holding null', 'j:null'],
    ['a JSON cookie holding 0', 'j:0'],
    ['invalid JSON', 'j:{foo:"bar"}'],
  ];
  for (const [label, value] of jsonCases) {
    it(`JSONCookie(${label}) answers as cookie-parser does`, () => {
      assert.deepEqual(JSONCookie(value), cookieParser.JSONCookie(value));
    });
  }

  it('JSONCookies replaces JSON cookies holding something truthy, in place', () => {
    const jar = { cart: 'j:[1,2]', empty: 'j:null', theme: 'dark', broken: 'j:{' };
    assert.equal(JSONCookies(jar), jar);
    assert.deepEqual(jar, { cart: [1, 2], empty: 'j:null', theme: 'dark', broken: 'j:{' });
  });

  const signedCases: ReadonlyArray<readonly [string, unknown, unknown]> = [
    ['a number', 42, secret],
    ['undefined', undefined, secret],
    ['an unsigned string', 'foo', secret],
    ['an empty string', '', secret],
    ['a JSON cookie', 'j:{}', secret],
    ['a signed value', signedBy('foobar', secret), secret],
    ['a tampered value', signedBy('foobar', secret).replace('foobar', 'foobaz'), secret],
    ['a value signed by the second secret', signedBy('foobar', older), [secret, older]],
    ['a value signed by a secret not listed', signedBy('foobar', older), [secret]],
    ['a signed value and no secret', signedBy('foobar', secret), undefined],
    ['a signed value and an empty list', signedBy('foobar', secret), []],
  ];
  for (const [label, value, key] of signedCases) {
    it(`signedCookie(${label}) answers as cookie-parser does`, () => {
      assert.equal(signedCookie(value, key as never), cookieParser.signedCookie(value, key));
    });
  }

  it('signedCookies moves signed and forged cookies out of the object, and leaves the rest', () => {
    const jar: Record<string, unknown> = {
      theme: 'dark',
      remember: signedBy('yes', secret),
      rotated: signedBy('old', older),
      forged: signedBy('admin', 'a guess'),
    };
    const signed = signedCookies(jar, [secret, older]);
    assert.equal(Object.getPrototypeOf(signed), null);
    assert.deepEqual({ ...signed }, { remember: 'yes', rotated: 'old', forged: false });
    assert.deepEqual(jar, { theme: 'dark' });
  });

  it('signedCookies treats a value that is not a string as cookie-parser does (moved out, undefined)', () => {
    const ours: Record<string, unknown> = { parsed: { items: [42] }, theme: 'dark' };
    const theirs: Record<string, unknown> = { parsed: { items: [42] }, theme: 'dark' };
    assert.deepEqual({ ...signedCookies(ours, secret) }, { ...cookieParser.signedCookies(theirs, secret) });
    assert.deepEqual(ours, theirs);
  });

  describe('over HTTP, on a cookies() without a secret', () => {
    const running: Running[] = [];
    after(() => Promise.all(running.map((server) => server.close())));
    for (const framework of ['express4', 'express5'] as const) {
      it(`verify a cookie Express signed, from req.cookies (${framework})`, async () => {
        const server = await serve(framework, [cookies()], (req, res) => {
          const signed = cookies.signedCookies(req.cookies, secret);
          res.json({ signed: { ...signed }, plain: req.cookies });
        });
        running.push(server);
        const header = [
          `remember=${encodeURIComponent(signedBy('yes', secret))}`,
          `forged=${encodeURIComponent(signedBy('yes', older))}`,
          'theme=dark',
        ].join('; ');
        const response = await fetch(server.url, { headers: { cookie: header } });
        assert.deepEqual(await response.json(), {
          signed: { remember: 'yes', forged: false },
          plain: { theme: 'dark' },
        });
      });
    }
  });
});
