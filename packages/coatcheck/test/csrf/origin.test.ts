import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  type CrossOriginOptions,
  type CrossOriginRequest,
  checkCrossOrigin,
  crossOriginPolicy,
  isSafeMethod,
} from '../../src/csrf/index.js';
import type { CsrfFailure } from '../../src/errors.js';

const host = 'shop.example';

interface Case {
  title: string;
  method?: string;
  headers: CrossOriginRequest['headers'];
  options?: CrossOriginOptions;
  expected: CsrfFailure | null;
}

const cases: Case[] = [
  // Safe methods are never refused.
  { title: 'GET cross-site', method: 'GET', headers: { 'sec-fetch-site': 'cross-site' }, expected: null },
  {
    title: 'HEAD with a foreign Origin',
    method: 'HEAD',
    headers: { origin: 'https://evil.example' },
    expected: null,
  },
  { title: 'OPTIONS with nothing', method: 'OPTIONS', headers: {}, expected: null },
  { title: 'lower-case get', method: 'get', headers: { 'sec-fetch-site': 'cross-site' }, expected: null },
  // Fetch Metadata.
  { title: 'Sec-Fetch-Site same-origin', headers: { 'sec-fetch-site': 'same-origin' }, expected: null },
  {
    title: 'Sec-Fetch-Site none (typed URL, bookmark)',
    headers: { 'sec-fetch-site': 'none' },
    expected: null,
  },
  { title: 'Sec-Fetch-Site cross-site', headers: { 'sec-fetch-site': 'cross-site' }, expected: 'cross-site' },
  {
    title: 'Sec-Fetch-Site same-site (a sibling subdomain)',
    headers: { 'sec-fetch-site': 'same-site' },
    expected: 'same-site',
  },
  { title: 'Sec-Fetch-Site in another case', headers: { 'sec-fetch-site': 'Same-Origin' }, expected: null },
  {
    title: 'Sec-Fetch-Site unknown value',
    headers: { 'sec-fetch-site': 'whatever' },
    expected: 'cross-site',
  },
  { title: 'Sec-Fetch-Site empty', headers: { 'sec-fetch-site': '' }, expected: 'cross-site' },
  {
    title: 'Sec-Fetch-Site wins over a matching Origin',
    headers: { 'sec-fetch-site': 'cross-site', origin: `https://${host}` },
    expected: 'cross-site',
  },
  {
    title: 'Sec-Fetch-Site same-origin wins over a foreign Origin',
    headers: { 'sec-fetch-site': 'same-origin', origin: 'https://evil.example' },
    expected: null,
  },
  {
    title: 'cross-site from a trusted origin',
    headers: { 'sec-fetch-site': 'cross-site', origin: 'https://admin.example' },
    options: { trustedOrigins: ['https://admin.example'] },
    expected: null,
  },
  {
    title: 'cross-site from a trusted origin written with a trailing slash and upper case',
    headers: { 'sec-fetch-site': 'cross-site', origin: 'https://admin.example' },
    options: { trustedOrigins: ['HTTPS://Admin.Example/'] },
    expected: null,
  },
  {
    title: 'cross-site from an untrusted origin when others are trusted',
    headers: { 'sec-fetch-site': 'cross-site', origin: 'https://evil.example' },
    options: { trustedOrigins: ['https://admin.example'] },
    expected: 'cross-site',
  },
  // No Fetch Metadata: Origin.
  { title: 'Origin matching Host', headers: { origin: `https://${host}` }, expected: null },
  { title: 'Origin matching Host over http', headers: { origin: `http://${host}` }, expected: null },
  {
    title: 'Origin with another port',
    headers: { origin: `https://${host}:8443` },
    expected: 'origin-mismatch',
  },
  { title: 'Origin of a subdomain', headers: { origin: `https://api.${host}` }, expected: 'origin-mismatch' },
  {
    title: 'Origin of another site',
    headers: { origin: 'https://evil.example' },
    expected: 'origin-mismatch',
  },
  {
    title: 'Origin null (sandboxed iframe, data: URL)',
    headers: { origin: 'null' },
    expected: 'origin-mismatch',
  },
  { title: 'Origin garbage', headers: { origin: '::::' }, expected: 'origin-mismatch' },
  {
    title: 'Origin with a host suffix trick',
    headers: { origin: `https://${host}.evil.example` },
    expected: 'origin-mismatch',
  },
  {
    title: 'Origin but no Host',
    headers: { origin: `https://${host}`, host: undefined },
    expected: 'origin-mismatch',
  },
  {
    title: 'Origin trusted',
    headers: { origin: 'https://admin.example' },
    options: { trustedOrigins: ['https://admin.example'] },
    expected: null,
  },
  {
    title: 'Origin equal to the configured own origin',
    headers: { origin: 'https://public.example', host: 'internal:8080' },
    options: { origin: 'https://public.example' },
    expected: null,
  },
  {
    title: 'Origin matching Host but not the configured origin',
    headers: { origin: `https://${host}` },
    options: { origin: 'https://public.example' },
    expected: 'origin-mismatch',
  },
  {
    title: 'configured origin compares the scheme',
    headers: { origin: 'http://public.example' },
    options: { origin: ['https://public.example'] },
    expected: 'origin-mismatch',
  },
  // No Fetch Metadata, no Origin: Referer.
  { title: 'Referer on the same host', headers: { referer: `https://${host}/cart?x=1` }, expected: null },
  {
    title: 'Referer on another host',
    headers: { referer: 'https://evil.example/page' },
    expected: 'origin-mismatch',
  },
  { title: 'Referer that is not a URL', headers: { referer: 'nonsense' }, expected: 'origin-mismatch' },
  {
    title: 'Referer with a javascript: URL',
    headers: { referer: 'javascript:alert(1)' },
    expected: 'origin-mismatch',
  },
  {
    title: 'Referer from a trusted origin',
    headers: { referer: 'https://admin.example/x' },
    options: { trustedOrigins: ['https://admin.example'] },
    expected: null,
  },
  {
    title: 'Origin is checked before Referer',
    headers: { origin: 'https://evil.example', referer: `https://${host}/` },
    expected: 'origin-mismatch',
  },
  // Nothing at all.
  { title: 'no header at all', headers: {}, expected: 'origin-missing' },
  { title: 'no header at all, allowed', headers: {}, options: { allowMissingOrigin: true }, expected: null },
  { title: 'empty Referer', headers: { referer: '' }, expected: 'origin-missing' },
  {
    title: 'allowMissingOrigin does not excuse a foreign Origin',
    headers: { origin: 'https://evil.example' },
    options: { allowMissingOrigin: true },
    expected: 'origin-mismatch',
  },
];

