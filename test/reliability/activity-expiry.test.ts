// Activity keeps a session alive under every store, and the store's own expiry is the session's:
// express-session stores derive their TTL from the cookie they are handed (connect-redis,
// connect-pg-simple, express-mysql-session from cookie.expires, memorystore from cookie.maxAge), so
// coatcheck hands them the cookie express-session would, with the expiry moved on every refresh; and
// every store keeps the stored cookie's expiry in step with the record's (touchAfter: 0 included).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import session, { type SessionOptions, type SessionStore } from 'coatcheck';
import express from 'express';
import type expressSession from 'express-session';
import { Client, listen, type TestServer } from '../../packages/coatcheck/test/helpers/http.js';
import { connectTargets, rawGet } from '../helpers/connect-stores.js';
import { idFromCookie } from '../helpers/session-app.js';
import { storeTargets } from '../helpers/stores.js';

const SECRET = 'activity tests: a secret of at least thirty-two bytes';

async function viewsApp(store: unknown, options: Partial<SessionOptions>): Promise<TestServer> {
  const app = express();
  app.use(session({ secret: SECRET, store, ...options } as SessionOptions));
  app.get('/views', (req, res) => {
    const data = req.session as unknown as Record<string, number>;
    data.views = (data.views ?? 0) + 1;
    res.send(String(data.views));
  });
  app.get('/read', (req, res) => {
    const { cookie: _cookie, ...data } = req.session as unknown as Record<string, unknown>;
    res.json(data);
  });
  return listen(app);
}

function sessionIdOf(client: Client): string {
  const cookie = client.cookieHeader();
  return idFromCookie(cookie.slice(cookie.indexOf('=') + 1)) as string;
}

describe('activity keeps sessions alive, and only activity', { concurrency: true }, () => {
  for (const target of connectTargets('activity')) {
    describe(`${target.name} through the connect adapter`, () => {
      let store: expressSession.Store;
      let release: (() => Promise<void>) | undefined;
      let skip: string | false = false;
      const servers: TestServer[] = [];
      before(async () => {
        skip = await target.skip();
        if (skip) return;
        const opened = await target.open();
        store = opened.store;
        release = opened.release;
      });
      after(async () => {
        await Promise.all(servers.map((s) => s.close()));
        await release?.();
      });

      it('a request every 0.8 s keeps a 3 s session alive past 4 s', async (t) => {
        if (skip) return t.skip(skip);
        const server = await viewsApp(store, { cookie: { maxAge: 3000 } });
        servers.push(server);
        const client = new Client(server.url);
        assert.equal(await client.text('/views'), '1');
        const started = Date.now();
        // Read-only requests: only the refresh (touchAfter, 300 ms here) keeps the session.
        while (Date.now() - started < 4400) {
          await sleep(800);
          assert.deepEqual(await (await client.fetch('/read')).json(), { views: 1 }, 'still signed in');
        }
        assert.equal(await client.text('/views'), '2', `alive after ${Date.now() - started} ms`);
      });

      it('with touchAfter: 0 every request moves the stored cookie.expires too', async (t) => {
        if (skip) return t.skip(skip);
        const server = await viewsApp(store, { cookie: { maxAge: 60_000 }, touchAfter: 0 });
        servers.push(server);
        const client = new Client(server.url);
        await client.text('/views');
        const id = sessionIdOf(client);
        const first = Date.parse(String((await cookieOf(store, id)).expires));
        await sleep(1100);
        await client.fetch('/read');
        const second = Date.parse(String((await cookieOf(store, id)).expires));
        assert.ok(second >= first + 1000, `the stored cookie.expires moved (${second - first} ms)`);
      });

      it('the store itself forgets a session once its idle time is over', async (t) => {
        if (skip) return t.skip(skip);
        const server = await viewsApp(store, { cookie: { maxAge: 1000 } });
        servers.push(server);
        const client = new Client(server.url);
        await client.text('/views');
        const id = sessionIdOf(client);
        assert.ok(await rawGet(store, id), 'stored');
        // The record's life: the 1 s idle timeout plus as long again of grace (to report the
        // expiry); seconds-granular TTLs (connect-redis, express-mysql-session) round it up.
        await sleep(3600);
        assert.equal(await rawGet(store, id), null, 'gone from the store, not kept for its default TTL');
      });
    });
  }

  for (const target of storeTargets('activity')) {
    describe(`${target.name}`, () => {
      let store: SessionStore;
      let release: (() => Promise<void>) | undefined;
      let skip: string | false = false;
      let server: TestServer | undefined;
      before(async () => {
        skip = await target.skip();
        if (skip) return;
        const opened = await target.open();
        store = opened.store;
        release = opened.release;
        server = await viewsApp(store, { cookie: { maxAge: 60_000 }, touchAfter: 0 });
      });
      after(async () => {
        await server?.close();
        await release?.();
      });

      it('with touchAfter: 0 a refresh moves the stored cookie.expires with the record’s', async (t) => {
        if (skip) return t.skip(skip);
        const client = new Client((server as TestServer).url);
        await client.text('/views');
        const id = sessionIdOf(client);
        const before = await store.read(id);
        await sleep(1100);
        assert.deepEqual(await (await client.fetch('/read')).json(), { views: 1 });
        const after = await store.read(id);
        assert.ok(before && after);
        assert.ok(after.expires >= before.expires + 1000, 'the record’s expiry moved');
        const stored = Date.parse(String(after.data.cookie?.expires));
        assert.ok(stored >= Date.parse(String(before.data.cookie?.expires)) + 1000, 'the cookie’s moved too');
        // The record outlives the cookie by a grace (to tell an expired session from an unknown one).
        const deadline = after.touched + 60_000;
        assert.ok(
          Math.abs(stored - deadline) < 1000,
          `it is the idle deadline (${stored - deadline} ms apart)`,
        );
        assert.deepEqual(after.data.views, 1, 'the data is untouched');
      });
    });
  }
});

async function cookieOf(store: expressSession.Store, id: string): Promise<{ expires?: unknown }> {
  const sess = await rawGet(store, id);
  assert.ok(sess, 'the store has the session');
  return (sess.cookie ?? {}) as { expires?: unknown };
}
