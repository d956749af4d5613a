/**
 * csrfGuard, the one CSRF decision under every framework's csrf(): the header check, when a token
 * is required, where it is read from, and that tokens are bound to the session and its ID. The
 * frameworks' own csrf() run the same guard over HTTP in test/adapters/behaviour.ts.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type CsrfOptions, type CsrfRequestView, csrfGuard } from '../../src/csrf/index.js';
import { CsrfError, type CsrfFailure } from '../../src/errors.js';

const SESSION_ID = 'the-session-id-of-this-request';

function view(
  method: string,
  headers: Record<string, string>,
  session: Record<string, unknown> | undefined,
  body: Record<string, unknown> = {},
  sessionId: unknown = SESSION_ID,
): CsrfRequestView {
  return {
    method,
    header: (name) => headers[name],
    session: () => session,
    sessionId: () => sessionId,
    field: (name) => body[name],
  };
}

interface Case {
  title: string;
  options: CsrfOptions;
  method?: string;
  headers: Record<string, string>;
  /** What the request carries: the session's own token, one bound to another ID, garbage, or nothing. */
  token?: 'own' | 'other-id' | 'garbage';
  /** Where it carries it. Default: the header `x-csrf-token`. */
  in?: 'header' | 'field';
  expected: CsrfFailure | null;
}

const SAME = { 'sec-fetch-site': 'same-origin', host: 'shop.example' };
const OLD_BROWSER = { origin: 'https://shop.example', host: 'shop.example' };

const cases: Case[] = [
  {
    title: 'GET cross-site, token required',
    options: { token: { require: 'always' } },
    method: 'GET',
    headers: { 'sec-fetch-site': 'cross-site' },
    expected: null,
  },
  {
    title: 'POST cross-site',
    options: {},
    headers: { 'sec-fetch-site': 'cross-site' },
    expected: 'cross-site',
  },
  { title: 'POST same-site', options: {}, headers: { 'sec-fetch-site': 'same-site' }, expected: 'same-site' },
  { title: 'POST same-origin, no token option', options: {}, headers: SAME, expected: null },
  {
    title: 'POST without any origin header',
    options: {},
    headers: { host: 'shop.example' },
    expected: 'origin-missing',
  },
  {
    title: 'POST with a foreign Origin',
    options: {},
    headers: { origin: 'https://evil.example', host: 'shop.example' },
    expected: 'origin-mismatch',
  },
  // token: required by default only without Fetch Metadata.
  {
    title: 'same-origin with token: true needs none',
    options: { token: true },
    headers: SAME,
    expected: null,
  },
  {
    title: 'old browser, token: true, none given',
    options: { token: true },
    headers: OLD_BROWSER,
    expected: 'token-missing',
  },
  {
    title: 'old browser, token: true, its own',
    options: { token: true },
    headers: OLD_BROWSER,
    token: 'own',
    expected: null,
  },
  {
    title: 'old browser, a token bound to another ID',
    options: { token: true },
    headers: OLD_BROWSER,
    token: 'other-id',
    expected: 'token-invalid',
  },
  {
    title: 'old browser, garbage',
    options: { token: true },
    headers: OLD_BROWSER,
    token: 'garbage',
    expected: 'token-invalid',
  },
  {
    title: 'require always, same-origin, none given',
    options: { token: { require: 'always' } },
    headers: SAME,
    expected: 'token-missing',
  },
  {
    title: 'require always, same-origin, its own',
    options: { token: { require: 'always' } },
    headers: SAME,
    token: 'own',
    expected: null,
  },
  {
    title: 'the header check comes first',
    options: { token: { require: 'always' } },
    headers: { 'sec-fetch-site': 'cross-site' },
    token: 'own',
    expected: 'cross-site',
  },
  {
    title: 'field: read from the body',
    options: { token: { field: '_csrf' } },
    headers: OLD_BROWSER,
    token: 'own',
    in: 'field',
    expected: null,
  },
  {
    title: 'field: a header is not read',
    options: { token: { field: '_csrf' } },
    headers: OLD_BROWSER,
    token: 'own',
    in: 'header',
    expected: 'token-missing',
  },
  {
    title: 'a custom header name',
    options: { token: { header: 'X-Token' } },
    headers: OLD_BROWSER,
    token: 'own',
    expected: 'token-missing',
  },
];