describe('checkCrossOrigin', () => {
  for (const c of cases) {
    it(`${c.method ?? 'POST'}: ${c.title}`, () => {
      const headers = { host, ...c.headers };
      assert.equal(
        checkCrossOrigin({ method: c.method ?? 'POST', headers }, crossOriginPolicy(c.options)),
        c.expected,
      );
    });
  }

  for (const method of ['POST', 'PUT', 'PATCH', 'DELETE', 'QUERY', 'PROPFIND']) {
    it(`treats ${method} as unsafe`, () => {
      assert.equal(isSafeMethod(method), false);
      assert.equal(
        checkCrossOrigin({ method, headers: { 'sec-fetch-site': 'cross-site' } }, crossOriginPolicy()),
        'cross-site',
      );
    });
  }

  it('never throws on hostile headers (property)', () => {
    const policy = crossOriginPolicy({ trustedOrigins: ['https://admin.example'] });
    const text = fc.option(fc.string({ unit: 'binary', maxLength: 80 }), { nil: undefined });
    fc.assert(
      fc.property(text, text, text, text, (site, origin, referer, hostHeader) => {
        const result = checkCrossOrigin(
          { method: 'POST', headers: { 'sec-fetch-site': site, origin, referer, host: hostHeader } },
          policy,
        );
        assert.ok(result === null || typeof result === 'string');
      }),
      { numRuns: 2000 },
    );
  });
});

describe('crossOriginPolicy', () => {
  const bad: { title: string; options: unknown; message: RegExp }[] = [
    {
      title: 'an origin with a path',
      options: { origin: 'https://a.example/app' },
      message: /origin: "https:\/\/a.example\/app" is not an origin/,
    },
    {
      title: 'a bare host',
      options: { trustedOrigins: ['admin.example'] },
      message: /trustedOrigins: "admin.example" is not an origin/,
    },
    {
      title: 'null',
      options: { trustedOrigins: ['null'] },
      message: /trustedOrigins: "null" is not an origin/,
    },
    {
      title: 'trustedOrigins not an array',
      options: { trustedOrigins: 'https://a.example' },
      message: /trustedOrigins must be an array/,
    },
    { title: 'origin not a string', options: { origin: 42 }, message: /origin must be a string or an array/ },
  ];
  for (const c of bad) {
    it(`refuses ${c.title} with a TypeError`, () => {
      assert.throws(
        () => crossOriginPolicy(c.options as CrossOriginOptions),
        (e: unknown) => e instanceof TypeError && c.message.test(e.message),
      );
    });
  }
});
