import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import session from 'express-session';
import { type CsrfOptions, csrf } from '../../src/csrf/index.js';
import { CsrfError } from '../../src/errors.js';
import { session as coatcheckSession, cookieSession } from '../../src/index.js';
import {
  cookiePairs,
  type Framework,
  frameworks,
  type Middleware,
  type Running,
  serve,
} from '../cookies/servers.js';

// biome-ignore lint/suspicious/noExplicitAny: JSON bodies are checked with deepEqual
const readJson = (response: Response) => response.json() as Promise<Record<string, any>>;

interface Case {
  title: string;
  method: string;
  headers: Record<string, string>;
  status: number;
  reason?: string;
}

// `self` is replaced by the server's own origin.
const cases: Case[] = [
  {
    title: 'GET from another site',
    method: 'GET',
    headers: { 'sec-fetch-site': 'cross-site', origin: 'https://evil.example' },
    status: 200,
  },
  {
    title: 'HEAD from another site',
    method: 'HEAD',
    headers: { 'sec-fetch-site': 'cross-site' },
    status: 200,
  },
  {
    title: 'POST same-origin',
    method: 'POST',
    headers: { 'sec-fetch-site': 'same-origin', origin: 'self' },
    status: 200,
  },
  {
    title: 'POST typed in the address bar',
    method: 'POST',
    headers: { 'sec-fetch-site': 'none' },
    status: 200,
  },
  {
    title: 'POST cross-site',
    method: 'POST',
    headers: { 'sec-fetch-site': 'cross-site', origin: 'https://evil.example' },
    status: 403,
    reason: 'cross-site',
  },
  {
    title: 'DELETE same-site',
    method: 'DELETE',
    headers: { 'sec-fetch-site': 'same-site', origin: 'https://sub.example' },
    status: 403,
    reason: 'same-site',
  },
  { title: 'PUT from an old browser, own Origin', method: 'PUT', headers: { origin: 'self' }, status: 200 },
  {
    title: 'PATCH from an old browser, foreign Origin',
    method: 'PATCH',
    headers: { origin: 'https://evil.example' },
    status: 403,
    reason: 'origin-mismatch',
  },
  {
    title: 'POST with Origin null',
    method: 'POST',
    headers: { origin: 'null' },
    status: 403,
    reason: 'origin-mismatch',
  },
  { title: 'POST with only an own Referer', method: 'POST', headers: { referer: 'self/form' }, status: 200 },
  {
    title: 'POST with only a foreign Referer',
    method: 'POST',
    headers: { referer: 'https://evil.example/x' },
    status: 403,
    reason: 'origin-mismatch',
  },
  {
    title: 'POST with no origin information',
    method: 'POST',
    headers: {},
    status: 403,
    reason: 'origin-missing',
  },
  {
    title: 'POST from a trusted origin',
    method: 'POST',
    headers: { 'sec-fetch-site': 'cross-site', origin: 'https://admin.example' },
    status: 200,
  },
];

function resolveHeaders(headers: Record<string, string>, self: string): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, v.replace(/^self/, self)]));
}

for (const framework of frameworks) {
  describe(`csrf() on ${framework}`, () => {
    let server: Running;
    before(async () => {
      server = await serve(framework, [csrf({ trustedOrigins: ['https://admin.example'] })], (_req, res) =>
        res.end('ok'),
      );
    });
    after(() => server.close());

    for (const c of cases) {
      it(`${c.title}: ${c.status}`, async () => {
        const response = await fetch(server.url, {
          method: c.method,
          headers: resolveHeaders(c.headers, server.url),
        });
        assert.equal(response.status, c.status);
        if (c.reason !== undefined) {
          assert.deepEqual(await readJson(response), {
            name: 'CsrfError',
            code: 'ERR_CSRF',
            reason: c.reason,
            message: `request refused by CSRF protection: ${c.reason}`,
          });
        } else if (c.method !== 'HEAD') {
          assert.equal(await response.text(), 'ok');
        }
      });
    }
  });
}

it('passes a CsrfError with status 403 to next', () => {
  let passed: unknown;
  const req = { method: 'POST', headers: { 'sec-fetch-site': 'cross-site' } };
  (csrf() as Middleware)(req as never, {} as never, (error) => {
    passed = error;
  });
  assert.ok(passed instanceof CsrfError);
  assert.equal(passed.status, 403);
  assert.equal(passed.reason, 'cross-site');
});