describe('csrfGuard', () => {
  for (const c of cases) {
    it(`${c.title}: ${c.expected ?? 'passes'}`, () => {
      const guard = csrfGuard(c.options);
      const session: Record<string, unknown> = {};
      const headers: Record<string, string> = { ...c.headers };
      const body: Record<string, unknown> = {};
      if (c.token !== undefined) {
        const settings = csrfGuard({ token: true });
        const token =
          c.token === 'garbage'
            ? 'not-a-token'
            : settings.tokenFor(session, c.token === 'own' ? SESSION_ID : 'another-session-id');
        if (c.in === 'field') body._csrf = token;
        else headers['x-csrf-token'] = token;
      }
      const refused = guard.check(view(c.method ?? 'POST', headers, session, body));
      if (c.expected === null) assert.equal(refused, undefined);
      else {
        assert.ok(refused instanceof CsrfError, String(refused));
        assert.equal(refused.reason, c.expected);
        assert.equal(refused.status, 403);
      }
    });
  }

  it('keeps the secret in the session under sessionKey, one per session, never the token', () => {
    const guard = csrfGuard({ token: { sessionKey: 'xsrf' } });
    const session: Record<string, unknown> = {};
    const first = guard.tokenFor(session, SESSION_ID);
    const second = guard.tokenFor(session, SESSION_ID);
    assert.notEqual(first, second, 'each token is freshly masked');
    assert.equal(typeof session.xsrf, 'string');
    assert.notEqual(session.xsrf, first);
    for (const token of [first, second]) {
      const headers = { ...OLD_BROWSER, 'x-csrf-token': token };
      assert.equal(guard.check(view('POST', headers, session)), undefined);
    }
  });

  it('a token from before rotate() fails under the new ID', () => {
    const guard = csrfGuard({ token: true });
    const session: Record<string, unknown> = {};
    const token = guard.tokenFor(session, 'before-login');
    const headers = { ...OLD_BROWSER, 'x-csrf-token': token };
    assert.equal(guard.check(view('POST', headers, session, {}, 'before-login')), undefined);
    const refused = guard.check(view('POST', headers, session, {}, 'after-login'));
    assert.ok(refused instanceof CsrfError && refused.reason === 'token-invalid');
  });

  it('says where the session should be when there is none, in the words it is given', () => {
    const guard = csrfGuard({ token: true }, 'ctx.session: mount session() first');
    const refused = guard.check(view('POST', OLD_BROWSER, undefined));
    assert.ok(refused instanceof TypeError);
    assert.equal(refused.message, 'csrf({ token }) needs ctx.session: mount session() first');
    assert.throws(() => guard.tokenFor(undefined, SESSION_ID), /needs ctx\.session/);
    assert.throws(() => csrfGuard({}).tokenFor({}, SESSION_ID), /needs the option token/);
  });

  it('tells an adapter when it must read a body field: unsafe, past the header check, token required', () => {
    const guard = csrfGuard({ token: { field: '_csrf' } });
    assert.equal(guard.needsToken(view('GET', OLD_BROWSER, {})), false);
    assert.equal(guard.needsToken(view('POST', SAME, {})), false);
    assert.equal(guard.needsToken(view('POST', OLD_BROWSER, {})), true);
    assert.equal(csrfGuard({}).needsToken(view('POST', OLD_BROWSER, {})), false);
  });

  it('refuses bad options with a TypeError at construction', () => {
    for (const options of [
      null,
      { token: 'yes' },
      { token: { header: 'x', field: 'y' } },
      { token: { header: 'bad header' } },
      { token: { field: '' } },
      { token: { sessionKey: '' } },
      { token: { require: 'sometimes' } },
      { origin: 'not an origin' },
    ]) {
      assert.throws(() => csrfGuard(options as CsrfOptions), TypeError, JSON.stringify(options));
    }
  });
});
