/**
 * `@coatcheck/hono` in a real Hono app served over HTTP by @hono/node-server, on every store: the
 * session on `c.get('session')`, safe cookies, no lost update across 50 overlapping requests, a
 * logout that a slower save or rotate cannot undo, rotate on login, the user index, the idle
 * timeout, route-scoped mounting, and coatcheck's errors answered with their status.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { getRequestListener } from '@hono/node-server';
import type { SessionOptions, SessionStore } from 'coatcheck';
import { Hono } from 'hono';
import { storeTargets } from '../../../test/helpers/stores.js';
import { Client, listen, type TestServer } from '../../coatcheck/test/helpers/http.js';
import { type HonoSessionMiddleware, type SessionEnv, session } from '../src/index.js';

const SECRET = 'hono adapter tests: a secret of thirty-two bytes or more';

type Data = Record<string, unknown>;

function honoApp(sessions: HonoSessionMiddleware) {
  const app = new Hono<SessionEnv>();
  app.get('/public', (c) => c.text(String(c.get('session'))));
  app.use('/s/*', sessions);
  app.get('/s/views', (c) => {
    const s = c.get('session') as unknown as Data;
    s.views = Number(s.views ?? 0) + 1;
    return c.text(String(s.views));
  });
  app.get('/s/read', (c) => {
    const { cookie: _cookie, ...rest } = c.get('session') as unknown as Data;
    return c.json(rest);
  });
  app.post('/s/set/:key/:value', async (c) => {
    if (c.req.query('slow')) await sleep(150);
    (c.get('session') as unknown as Data)[c.req.param('key')] = c.req.param('value');
    return c.text('ok');
  });
  app.post('/s/login/:user', async (c) => {
    if (c.req.query('slow')) await sleep(150);
    await c.get('session').rotate();
    (c.get('session') as unknown as Data).userId = c.req.param('user');
    return c.text(c.get('session').id);
  });
  app.post('/s/logout', async (c) => {
    await c.get('session').destroy();
    return c.text('bye');
  });
  app.get('/s/redirect', (c) => {
    (c.get('session') as unknown as Data).redirected = true;
    return Response.redirect(new URL('/s/read', c.req.url), 303);
  });
  app.get('/s/ended', (c) => c.json({ ended: sessions.ended(c) ?? null }));
  app.onError((err, c) => {
    const status = 'getResponse' in err ? (err as unknown as { status: number }).status : 500;
    return c.json(
      { status, cause: (err.cause as { code?: string } | undefined)?.code ?? null },
      status as 500,
    );
  });
  return app;
}

for (const target of storeTargets('hono_adapter')) {
  describe(`@coatcheck/hono on ${target.name}, over HTTP`, () => {
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

    async function start(options: Partial<SessionOptions> = {}) {
      const sessions = session({ secret: SECRET, store, userKey: 'userId', ...options } as SessionOptions);
      const server = await listen(getRequestListener(honoApp(sessions).fetch));
      servers.push(server);
      return { sessions, client: () => new Client(server.url) };
    }

    it("keeps data on c.get('session') with safe cookies, only on the routes it is mounted on", async (t) => {
      if (skipped) return t.skip(skipped);
      const { client } = await start();
      const browser = client();
      const first = await browser.fetch('/s/views');
      assert.equal(await first.text(), '1');
      assert.match(
        first.setCookies[0] as string,
        /^connect\.sid=s%3A[^;]+; Path=\/; HttpOnly; SameSite=Lax$/,
      );
      assert.equal(first.headers.get('cache-control'), 'no-store');
      assert.equal(await browser.text('/s/views'), '2');
      assert.equal(await browser.text('/public'), 'undefined', 'no session where it is not mounted');
    });

    it('keeps every write of 50 overlapping requests on one session', async (t) => {
      if (skipped) return t.skip(skipped);
      const { client } = await start();
      const browser = client();
      await browser.fetch('/s/set/start/1', { method: 'POST' });
      const writes = Array.from({ length: 50 }, (_, i) =>
        browser.fetch(`/s/set/k${i}/${i}`, { method: 'POST' }),
      );
      for (const response of await Promise.all(writes)) assert.equal(response.status, 200);
      const read = (await (await browser.fetch('/s/read')).json()) as Data;
      for (let i = 0; i < 50; i++) assert.equal(read[`k${i}`], String(i), `k${i}`);
    });

    it('a logout is not undone by a slower save or a slower rotate', async (t) => {
      if (skipped) return t.skip(skipped);
      const { client } = await start();
      for (const slow of ['/s/set/late/write?slow=1', '/s/login/mallory?slow=1']) {
        const browser = client();
        await browser.fetch('/s/login/alice', { method: 'POST' });
        const cookie = browser.cookieHeader();
        const pending = browser.fetch(slow, { method: 'POST', cookie });
        await sleep(30);
        assert.equal((await browser.fetch('/s/logout', { method: 'POST', cookie })).status, 200);
        const late = await pending;
        const revived = late.setCookies.find((line) => line.startsWith('connect.sid=s%3A'));
        const after = await browser.fetch('/s/read', { cookie: revived ? revived.split(';')[0] : cookie });
        assert.deepEqual(await after.json(), {}, `${slow}: the session stays logged out`);
      }
    });

    it("rotates on login (c.get('session') is the new session), and revokes a user's other sessions", async (t) => {
      if (skipped) return t.skip(skipped);
      const { client, sessions } = await start();
      const laptop = client();
      const phone = client();
      await laptop.fetch('/s/set/cart/apples', { method: 'POST' });
      const before = laptop.cookieHeader();
      const laptopId = await laptop.text('/s/login/ada', { method: 'POST' });
      assert.notEqual(laptop.cookieHeader(), before);
      assert.deepEqual(await (await laptop.fetch('/s/read')).json(), { cart: 'apples', userId: 'ada' });
      assert.deepEqual(await (await laptop.fetch('/s/read', { cookie: before })).json(), {});
      await phone.text('/s/login/ada', { method: 'POST' });
      assert.equal((await sessions.listByUser('ada')).length, 2);
      assert.equal(await sessions.revokeAll('ada', { except: laptopId }), 1);
      assert.deepEqual(await (await phone.fetch('/s/read')).json(), {});
    });

    it('ends an idle session; a tampered cookie is a fresh one, and ended(c) says why', async (t) => {
      if (skipped) return t.skip(skipped);
      const { client } = await start({ idleTimeout: 400, touchAfter: 0 });
      const browser = client();
      await browser.fetch('/s/views');
      await sleep(700);
      assert.equal(await browser.text('/s/views'), '1');
      const value = browser.jar.get('connect.sid') as string;
      const forged = `${value.slice(0, -3)}${value.endsWith('AAA') ? 'BBB' : 'AAA'}`;
      const response = await browser.fetch('/s/ended', { cookie: `connect.sid=${forged}` });
      assert.deepEqual(await response.json(), { ended: 'tampered' });
    });

    it('keeps the cookie when a handler returns Response.redirect() (immutable headers)', async (t) => {
      if (skipped) return t.skip(skipped);
      const { client } = await start();
      const browser = client();
      const redirect = await browser.fetch('/s/redirect');
      assert.equal(redirect.status, 303);
      assert.equal(redirect.setCookies.length, 1);
      assert.deepEqual(await (await browser.fetch('/s/read')).json(), { redirected: true });
    });
  });
}

describe('@coatcheck/hono errors', () => {
  it('answers a store failure with its status (503) through app.onError, not 500', async () => {
    const { MemoryStore } = await import('coatcheck');
    const store = new MemoryStore();
    const sessions = session({ secret: SECRET, store });
    const server = await listen(getRequestListener(honoApp(sessions).fetch));
    try {
      const browser = new Client(server.url);
      await browser.fetch('/s/views');
      await store.close();
      const response = await browser.fetch('/s/views');
      assert.equal(response.status, 503);
      assert.deepEqual(await response.json(), { status: 503, cause: 'ERR_STORE_CLOSED' });
      assert.deepEqual(response.setCookies, []);
    } finally {
      await server.close();
    }
  });
});
