import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FetchExchange, fetchPathOf, isSecureFetchRequest } from '../../../src/session/fetch/exchange.js';

describe('isSecureFetchRequest', () => {
  const cases: Array<[string, Record<string, string>, boolean | undefined, boolean]> = [
    ['https://app.test/', {}, undefined, true],
    ['http://app.test/', {}, undefined, false],
    ['http://app.test/', { 'x-forwarded-proto': 'https' }, undefined, false],
    ['http://app.test/', { 'x-forwarded-proto': 'https' }, false, false],
    ['http://app.test/', { 'x-forwarded-proto': 'https' }, true, true],
    ['http://app.test/', { 'x-forwarded-proto': 'HTTPS, http' }, true, true],
    ['http://app.test/', { 'x-forwarded-proto': 'http, https' }, true, false],
    ['https://app.test/', {}, true, false],
  ];
  for (const [url, headers, proxy, expected] of cases) {
    it(`${url} ${JSON.stringify(headers)} proxy ${proxy} → ${expected}`, () => {
      assert.equal(isSecureFetchRequest(new Request(url, { headers }), proxy), expected);
    });
  }
});

describe('fetchPathOf', () => {
  it('is the URL path without the query', () => {
    assert.equal(fetchPathOf(new Request('http://app.test/a/b?c=d')), '/a/b');
    assert.equal(fetchPathOf(new Request('http://app.test')), '/');
  });
});

describe('FetchExchange.applyTo', () => {
  const withCookie = () => {
    const exchange = new FetchExchange(new Request('http://app.test/'));
    exchange.appendSetCookie(['sid=1; Path=/; HttpOnly']);
    exchange.setHeaderUnlessPresent('Cache-Control', 'no-store');
    return exchange;
  };

  it('adds Set-Cookie beside the handler’s own, and no-store unless the handler chose a Cache-Control', () => {
    const own = new Response('x', { headers: [['Set-Cookie', 'theme=dark']] });
    const out = withCookie().applyTo(own);
    assert.equal(out, own, 'mutable headers are changed in place');
    assert.deepEqual(out.headers.getSetCookie(), ['theme=dark', 'sid=1; Path=/; HttpOnly']);
    assert.equal(out.headers.get('cache-control'), 'no-store');
    const cached = withCookie().applyTo(new Response('x', { headers: { 'Cache-Control': 'max-age=5' } }));
    assert.equal(cached.headers.get('cache-control'), 'max-age=5');
  });

  it('copies a response whose headers are immutable, keeping status, headers and body', async () => {
    const redirect = Response.redirect('http://app.test/next', 302);
    const out = withCookie().applyTo(redirect);
    assert.notEqual(out, redirect);
    assert.equal(out.status, 302);
    assert.equal(out.headers.get('location'), 'http://app.test/next');
    assert.deepEqual(out.headers.getSetCookie(), ['sid=1; Path=/; HttpOnly']);
    const error = Response.error();
    assert.equal(withCookie().applyTo(error), error, 'a network error goes as it is: no browser gets it');
  });

  it('leaves a response alone when the engine set nothing, and counts as sent afterwards', () => {
    const exchange = new FetchExchange(new Request('http://app.test/'));
    const response = new Response('x');
    assert.equal(exchange.headersSent(), false);
    assert.equal(exchange.applyTo(response), response);
    assert.equal(exchange.headersSent(), true);
  });
});
