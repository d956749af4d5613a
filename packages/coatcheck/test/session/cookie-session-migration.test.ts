// Moving from cookie-session: a browser signed in by the real cookie-session on Express keeps its
// session when the app switches to cookieSession() with `migrate`, over real HTTP on Express 4 and 5.
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { after, describe, it } from 'node:test';
import { cookieSession } from 'coatcheck';
import { type AnyApp, Client, EXPRESS, listen, type TestServer } from '../helpers/http.js';

const require = createRequire(import.meta.url);
const legacyCookieSession = require('cookie-session') as (options: Record<string, unknown>) => AnyApp;
const Keygrip = require('keygrip') as new (
  keys: string[],
  algorithm?: string,
) => { sign(data: string): string };

const OLD_KEYS = ['the key cookie-session signs with now', 'a key cookie-session signed with before'];
const SECRET = 'the secret coatcheck seals with, 32+ bytes long';
const servers: TestServer[] = [];
after(() => Promise.all(servers.map((server) => server.close())));

async function serve(app: AnyApp): Promise<TestServer> {
  const server = await listen(app);
  servers.push(server);
  return server;
}

/** The app before the switch: real cookie-session; POST /login signs Ada in. */
async function legacyApp(makeApp: () => AnyApp, options: Record<string, unknown> = {}): Promise<TestServer> {
  const app = makeApp();
  app.use(legacyCookieSession({ keys: OLD_KEYS, ...options }));
  app.post('/login', (req: AnyApp, res: AnyApp) => {
    req.session.user = 'ada';
    req.session.cart = [1, 2];
    res.send('signed in');
  });
  return serve(app);
}

/** The app after the switch; GET /me answers who is signed in and counts visits in the session. */
async function coatcheckApp(
  makeApp: () => AnyApp,
  options: Record<string, unknown>,
): Promise<{ server: TestServer; tampered: unknown[] }> {
  const app = makeApp();
  const middleware = cookieSession({ secret: SECRET, ...options } as never);
  const tampered: unknown[] = [];
  middleware.on('tampered', (event) => tampered.push(event));
  app.use(middleware);
  app.get('/me', (req: AnyApp, res: AnyApp) => {
    req.session.visits = (req.session.visits ?? 0) + 1;
    res.json({ user: req.session.user ?? null, cart: req.session.cart ?? null, visits: req.session.visits });
  });
  app.use((err: Error, _req: unknown, res: AnyApp, _next: unknown) => res.status(500).send(err.message));
  return { server: await serve(app), tampered };
}

/** A browser signed in on the legacy app: its jar, moved to the new app's origin (same host). */
async function signedInBrowser(legacy: TestServer, next: TestServer): Promise<Client> {
  const before = new Client(legacy.url);
  assert.equal(await before.text('/login', { method: 'POST' }), 'signed in');
  assert.ok(before.jar.has('session') && before.jar.has('session.sig'), 'cookie-session set both cookies');
  const after = new Client(next.url);
  for (const [name, value] of before.jar) after.jar.set(name, value);
  return after;
}

const migrate = { cookieSession: { keys: OLD_KEYS } };

