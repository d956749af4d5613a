import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { serialize as serializeWithCookiePackage } from 'cookie';
import fc from 'fast-check';
import { MAX_COOKIE_AGE, type SerializeCookieOptions, serializeCookie } from '../../src/cookies/index.js';
import { CookieTooLargeError } from '../../src/errors.js';

const epoch = new Date(0);

interface Case {
  title: string;
  name: string;
  value: string;
  options?: SerializeCookieOptions;
  expected: string;
}

const cases: Case[] = [
  { title: 'name and value', name: 'sid', value: 'abc', expected: 'sid=abc' },
  { title: 'empty value', name: 'sid', value: '', expected: 'sid=' },
  {
    title: 'value is URI-encoded',
    name: 'a',
    value: 'hello world;,"\\',
    expected: 'a=hello%20world%3B%2C%22%5C',
  },
  { title: 'non-ASCII value', name: 'a', value: 'été', expected: 'a=%C3%A9t%C3%A9' },
  {
    title: 'custom encode',
    name: 'a',
    value: 'x y',
    options: { encode: (v) => v.replace(' ', '+') },
    expected: 'a=x+y',
  },
  {
    title: 'custom encode may wrap in DQUOTEs',
    name: 'a',
    value: 'x',
    options: { encode: (v) => `"${v}"` },
    expected: 'a="x"',
  },
  { title: 'Max-Age', name: 'a', value: '1', options: { maxAge: 3600 }, expected: 'a=1; Max-Age=3600' },
  { title: 'Max-Age 0 deletes', name: 'a', value: '', options: { maxAge: 0 }, expected: 'a=; Max-Age=0' },
  {
    title: 'negative Max-Age deletes',
    name: 'a',
    value: '',
    options: { maxAge: -1 },
    expected: 'a=; Max-Age=-1',
  },
  {
    title: 'Max-Age of exactly 400 days',
    name: 'a',
    value: '1',
    options: { maxAge: MAX_COOKIE_AGE },
    expected: 'a=1; Max-Age=34560000',
  },
  {
    title: 'Domain',
    name: 'a',
    value: '1',
    options: { domain: 'example.com' },
    expected: 'a=1; Domain=example.com',
  },
  {
    title: 'Domain with a leading dot',
    name: 'a',
    value: '1',
    options: { domain: '.sub.example.com' },
    expected: 'a=1; Domain=.sub.example.com',
  },
  { title: 'Path', name: 'a', value: '1', options: { path: '/admin' }, expected: 'a=1; Path=/admin' },
  {
    title: 'Expires',
    name: 'a',
    value: '',
    options: { expires: epoch },
    expected: 'a=; Expires=Thu, 01 Jan 1970 00:00:00 GMT',
  },
  { title: 'HttpOnly', name: 'a', value: '1', options: { httpOnly: true }, expected: 'a=1; HttpOnly' },
  { title: 'Secure', name: 'a', value: '1', options: { secure: true }, expected: 'a=1; Secure' },
  {
    title: 'false flags are left out',
    name: 'a',
    value: '1',
    options: { secure: false, httpOnly: false, partitioned: false, sameSite: false },
    expected: 'a=1',
  },
  {
    title: 'Partitioned',
    name: 'a',
    value: '1',
    options: { secure: true, partitioned: true },
    expected: 'a=1; Secure; Partitioned',
  },
  { title: 'Priority', name: 'a', value: '1', options: { priority: 'high' }, expected: 'a=1; Priority=High' },
  {
    title: 'Priority is case-insensitive',
    name: 'a',
    value: '1',
    options: { priority: 'Low' },
    expected: 'a=1; Priority=Low',
  },
  {
    title: 'SameSite=Lax',
    name: 'a',
    value: '1',
    options: { sameSite: 'lax' },
    expected: 'a=1; SameSite=Lax',
  },
  {
    title: 'SameSite=Strict from true',
    name: 'a',
    value: '1',
    options: { sameSite: true },
    expected: 'a=1; SameSite=Strict',
  },
  {
    title: 'SameSite=None with Secure',
    name: 'a',
    value: '1',
    options: { sameSite: 'None', secure: true },
    expected: 'a=1; Secure; SameSite=None',
  },
  {
    title: '__Secure- prefix with Secure',
    name: '__Secure-id',
    value: '1',
    options: { secure: true },
    expected: '__Secure-id=1; Secure',
  },
  {
    title: '__Host- prefix with Secure and Path=/',
    name: '__Host-id',
    value: '1',
    options: { secure: true, path: '/' },
    expected: '__Host-id=1; Path=/; Secure',
  },
  {
    title: '__Http- prefix with Secure and HttpOnly',
    name: '__Http-id',
    value: '1',
    options: { secure: true, httpOnly: true },
    expected: '__Http-id=1; HttpOnly; Secure',
  },
  {
    title: 'every attribute, in a stable order',
    name: '__Host-sid',
    value: 'v',
    options: {
      maxAge: 60,
      path: '/',
      expires: epoch,
      httpOnly: true,
      secure: true,
      partitioned: true,
      priority: 'medium',
      sameSite: 'strict',
    },
    expected:
      '__Host-sid=v; Max-Age=60; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT; HttpOnly; Secure; Partitioned; Priority=Medium; SameSite=Strict',
  },
];

