/**
 * `coatcheck/fetch` (issue 17): Fetch API handlers get the same sessions, over real HTTP, on every
 * store: data kept, safe cookies, no lost update across 50 overlapping requests, a logout that a
 * slower save or rotate cannot undo, rotate on login, the user index, timeouts, `secure: 'auto'`
 * per response, and a tampered cookie that is a fresh session.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Session, SessionOptions, SessionStore } from 'coatcheck';
import { type FetchSessions, fetchSessions } from 'coatcheck/fetch';
import { Client, type TestServer } from '../../packages/coatcheck/test/helpers/http.js';
import { serveFetch } from '../helpers/fetch-server.js';
import { storeTargets } from '../helpers/stores.js';

const SECRET = 'fetch adapter tests: a secret of thirty-two bytes or more';

type Data = Record<string, unknown>;
const data = (session: Session) => session as unknown as Data;

/** The routes of the Express tests' app, as one Fetch handler. */
function routes(sessions: FetchSessions) {
  return sessions.wrap(async (request, context) => {
    const session = context.session;
    const url = new URL(request.url);
    const [, action = '', key = '', value = ''] = url.pathname.split('/');
    switch (action) {
      case 'views':
        data(session).views = Number(data(session).views ?? 0) + 1;
        return new Response(String(data(session).views));
      case 'read': {
        const { cookie: _cookie, ...rest } = session as unknown as Data;
        return Response.json(rest);
      }
      case 'id':
        return new Response(session.id);
      case 'set':
        data(session)[key] = value;
        return new Response('ok');
      case 'slow-set':
        await sleep(150);
        data(session)[key] = value;
        return new Response('ok');
      case 'login':
        await session.rotate();
        data(context.session).userId = key;
        return new Response(context.session.id);
      case 'slow-login':
        await sleep(150);
        await session.rotate();
        data(context.session).userId = key;
        return new Response(context.session.id);
      case 'logout':
        await session.destroy();
        return new Response('bye');
      case 'redirect':
        data(session).redirected = true;
        return Response.redirect(`${url.origin}/read`, 303);
      case 'cached':
        data(session).cached = true;
        return new Response('ok', { headers: { 'Cache-Control': 'private, max-age=60' } });
      case 'info':
        data(session).seen = true;
        return Response.json({
          info: sessions.info(request) ?? null,
          ended: sessions.ended(request) ?? null,
        });
      default:
        return new Response('not found', { status: 404 });
    }
  });
}

