// cookie-session's options and request API on cookieSession(), over real HTTP on Express 4 and 5.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { cookieSession } from 'coatcheck';
import { type AnyApp, Client, EXPRESS, listen, type TestServer } from '../helpers/http.js';

const KEYS = ['the newest key, thirty-two bytes or more', 'the older key, thirty-two bytes or more'];
const servers: TestServer[] = [];
after(() => Promise.all(servers.map((server) => server.close())));

type Req = AnyApp;

async function appWith(
  makeApp: () => AnyApp,
  options: Record<string, unknown>,
  handler: (req: Req, res: AnyApp) => void,
): Promise<TestServer> {
  const app = makeApp();
  app.use(cookieSession(options as never));
  app.use(handler);
  app.use((err: Error, _req: unknown, res: AnyApp, _next: unknown) => res.status(500).send(err.message));
  const server = await listen(app);
  servers.push(server);
  return server;
}

describe("cookie-session's options and API on cookieSession()", () => {
  it("refuses options with neither keys nor secret, in cookie-session's words", () => {
    assert.throws(() => cookieSession({} as never), { name: 'TypeError', message: /\.keys required/ });
    assert.throws(() => (cookieSession as () => unknown)(), {
      name: 'TypeError',
      message: /\.keys required/,
    });
  });

  for (const [framework, makeApp] of EXPRESS) {
    describe(framework, () => {
      it('takes keys, name and the cookie attributes at the top level, and shows them in req.sessionOptions', async () => {
        const server = await appWith(
          makeApp,
          { keys: KEYS, name: 'my.session', maxAge: 3_600_000, httpOnly: false, path: '/' },
          (req, res) => {
            req.session.message = 'hi';
            res.json({ name: req.sessionOptions.name, httpOnly: req.sessionOptions.httpOnly });
          },
        );
        const response = await new Client(server.url).fetch('/');
        assert.deepEqual(await response.json(), { name: 'my.session', httpOnly: false });
        const cookie = response.setCookies[0] as string;
        assert.match(cookie, /^my\.session=cc1\./, 'sealed, under the given name');
        assert.doesNotMatch(cookie, /HttpOnly/);
        const expires = Date.parse(/Expires=([^;]+)/.exec(cookie)?.[1] as string);
        assert.ok(Math.abs(expires - Date.now() - 3_600_000) < 5_000, 'maxAge from the top level');
      });

      it('a change to req.sessionOptions.maxAge changes this response’s cookie', async () => {
        const server = await appWith(makeApp, { keys: KEYS, maxAge: 3_600_000 }, (req, res) => {
          if (req.url === '/longer') req.sessionOptions.maxAge = 6_500_000;
          req.session.message = 'hi';
          res.send('ok');
        });
        const response = await new Client(server.url).fetch('/longer');
        const expires = Date.parse(/Expires=([^;]+)/.exec(response.setCookies[0] as string)?.[1] as string);
        assert.ok(expires - Date.now() > 6_000_000);
      });

      it('req.session.isNew and .isPopulated say what cookie-session’s say, and stay out of the data', async () => {
        const server = await appWith(makeApp, { keys: KEYS }, (req, res) => {
          const before = { isNew: req.session.isNew, isPopulated: req.session.isPopulated };
          if (req.url === '/write') req.session.message = 'hi';
          res.json({ before, after: req.session.isPopulated, json: JSON.parse(JSON.stringify(req.session)) });
        });
        const browser = new Client(server.url);
        assert.deepEqual(await (await browser.fetch('/write')).json(), {
          before: { isNew: true, isPopulated: false },
          after: true,
          json: { message: 'hi' },
        });
        assert.deepEqual(await (await browser.fetch('/read')).json(), {
          before: { isNew: false, isPopulated: true },
          after: true,
          json: { message: 'hi' },
        });
      });

      it('req.session = null deletes the cookie, also when the request carried none', async () => {
        const server = await appWith(makeApp, { keys: KEYS }, (req, res) => {
          if (req.url === '/write') req.session.message = 'hi';
          else req.session = null;
          res.send(JSON.stringify(req.session));
        });
        const stranger = await new Client(server.url).fetch('/clear');
        assert.equal(await stranger.text(), 'null');
        assert.match(stranger.setCookies[0] as string, /^session=; .*Expires=Thu, 01 Jan 1970/);
        const browser = new Client(server.url);
        await browser.fetch('/write');
        assert.ok(browser.jar.has('session'));
        await browser.fetch('/clear');
        assert.ok(!browser.jar.has('session'), 'the session cookie is gone');
      });

      it('req.session = { … } replaces the data; = {} on a new session sets no cookie', async () => {
        const server = await appWith(makeApp, { keys: KEYS }, (req, res) => {
          if (req.url === '/empty') req.session = {};
          else if (req.url === '/replace') req.session = { message: 'hello', isNew: 'ignored' };
          else if (req.url === '/old') req.session.old = 'value';
          res.json(req.session);
        });
        assert.deepEqual((await new Client(server.url).fetch('/empty')).setCookies, []);
        const browser = new Client(server.url);
        await browser.fetch('/old');
        assert.deepEqual(await (await browser.fetch('/replace')).json(), { message: 'hello' });
        assert.deepEqual(await (await browser.fetch('/read')).json(), { message: 'hello' }, 'old is gone');
      });

      it('req.session = "a string" throws, as in cookie-session', async () => {
        const server = await appWith(makeApp, { keys: KEYS }, (req, res) => {
          req.session = 'aklsdjfasdf';
          res.send('not reached');
        });
        const response = await new Client(server.url).fetch('/');
        assert.equal(response.status, 500);
        assert.equal(await response.text(), 'req.session can only be set as null or an object');
      });
    });
  }
});