describe('csrf() construction', () => {
  const bad: { title: string; options: unknown; message: RegExp }[] = [
    {
      title: 'both header and field',
      options: { token: { header: 'x-t', field: '_csrf' } },
      message: /exactly one place/,
    },
    {
      title: 'an invalid header name',
      options: { token: { header: 'x token' } },
      message: /token.header is not a valid header name/,
    },
    {
      title: 'an empty field',
      options: { token: { field: '' } },
      message: /token.field must be a non-empty string/,
    },
    {
      title: 'an unknown require',
      options: { token: { require: 'sometimes' } },
      message: /token.require must be/,
    },
    {
      title: 'a bad trusted origin',
      options: { trustedOrigins: ['admin.example'] },
      message: /is not an origin/,
    },
    {
      title: 'a token option of the wrong type',
      options: { token: 'yes' },
      message: /token must be a boolean or an object/,
    },
  ];
  for (const c of bad) {
    it(`refuses ${c.title} with a TypeError`, () => {
      assert.throws(
        () => csrf(c.options as CsrfOptions),
        (e: unknown) => e instanceof TypeError && c.message.test(e.message),
      );
    });
  }
});

const SESSION_SECRET = 'a session secret for the csrf tests, 32+ bytes';

const sessionMiddleware = () =>
  session({
    secret: SESSION_SECRET,
    resave: false,
    saveUninitialized: false,
  }) as unknown as Middleware;

interface Browser {
  cookie: string;
  token: string;
}

async function startServer(framework: Framework, options: CsrfOptions): Promise<Running> {
  return serve(framework, [sessionMiddleware(), csrf(options)], (req, res) => {
    if (req.url === '/login') {
      return req.session.regenerate(() => {
        req.session.user = 'ada';
        res.end(req.csrfToken());
      });
    }
    if (req.method === 'GET') return res.end(req.csrfToken());
    res.end('changed');
  });
}

async function visit(server: Running, path = '/form', cookie = ''): Promise<Browser> {
  const response = await fetch(server.url + path, {
    method: path === '/login' ? 'POST' : 'GET',
    headers: { cookie, 'sec-fetch-site': 'same-origin' },
  });
  assert.equal(response.status, 200);
  return { cookie: cookiePairs(response) || cookie, token: await response.text() };
}