for (const target of storeTargets('fetch_adapter')) {
  describe(`coatcheck/fetch on ${target.name}, over HTTP`, () => {
    let store: SessionStore;
    let release: () => Promise<void>;
    let skipped: string | false = false;
    const servers: TestServer[] = [];
    before(async () => {
      skipped = await target.skip();
      if (skipped) return;
      ({ store, release } = await target.open());
    });
    after(async () => {
      await Promise.all(servers.map((server) => server.close()));
      if (!skipped) await release();
    });

    async function app(options: Partial<SessionOptions> = {}, scheme: 'http' | 'https' = 'http') {
      const sessions = fetchSessions({
        secret: SECRET,
        store,
        userKey: 'userId',
        ...options,
      } as SessionOptions);
      const server = await serveFetch(routes(sessions), scheme);
      servers.push(server);
      return { sessions, url: server.url, client: () => new Client(server.url) };
    }

    it('keeps data across requests, with safe cookie attributes and no caching', async (t) => {
      if (skipped) return t.skip(skipped);
      const { client } = await app();
      const browser = client();
      const first = await browser.fetch('/views');
      assert.equal(await first.text(), '1');
      assert.equal(first.setCookies.length, 1);
      assert.match(
        first.setCookies[0] as string,
        /^connect\.sid=s%3A[^;]+; Path=\/; HttpOnly; SameSite=Lax$/,
      );
      assert.equal(first.headers.get('cache-control'), 'no-store');
      assert.equal(await browser.text('/views'), '2');
      const untouched = await client().fetch('/id');
      assert.deepEqual(untouched.setCookies, [], 'no cookie for a session nobody wrote to');
    });

    it('keeps every write of 50 overlapping requests on one session', async (t) => {
      if (skipped) return t.skip(skipped);
      const { client } = await app();
      const browser = client();
      await browser.fetch('/set/start/1', { method: 'POST' });
      const writes = Array.from({ length: 50 }, (_, i) =>
        browser.fetch(`/set/k${i}/${i}`, { method: 'POST' }),
      );
      for (const response of await Promise.all(writes)) assert.equal(response.status, 200);
      const read = (await (await browser.fetch('/read')).json()) as Data;
      for (let i = 0; i < 50; i++) assert.equal(read[`k${i}`], String(i), `k${i}`);
    });

    it('a logout is not undone by a slower save or a slower rotate', async (t) => {
      if (skipped) return t.skip(skipped);
      const { client } = await app();
      for (const slow of ['/slow-set/late/write', '/slow-login/mallory']) {
        const browser = client();
        await browser.fetch('/login/alice', { method: 'POST' });
        const cookie = browser.cookieHeader();
        const pending = browser.fetch(slow, { method: 'POST', cookie });
        await sleep(30);
        assert.equal((await browser.fetch('/logout', { method: 'POST', cookie })).status, 200);
        const late = await pending;
        const revived = late.setCookies.find((line) => line.startsWith('connect.sid=s%3A'));
        const after = await browser.fetch('/read', { cookie: revived ? revived.split(';')[0] : cookie });
        assert.deepEqual(await after.json(), {}, `${slow}: the session stays logged out`);
      }
    });

    it('rotates the ID on login, keeps the data, and lists and revokes the user’s sessions', async (t) => {
      if (skipped) return t.skip(skipped);
      const { client, sessions } = await app();
      const laptop = client();
      const phone = client();
      await laptop.fetch('/set/cart/apples', { method: 'POST' });
      const before = laptop.cookieHeader();
      const laptopId = await laptop.text('/login/ada', { method: 'POST' });
      assert.notEqual(laptop.cookieHeader(), before);
      assert.deepEqual(await (await laptop.fetch('/read')).json(), { cart: 'apples', userId: 'ada' });
      assert.deepEqual(await (await laptop.fetch('/read', { cookie: before })).json(), {});
      await phone.text('/login/ada', { method: 'POST' });
      assert.equal((await sessions.listByUser('ada')).length, 2);
      assert.equal(await sessions.revokeAll('ada', { except: laptopId }), 1);
      assert.deepEqual(await (await phone.fetch('/read')).json(), {}, 'the phone is logged out');
      assert.equal(((await (await laptop.fetch('/read')).json()) as Data).userId, 'ada');
    });

    it('a tampered cookie is a fresh session, reported by ended()', async (t) => {
      if (skipped) return t.skip(skipped);
      const { client } = await app();
      const browser = client();
      await browser.fetch('/views');
      const value = browser.jar.get('connect.sid') as string;
      const forged = `${value.slice(0, -3)}${value.endsWith('AAA') ? 'BBB' : 'AAA'}`;
      const response = await browser.fetch('/info', { cookie: `connect.sid=${forged}` });
      assert.equal(response.status, 200);
      assert.deepEqual(await response.json(), { info: null, ended: 'tampered' });
    });

    it('ends an idle session, and info() reports its timing', async (t) => {
      if (skipped) return t.skip(skipped);
      const { client } = await app({ idleTimeout: 400, touchAfter: 0 });
      const browser = client();
      await browser.fetch('/views');
      const { info } = (await (await browser.fetch('/info')).json()) as { info: { idleTimeout: number } };
      assert.equal(info.idleTimeout, 400);
      await sleep(700);
      assert.equal(await browser.text('/views'), '1', 'the idle session ended');
    });

    it('decides Secure per response: over https, and behind a proxy that says so', async (t) => {
      if (skipped) return t.skip(skipped);
      const overHttps = await app({}, 'https');
      const secure = await overHttps.client().fetch('/views');
      assert.match(secure.setCookies[0] as string, /; Secure/);
      const plain = await app();
      assert.doesNotMatch((await plain.client().fetch('/views')).setCookies[0] as string, /Secure/);
      const proxied = await app({ proxy: true });
      const forwarded = await proxied.client().fetch('/views', { headers: { 'X-Forwarded-Proto': 'https' } });
      assert.match(forwarded.setCookies[0] as string, /; Secure/);
    });

    it('puts the cookie on a redirect and keeps a Cache-Control the handler chose', async (t) => {
      if (skipped) return t.skip(skipped);
      const { client } = await app();
      const browser = client();
      const redirect = await browser.fetch('/redirect');
      assert.equal(redirect.status, 303);
      assert.equal(redirect.setCookies.length, 1, 'Response.redirect() has immutable headers: copied');
      assert.deepEqual(await (await browser.fetch('/read')).json(), { redirected: true });
      const cached = await client().fetch('/cached');
      assert.equal(cached.headers.get('cache-control'), 'private, max-age=60');
      assert.equal(cached.setCookies.length, 1);
    });
  });
}

describe('fetchSessions options', () => {
  it('refuses deviceBound with a TypeError saying where it runs', () => {
    assert.throws(
      () => fetchSessions({ secret: SECRET, deviceBound: {} } as SessionOptions),
      (err: unknown) => err instanceof TypeError && /deviceBound/.test(err.message),
    );
  });

  it('refuses what is not a Fetch Request', async () => {
    const sessions = fetchSessions({ secret: SECRET });
    await assert.rejects(sessions.open({ url: 'http://x/' } as unknown as Request), TypeError);
  });
});
