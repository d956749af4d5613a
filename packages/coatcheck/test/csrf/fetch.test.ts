/**
 * fetchCsrf on Fetch `Request`s: a token in a form, multipart or JSON field read from a copy of the
 * body (the handler still reads it), the host taken from the URL when a `Request` made in code has
 * no `Host` header, and what it refuses. Over HTTP in every framework: test/adapters/behaviour.ts.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fetchCsrf } from '../../src/csrf/fetch.js';
import { CsrfError } from '../../src/errors.js';

const URL_ = 'https://shop.example/save';
const ORIGIN = { origin: 'https://shop.example' };

function holder() {
  return { session: { id: 'a-session-id-for-these-tests' } as Record<string, unknown> };
}

describe('fetchCsrf', () => {
  it('reads a token field from a urlencoded, multipart or JSON body, and leaves the body to the handler', async () => {
    const csrf = fetchCsrf({ token: { field: '_csrf' } });
    const context = holder();
    const token = csrf.token(context);
    const multipart = new FormData();
    multipart.set('_csrf', token);
    multipart.set('name', 'ada');
    const bodies: Array<[string, RequestInit]> = [
      [
        'urlencoded',
        {
          body: new URLSearchParams({ _csrf: token, name: 'ada' }).toString(),
          headers: { ...ORIGIN, 'content-type': 'application/x-www-form-urlencoded' },
        },
      ],
      ['multipart', { body: multipart, headers: ORIGIN }],
      [
        'json',
        {
          body: JSON.stringify({ _csrf: token, name: 'ada' }),
          headers: { ...ORIGIN, 'content-type': 'application/json' },
        },
      ],
    ];
    for (const [kind, init] of bodies) {
      const request = new Request(URL_, { method: 'POST', ...init });
      assert.equal(await csrf.check(request, context), undefined, kind);
      assert.match(await request.text(), /ada/, `${kind}: the handler still reads the body`);
    }
  });

  it('refuses a missing, malformed or unparsable body field as token-missing', async () => {
    const csrf = fetchCsrf({ token: { field: '_csrf' } });
    const context = holder();
    for (const [body, type] of [
      ['name=ada', 'application/x-www-form-urlencoded'],
      ['{"_csrf": ', 'application/json'],
      ['["_csrf"]', 'application/json'],
      ['_csrf=x', 'text/plain'],
    ]) {
      const request = new Request(URL_, {
        method: 'POST',
        body,
        headers: { ...ORIGIN, 'content-type': type as string },
      });
      const refused = await csrf.check(request, context);
      assert.ok(refused instanceof CsrfError, body);
      assert.equal(refused.reason, 'token-missing', body);
    }
  });

  it('takes the host from the URL of a Request made in code, so its own Origin passes', async () => {
    const csrf = fetchCsrf();
    const own = new Request(URL_, { method: 'POST', headers: ORIGIN });
    assert.equal(await csrf.check(own), undefined);
    const foreign = new Request(URL_, { method: 'POST', headers: { origin: 'https://evil.example' } });
    assert.equal((await csrf.check(foreign))?.reason, 'origin-mismatch');
    const spoofed = new Request(URL_, { method: 'DELETE', headers: { 'sec-fetch-site': 'cross-site' } });
    assert.equal((await csrf.check(spoofed))?.reason, 'cross-site');
    assert.equal(
      await csrf.check(new Request(URL_, { headers: { 'sec-fetch-site': 'cross-site' } })),
      undefined,
    );
  });

  it('throws a TypeError for what is not a Request, or a token without a session', async () => {
    const csrf = fetchCsrf({ token: true });
    await assert.rejects(csrf.check({ url: URL_, method: 'POST' } as unknown as Request), TypeError);
    await assert.rejects(
      csrf.check(new Request(URL_, { method: 'POST', headers: ORIGIN })),
      /needs a session/,
    );
    const destroyed = {
      get session(): object {
        throw new TypeError('the session was destroyed');
      },
    };
    assert.throws(() => csrf.token(destroyed), /needs a session/);
    assert.throws(() => fetchCsrf().token(holder()), /needs the option token/);
  });
});