for (const [framework, makeApp] of EXPRESS) {
  describe(`cookieSession() taking over cookie-session's cookies on ${framework}`, () => {
    it('keeps the user signed in, answers with the sealed cookie and deletes session.sig', async () => {
      const legacy = await legacyApp(makeApp);
      const { server, tampered } = await coatcheckApp(makeApp, { migrate });
      const browser = await signedInBrowser(legacy, server);

      const first = await browser.fetch('/me');
      assert.equal(first.status, 200);
      assert.deepEqual(await first.json(), { user: 'ada', cart: [1, 2], visits: 1 });
      const sealed = first.setCookies.find((line) => line.startsWith('session='));
      assert.match(sealed ?? '', /^session=cc1\.[^;]+; Path=\/; HttpOnly; SameSite=Lax$/);
      const sig = first.setCookies.find((line) => line.startsWith('session.sig='));
      assert.match(
        sig ?? '',
        /^session\.sig=; Path=\/; Expires=Thu, 01 Jan 1970 00:00:00 GMT; HttpOnly; SameSite=Lax$/,
      );
      assert.deepEqual([...browser.jar.keys()], ['session']);

      // The browser now holds coatcheck's cookie only, and stays signed in on it.
      assert.deepEqual(await (await browser.fetch('/me')).json(), { user: 'ada', cart: [1, 2], visits: 2 });
      assert.deepEqual(tampered, []);
    });

    it('takes a cookie signed with an older key, and one under its own name', async () => {
      const olderOnly = await legacyApp(makeApp, { keys: [OLD_KEYS[1]], name: 'legacy' });
      const { server } = await coatcheckApp(makeApp, {
        migrate: { cookieSession: { keys: OLD_KEYS, name: 'legacy' } },
      });
      const before = new Client(olderOnly.url);
      await before.fetch('/login', { method: 'POST' });
      const browser = new Client(server.url);
      for (const [name, value] of before.jar) browser.jar.set(name, value);
      assert.deepEqual([...browser.jar.keys()].sort(), ['legacy', 'legacy.sig']);

      const first = await browser.fetch('/me');
      assert.deepEqual(await first.json(), { user: 'ada', cart: [1, 2], visits: 1 });
      assert.deepEqual([...browser.jar.keys()], ['session'], 'legacy and legacy.sig deleted, session set');
    });

    it('a tampered cookie-session cookie is a fresh session and a tampered event, never a 500', async () => {
      const legacy = await legacyApp(makeApp);
      const { server, tampered } = await coatcheckApp(makeApp, { migrate });
      const browser = await signedInBrowser(legacy, server);
      const forged = Buffer.from(JSON.stringify({ user: 'admin' })).toString('base64');
      const sig = browser.jar.get('session.sig') as string;

      const cases: Array<[string, string, string]> = [
        ['another body under the real signature', `session=${forged}; session.sig=${sig}`, 'signature'],
        [
          'a wrong signature',
          `session=${browser.jar.get('session')}; session.sig=${sig.slice(1)}x`,
          'signature',
        ],
        [
          'a signature by another key',
          `session=${forged}; session.sig=${new Keygrip(['not a key']).sign(`session=${forged}`)}`,
          'signature',
        ],
        // Authentic, but no JSON object inside: signed by a key the app lists.
        [
          'a signed body that is no JSON object',
          `session=bm90IGpzb24; session.sig=${new Keygrip(OLD_KEYS).sign('session=bm90IGpzb24')}`,
          'malformed',
        ],
      ];
      for (const [title, cookie, reason] of cases) {
        tampered.length = 0;
        const response = await browser.fetch('/me', { cookie });
        assert.equal(response.status, 200, title);
        assert.deepEqual(await response.json(), { user: null, cart: null, visits: 1 }, title);
        assert.deepEqual(tampered, [{ reason }], title);
      }
    });

    it('without migrate, or once the window is over, a cookie-session cookie is no session', async () => {
      const legacy = await legacyApp(makeApp);
      const { server: plain } = await coatcheckApp(makeApp, {});
      const { server: over, tampered } = await coatcheckApp(makeApp, {
        migrate: { cookieSession: { keys: OLD_KEYS, until: new Date(Date.now() - 1000) } },
      });
      for (const server of [plain, over]) {
        const browser = await signedInBrowser(legacy, server);
        const response = await browser.fetch('/me');
        assert.equal(response.status, 200);
        assert.deepEqual(await response.json(), { user: null, cart: null, visits: 1 });
      }
      assert.deepEqual(tampered, [], 'a window that is over is no attack');
    });

    it('reads a cookie signed through a keygrip instance with another digest', async () => {
      const grip = new Keygrip(OLD_KEYS, 'sha256');
      const legacy = await legacyApp(makeApp, { keys: grip });
      const { server } = await coatcheckApp(makeApp, {
        migrate: { cookieSession: { keys: OLD_KEYS, algorithm: 'sha256' } },
      });
      const browser = await signedInBrowser(legacy, server);
      assert.deepEqual(await (await browser.fetch('/me')).json(), { user: 'ada', cart: [1, 2], visits: 1 });
      const { server: throughGrip } = await coatcheckApp(makeApp, {
        migrate: { cookieSession: { keys: grip } },
      });
      const again = await signedInBrowser(legacy, throughGrip);
      assert.deepEqual(await (await again.fetch('/me')).json(), { user: 'ada', cart: [1, 2], visits: 1 });
    });
  });
}

describe('cookieSession() option migrate', () => {
  const refused: Array<[string, unknown, RegExp]> = [
    ['a number', 1, /option migrate must be an object/],
    ['an unknown source', { expressSession: {} }, /migrate\.expressSession is unknown/],
    ['cookieSession as a string', { cookieSession: 'keys' }, /migrate\.cookieSession must be an object/],
    ['no keys', { cookieSession: {} }, /migrate\.cookieSession\.keys must be a non-empty array/],
    ['empty keys', { cookieSession: { keys: [] } }, /migrate\.cookieSession\.keys must be a non-empty array/],
    [
      'an empty key',
      { cookieSession: { keys: [''] } },
      /migrate\.cookieSession\.keys must hold non-empty strings/,
    ],
    [
      'an unknown option',
      { cookieSession: { keys: OLD_KEYS, signed: false } },
      /migrate\.cookieSession\.signed is unknown/,
    ],
    [
      'a bad name',
      { cookieSession: { keys: OLD_KEYS, name: 'a;b' } },
      /migrate\.cookieSession\.name must be a valid cookie name/,
    ],
    [
      'a bad algorithm',
      { cookieSession: { keys: OLD_KEYS, algorithm: 'md5' } },
      /migrate\.cookieSession\.algorithm must be/,
    ],
    [
      'an invalid until',
      { cookieSession: { keys: OLD_KEYS, until: 'tomorrow' } },
      /migrate\.cookieSession\.until must be a valid Date/,
    ],
  ];
  for (const [title, migrate, message] of refused) {
    it(`is a TypeError at construction for ${title}`, () => {
      assert.throws(
        () => cookieSession({ secret: SECRET, migrate } as never),
        (error: Error) => {
          assert.ok(error instanceof TypeError);
          assert.match(error.message, message);
          return true;
        },
      );
    });
  }
});