for (const framework of ['express4', 'express5'] as const) {
  describe(`csrf({ token }) with express-session on ${framework}`, () => {
    let header: Running;
    let field: Running;
    let always: Running;
    before(async () => {
      header = await startServer(framework, { token: true });
      field = await startServer(framework, { token: { field: '_csrf' } });
      always = await startServer(framework, { token: { header: 'x-token', require: 'always' } });
    });
    after(async () => {
      await header.close();
      await field.close();
      await always.close();
    });

    const post = (server: Running, browser: Browser, headers: Record<string, string>, body?: string) =>
      fetch(`${server.url}/change`, {
        method: 'POST',
        headers: {
          cookie: browser.cookie,
          origin: server.url,
          ...headers,
          ...(body ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
        },
        body,
      });

    it('accepts the session token from an old browser, in the x-csrf-token header', async () => {
      const browser = await visit(header);
      assert.equal((await post(header, browser, { 'x-csrf-token': browser.token })).status, 200);
      // Every GET gives a new mask of the same secret; all of them verify.
      const again = await visit(header, '/form', browser.cookie);
      assert.notEqual(again.token, browser.token);
      assert.equal((await post(header, browser, { 'x-csrf-token': again.token })).status, 200);
    });

    const refusals: {
      title: string;
      headers: (b: Browser, other: Browser) => Record<string, string>;
      reason: string;
    }[] = [
      { title: 'no token', headers: () => ({}), reason: 'token-missing' },
      { title: 'an empty token', headers: () => ({ 'x-csrf-token': '' }), reason: 'token-missing' },
      { title: 'a garbage token', headers: () => ({ 'x-csrf-token': 'garbage' }), reason: 'token-invalid' },
      {
        title: "another session's token",
        headers: (_b, other) => ({ 'x-csrf-token': other.token }),
        reason: 'token-invalid',
      },
      {
        title: 'the right token in another header',
        headers: (b) => ({ 'x-xsrf-token': b.token }),
        reason: 'token-missing',
      },
    ];
    for (const r of refusals) {
      it(`refuses ${r.title} with ${r.reason}`, async () => {
        const browser = await visit(header);
        const other = await visit(header);
        const response = await post(header, browser, r.headers(browser, other));
        assert.equal(response.status, 403);
        assert.equal((await readJson(response)).reason, r.reason);
      });
    }

    it('lets a browser with Fetch Metadata through without a token by default', async () => {
      const browser = await visit(header);
      assert.equal((await post(header, browser, { 'sec-fetch-site': 'same-origin' })).status, 200);
    });

    it('still refuses a cross-site request that carries a valid token', async () => {
      const browser = await visit(header);
      const response = await post(header, browser, {
        'sec-fetch-site': 'cross-site',
        'x-csrf-token': browser.token,
      });
      assert.equal(response.status, 403);
      assert.equal((await readJson(response)).reason, 'cross-site');
    });

    it('with require: "always", wants the token from Fetch Metadata browsers too', async () => {
      const browser = await visit(always);
      const without = await post(always, browser, { 'sec-fetch-site': 'same-origin' });
      assert.equal(without.status, 403);
      assert.equal((await readJson(without)).reason, 'token-missing');
      assert.equal(
        (await post(always, browser, { 'sec-fetch-site': 'same-origin', 'x-token': browser.token })).status,
        200,
      );
    });

    it('with field, reads the token from the form body and only from there', async () => {
      const browser = await visit(field);
      assert.equal(
        (await post(field, browser, {}, `_csrf=${encodeURIComponent(browser.token)}`)).status,
        200,
      );
      const inHeader = await post(field, browser, { 'x-csrf-token': browser.token }, 'other=1');
      assert.equal(inHeader.status, 403);
      assert.equal((await readJson(inHeader)).reason, 'token-missing');
    });

    it('rotates the token on login: the token from before no longer works', async () => {
      const anonymous = await visit(header);
      const loggedIn = await visit(header, '/login', anonymous.cookie);
      assert.notEqual(loggedIn.cookie, anonymous.cookie);
      const stale = await post(header, loggedIn, { 'x-csrf-token': anonymous.token });
      assert.equal(stale.status, 403);
      assert.equal((await readJson(stale)).reason, 'token-invalid');
      assert.equal((await post(header, loggedIn, { 'x-csrf-token': loggedIn.token })).status, 200);
    });

    it('reports a missing session as a TypeError, not as a CSRF refusal', async () => {
      const bare = await serve(framework, [csrf({ token: true })], (req, res) => res.end(req.csrfToken()));
      try {
        const response = await fetch(bare.url, {
          method: 'POST',
          headers: { origin: bare.url, 'x-csrf-token': 'x' },
        });
        assert.equal(response.status, 500);
        assert.match((await readJson(response)).message, /needs req.session/);
        assert.equal((await fetch(bare.url)).status, 500);
      } finally {
        await bare.close();
      }
    });
  });
}

// coatcheck's rotate() keeps the session's data, the CSRF secret with it, and changes only the ID:
// tokens are bound to the ID, so the ones handed out before login die with the old ID.
const coatcheckSessions: Array<[string, () => Middleware]> = [
  ['session()', () => coatcheckSession({ secret: SESSION_SECRET }) as unknown as Middleware],
  ['cookieSession()', () => cookieSession({ secret: SESSION_SECRET }) as unknown as Middleware],
];

for (const framework of ['express4', 'express5'] as const) {
  for (const [label, makeSession] of coatcheckSessions) {
    describe(`csrf({ token }) with coatcheck ${label} on ${framework}`, () => {
      let server: Running;
      before(async () => {
        server = await serve(framework, [makeSession(), csrf({ token: true })], (req, res) => {
          if (req.url === '/login') {
            return req.session.rotate().then(() => {
              req.session.user = 'ada';
              res.end(req.csrfToken());
            });
          }
          if (req.url === '/regenerate') return req.session.regenerate().then(() => res.end(req.csrfToken()));
          if (req.method === 'GET') return res.end(req.csrfToken());
          res.end('changed');
        });
      });
      after(() => server.close());

      const post = (browser: Browser, token: string) =>
        fetch(`${server.url}/change`, {
          method: 'POST',
          headers: { cookie: browser.cookie, origin: server.url, 'x-csrf-token': token },
        });

      it('keeps a token valid while the session keeps its ID', async () => {
        const browser = await visit(server);
        const again = await visit(server, '/form', browser.cookie);
        assert.equal((await post(again, browser.token)).status, 200);
        assert.equal((await post(again, again.token)).status, 200);
      });

      for (const path of ['/login', '/regenerate']) {
        it(`refuses a token from before ${path === '/login' ? 'rotate()' : 'regenerate()'} after it`, async () => {
          const anonymous = await visit(server);
          assert.equal((await post(anonymous, anonymous.token)).status, 200);
          const loggedIn = await visit(server, path, anonymous.cookie);
          assert.notEqual(loggedIn.cookie, anonymous.cookie);
          const stale = await post(loggedIn, anonymous.token);
          assert.equal(stale.status, 403);
          assert.equal((await readJson(stale)).reason, 'token-invalid');
          assert.equal((await post(loggedIn, loggedIn.token)).status, 200);
        });
      }
    });
  }
}