interface BadCase {
  title: string;
  name: string;
  value: unknown;
  options?: Record<string, unknown>;
  message: RegExp;
}

const badCases: BadCase[] = [
  { title: 'empty name', name: '', value: 'x', message: /cookie name is invalid: ""/ },
  { title: 'name with =', name: 'a=b', value: 'x', message: /cookie name is invalid: "a=b"/ },
  {
    title: 'name with ;',
    name: 'a;Domain=evil',
    value: 'x',
    message: /cookie name is invalid: "a;Domain=evil"/,
  },
  { title: 'name with space', name: 'a b', value: 'x', message: /cookie name is invalid/ },
  {
    title: 'name with control character',
    name: 'a\nb',
    value: 'x',
    message: /cookie name is invalid: "a\\nb"/,
  },
  { title: 'name with non-ASCII', name: 'é', value: 'x', message: /cookie name is invalid/ },
  {
    title: 'value that is not a string',
    name: 'a',
    value: 42,
    message: /cookie "a": value must be a string/,
  },
  {
    title: 'encoded value with ;',
    name: 'a',
    value: 'x;Path=/',
    options: { encode: (v: string) => v },
    message: /cookie "a": value is invalid after encoding \(character ";" at index 1\)/,
  },
  {
    title: 'encoded value with space',
    name: 'a',
    value: 'x y',
    options: { encode: (v: string) => v },
    message: /character " " at index 1/,
  },
  {
    title: 'encoded value with comma',
    name: 'a',
    value: 'x,y',
    options: { encode: (v: string) => v },
    message: /character "," at index 1/,
  },
  {
    title: 'maxAge not an integer',
    name: 'a',
    value: 'x',
    options: { maxAge: 1.5 },
    message: /maxAge must be an integer number of seconds, got 1.5/,
  },
  { title: 'maxAge NaN', name: 'a', value: 'x', options: { maxAge: Number.NaN }, message: /got NaN/ },
  {
    title: 'maxAge over 400 days',
    name: 'a',
    value: 'x',
    options: { maxAge: MAX_COOKIE_AGE + 1 },
    message: /maxAge 34560001 is over 400 days/,
  },
  {
    title: 'expires not a Date',
    name: 'a',
    value: 'x',
    options: { expires: 'tomorrow' },
    message: /expires must be a valid Date/,
  },
  {
    title: 'expires invalid Date',
    name: 'a',
    value: 'x',
    options: { expires: new Date(Number.NaN) },
    message: /expires must be a valid Date/,
  },
  {
    title: 'expires over 400 days ahead',
    name: 'a',
    value: 'x',
    options: { expires: new Date(Date.now() + 401 * 86_400_000) },
    message: /more than 400 days ahead/,
  },
  {
    title: 'domain with ;',
    name: 'a',
    value: 'x',
    options: { domain: 'example.com; Path=/evil' },
    message: /domain is invalid: "example.com; Path=\/evil"/,
  },
  {
    title: 'domain with trailing dot',
    name: 'a',
    value: 'x',
    options: { domain: 'example.com.' },
    message: /domain is invalid/,
  },
  {
    title: 'domain with a space',
    name: 'a',
    value: 'x',
    options: { domain: 'exa mple.com' },
    message: /domain is invalid/,
  },
  {
    title: 'domain label starting with -',
    name: 'a',
    value: 'x',
    options: { domain: '-x.example.com' },
    message: /domain is invalid/,
  },
  {
    title: 'domain label over 63 characters',
    name: 'a',
    value: 'x',
    options: { domain: `${'a'.repeat(64)}.com` },
    message: /domain is invalid/,
  },
  { title: 'empty domain', name: 'a', value: 'x', options: { domain: '' }, message: /domain is invalid: ""/ },
  {
    title: 'path with ;',
    name: 'a',
    value: 'x',
    options: { path: '/; Domain=evil.com' },
    message: /path is invalid: "\/; Domain=evil.com"/,
  },
  {
    title: 'path with control character',
    name: 'a',
    value: 'x',
    options: { path: '/a\rb' },
    message: /path is invalid/,
  },
  {
    title: 'path not starting with /',
    name: 'a',
    value: 'x',
    options: { path: 'admin' },
    message: /path is invalid: "admin"/,
  },
  {
    title: 'path over 1024 bytes',
    name: 'a',
    value: 'x',
    options: { path: `/${'a'.repeat(1024)}` },
    message: /path is invalid/,
  },
  {
    title: 'sameSite unknown',
    name: 'a',
    value: 'x',
    options: { sameSite: 'loose' },
    message: /sameSite is invalid: "loose"/,
  },
  {
    title: 'sameSite none without secure',
    name: 'a',
    value: 'x',
    options: { sameSite: 'none' },
    message: /sameSite "none" requires secure/,
  },
  {
    title: 'partitioned without secure',
    name: 'a',
    value: 'x',
    options: { partitioned: true },
    message: /partitioned requires secure/,
  },
  {
    title: 'priority unknown',
    name: 'a',
    value: 'x',
    options: { priority: 'urgent' },
    message: /priority is invalid: "urgent"/,
  },
  {
    title: '__Secure- without secure',
    name: '__Secure-a',
    value: 'x',
    message: /its prefix requires secure/,
  },
  {
    title: '__secure- (any case) without secure',
    name: '__secure-a',
    value: 'x',
    message: /its prefix requires secure/,
  },
  {
    title: '__Host- without secure',
    name: '__Host-a',
    value: 'x',
    options: { path: '/' },
    message: /its prefix requires secure/,
  },
  {
    title: '__Host- without path',
    name: '__Host-a',
    value: 'x',
    options: { secure: true },
    message: /needs path "\/"/,
  },
  {
    title: '__Host- with another path',
    name: '__Host-a',
    value: 'x',
    options: { secure: true, path: '/app' },
    message: /needs path "\/"/,
  },
  {
    title: '__Host- with a domain',
    name: '__Host-a',
    value: 'x',
    options: { secure: true, path: '/', domain: 'example.com' },
    message: /must not have a domain/,
  },
  {
    title: '__HOST- (any case) with a domain',
    name: '__HOST-a',
    value: 'x',
    options: { secure: true, path: '/', domain: 'example.com' },
    message: /must not have a domain/,
  },
  {
    title: '__Http- without httpOnly',
    name: '__Http-a',
    value: 'x',
    options: { secure: true },
    message: /requires httpOnly/,
  },
  {
    title: '__Host-Http- without httpOnly',
    name: '__Host-Http-a',
    value: 'x',
    options: { secure: true, path: '/' },
    message: /requires httpOnly/,
  },
];

