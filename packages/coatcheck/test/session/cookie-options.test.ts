// The session cookie over real HTTP: `'auto'` settings decided for each response, never stored, and
// every Set-Cookie built by serializeCookie by its rules.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { MemoryStore } from 'coatcheck';
import { serializeCookie } from 'coatcheck/cookies';
import { idFromCookie, sessionApp } from '../helpers/app.js';
import { type AnyApp, Client, EXPRESS } from '../helpers/http.js';

const HTTPS = { 'x-forwarded-proto': 'https' };

/** Express's `trust proxy`, so `req.secure` follows `X-Forwarded-Proto` as behind a TLS proxy. */
const trustingProxy = (makeApp: () => AnyApp) => () => {
  const app = makeApp();
  app.set('trust proxy', true);
  return app;
};

function attributesOf(line: string): string[] {
  return line
    .split(';')
    .slice(1)
    .map((part) => part.trim().split('=')[0] as string);
}

for (const [framework, makeApp] of EXPRESS) {
  describe(`session() cookie attributes on ${framework}`, () => {
    const servers: Array<{ close(): Promise<void> }> = [];
    after(() => Promise.all(servers.map((s) => s.close())));
    async function app(options: Parameters<typeof sessionApp>[1] = {}) {
      const server = await sessionApp(trustingProxy(makeApp), options);
      servers.push(server);
      return server;
    }

    it('secure "auto": a session begun over HTTP gets Secure at its login over HTTPS, and after', async () => {
      const store = new MemoryStore();
      const server = await app({ store, rolling: true });
      const browser = new Client(server.url);
      const first = await browser.fetch('/set/cart/1', { method: 'POST' });
      assert.deepEqual(attributesOf(first.setCookies[0] as string), ['Path', 'HttpOnly', 'SameSite']);
      const anonymousId = idFromCookie(browser.jar.get('connect.sid')) as string;
      // Stored as the setting, not as the first request's answer.
      assert.equal((await store.read(anonymousId))?.data.cookie?.secure, 'auto');

      const login = await browser.fetch('/login/ada', { method: 'POST', headers: HTTPS });
      assert.equal(login.status, 200);
      assert.deepEqual(attributesOf(login.setCookies[0] as string), [
        'Path',
        'HttpOnly',
        'Secure',
        'SameSite',
      ]);
      const userId = idFromCookie(browser.jar.get('connect.sid')) as string;
      assert.equal((await store.read(userId))?.data.cookie?.secure, 'auto', 'rotate() copies the setting');

      const later = await browser.fetch('/views', { headers: HTTPS });
      assert.match(later.setCookies[0] as string, /; Secure/);
      // The same session seen over plain HTTP (a misrouted request) is answered as 'auto' says.
      const plain = await browser.fetch('/views');
      assert.doesNotMatch(plain.setCookies[0] as string, /Secure/);
    });

    it('a session stored with a resolved secure: false (by an older version) gets Secure over HTTPS', async () => {
      const store = new MemoryStore();
      const server = await app({ store, rolling: true });
      const browser = new Client(server.url);
      await browser.fetch('/set/cart/1', { method: 'POST' });
      const id = idFromCookie(browser.jar.get('connect.sid')) as string;
      const record = (await store.read(id)) as NonNullable<Awaited<ReturnType<MemoryStore['read']>>>;
      record.data.cookie = { ...record.data.cookie, originalMaxAge: null, secure: false };
      await store.write(id, record);
      assert.match((await browser.fetch('/views', { headers: HTTPS })).setCookies[0] as string, /; Secure/);
    });

    it('sameSite "auto" and "none" are decided per response: None; Secure over HTTPS, Lax over HTTP', async () => {
      for (const sameSite of ['auto', 'none'] as const) {
        const server = await app({ cookie: { sameSite }, rolling: true });
        const browser = new Client(server.url);
        const http = await browser.fetch('/set/a/1', { method: 'POST' });
        assert.match(http.setCookies[0] as string, /; SameSite=Lax$/, sameSite);
        assert.doesNotMatch(http.setCookies[0] as string, /Secure/);
        const https = await browser.fetch('/views', { headers: HTTPS });
        assert.match(https.setCookies[0] as string, /; Secure; SameSite=None$/, sameSite);
      }
    });

    it('every Set-Cookie is what serializeCookie builds for the same attributes', async () => {
      const server = await app({
        name: '__host-sid',
        cookie: { maxAge: 60_000, sameSite: 'strict', priority: 'high', partitioned: true },
      });
      const browser = new Client(server.url);
      const response = await browser.fetch('/set/a/1', { method: 'POST', headers: HTTPS });
      const line = response.setCookies[0] as string;
      const value = decodeURIComponent(browser.jar.get('__host-sid') as string);
      const expires = new Date(/Expires=([^;]+)/.exec(line)?.[1] as string);
      assert.equal(
        line,
        serializeCookie('__host-sid', value, {
          path: '/',
          expires,
          httpOnly: true,
          secure: true,
          partitioned: true,
          priority: 'high',
          sameSite: 'strict',
        }),
      );
      // A lower-case prefix is a prefix: never sent over plain HTTP.
      const plain = await new Client(server.url).fetch('/set/a/1', { method: 'POST' });
      assert.deepEqual(plain.setCookies, []);
    });

    it('a per-session lifetime over 400 days goes out capped at 400 days, not as a 500', async () => {
      const server = await sessionApp(trustingProxy(makeApp), { absoluteTimeout: false }, (express: AnyApp) =>
        express.post('/remember', (req: { session: { cookie: { maxAge: number } } }, res: AnyApp) => {
          req.session.cookie.maxAge = 500 * 24 * 3600 * 1000;
          res.send('ok');
        }),
      );
      servers.push(server);
      const response = await new Client(server.url).fetch('/remember', { method: 'POST' });
      assert.equal(response.status, 200);
      const expires = Date.parse(/Expires=([^;]+)/.exec(response.setCookies[0] as string)?.[1] as string);
      const days = (expires - Date.now()) / (24 * 3600 * 1000);
      assert.ok(days > 399 && days <= 400, `${days} days`);
    });
  });
}