describe('serializeCookie', () => {
  for (const c of cases) {
    it(c.title, () => {
      assert.equal(serializeCookie(c.name, c.value, c.options), c.expected);
    });
  }

  for (const c of badCases) {
    it(`refuses ${c.title}`, () => {
      assert.throws(
        () => serializeCookie(c.name, c.value as string, c.options as SerializeCookieOptions),
        (error: unknown) => error instanceof TypeError && c.message.test(error.message),
      );
    });
  }

  it('does not quote the value in its error messages', () => {
    assert.throws(
      () => serializeCookie('sid', 'secret-session-id;', { encode: (v) => v }),
      (error: unknown) => error instanceof TypeError && !error.message.includes('secret-session-id'),
    );
  });

  it('refuses name and value over 4096 bytes with CookieTooLargeError', () => {
    assert.equal(serializeCookie('a', 'x'.repeat(4095)).length, 4097);
    assert.throws(
      () => serializeCookie('ab', 'x'.repeat(4095)),
      (error: unknown) =>
        error instanceof CookieTooLargeError &&
        error.code === 'ERR_COOKIE_TOO_LARGE' &&
        error.size === 4097 &&
        error.limit === 4096,
    );
    // The limit counts encoded bytes: 'é' is 6 of them.
    assert.throws(() => serializeCookie('a', 'é'.repeat(683)), CookieTooLargeError);
  });

  it('writes the same header as the cookie package for what both accept (property)', () => {
    const name = fc.stringMatching(/^[A-Za-z0-9!#$&'*+\-.^_`|~]{1,16}$/);
    const options = fc
      .record(
        {
          maxAge: fc.integer({ min: -10, max: MAX_COOKIE_AGE }),
          path: fc.stringMatching(/^\/[a-z0-9/_-]{0,10}$/),
          domain: fc.constantFrom('example.com', '.example.com', 'a.b-c.example'),
          httpOnly: fc.boolean(),
          partitioned: fc.boolean(),
          priority: fc.constantFrom('low', 'medium', 'high') as fc.Arbitrary<'low' | 'medium' | 'high'>,
          sameSite: fc.constantFrom('lax', 'strict', 'none') as fc.Arbitrary<'lax' | 'strict' | 'none'>,
        },
        { requiredKeys: [] },
      )
      .map((o) => ({ ...o, secure: true }));
    fc.assert(
      fc.property(name, fc.string({ unit: 'grapheme', maxLength: 40 }), options, (n, v, o) => {
        assert.equal(serializeCookie(n, v, o), serializeWithCookiePackage(n, v, o));
      }),
      { numRuns: 500 },
    );
  });

  it('never writes a header with an injected attribute (property)', () => {
    const text = fc.string({ unit: 'binary', maxLength: 30 });
    fc.assert(
      fc.property(text, text, text, text, (name, value, path, domain) => {
        let header: string;
        try {
          header = serializeCookie(name, value, { path: `/${path}`, domain, encode: (v) => v });
        } catch (error) {
          assert.ok(error instanceof TypeError || error instanceof CookieTooLargeError);
          return;
        }
        // Exactly the three parts asked for: the pair, Domain and Path.
        assert.equal(header.split(';').length, 3);
        for (const char of header) assert.ok(char >= ' ' && char <= '~', 'only printable ASCII');
      }),
      { numRuns: 2000 },
    );
  });

  it('enforces the prefix rules at compile time', () => {
    // Each @ts-expect-error fails the typecheck if the type lets the call through.
    // @ts-expect-error __Host- needs options
    assert.throws(() => serializeCookie('__Host-a', 'x'));
    // @ts-expect-error __Host- needs path '/'
    assert.throws(() => serializeCookie('__Host-a', 'x', { secure: true }));
    // @ts-expect-error __Host- forbids a domain
    assert.throws(() => serializeCookie('__Host-a', 'x', { secure: true, path: '/', domain: 'example.com' }));
    // @ts-expect-error __Secure- needs secure: true
    assert.throws(() => serializeCookie('__Secure-a', 'x', { secure: false }));
    // @ts-expect-error __Host-Http- needs httpOnly
    assert.throws(() => serializeCookie('__Host-Http-a', 'x', { secure: true, path: '/' }));
    assert.equal(serializeCookie('__Host-a', 'x', { secure: true, path: '/' }), '__Host-a=x; Path=/; Secure');
    // A name only known at run time gets the plain options; the run-time check still holds.
    const dynamic: string = '__Host-a';
    assert.throws(() => serializeCookie(dynamic, 'x'), /its prefix requires secure/);
  });
});
