import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { SERVICES, serviceSkipReason } from 'coatcheck/testing';
import express from 'express';
import expressSession from 'express-session';
import { RedisStore } from '../src/index.js';
import { connectIORedis, connectNodeRedis, removeKeysUnder, uniquePrefix } from './helpers.js';

const skip = await serviceSkipReason(SERVICES.redis);

const clients = [
  ['node-redis', connectNodeRedis],
  ['ioredis', async () => connectIORedis()],
] as const;

for (const [label, connect] of clients) {
  describe(`RedisStore (${label}) handed to express-session`, { skip }, () => {
    const prefix = uniquePrefix(`express-session-${label}`);
    let client: Awaited<ReturnType<typeof connect>>;
    let store: RedisStore;
    let server: ReturnType<ReturnType<typeof express>['listen']>;
    let base: string;

    before(async () => {
      client = await connect();
      store = new RedisStore({ client, prefix });
      const app = express();
      // The cast is for the types only (see the report to core: coatcheck's Store.regenerate types
      // its request more narrowly than @types/express-session does); at run time the store is used as is.
      const connectStore = store as unknown as expressSession.Store;
      app.use(
        expressSession({
          secret: 'test secret',
          store: connectStore,
          resave: false,
          saveUninitialized: false,
        }),
      );
      app.post('/name/:name', (req, res) => {
        (req.session as unknown as Record<string, unknown>).name = req.params.name;
        res.send('ok');
      });
      app.get('/name', (req, res) => {
        res.json({ name: (req.session as unknown as Record<string, unknown>).name ?? null });
      });
      app.post('/logout', (req, res, next) =>
        req.session.destroy((err) => (err ? next(err) : res.send('bye'))),
      );
      await new Promise<void>((resolve) => {
        server = app.listen(0, '127.0.0.1', () => resolve());
      });
      base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    });
    after(async () => {
      await new Promise((resolve) => server.close(resolve));
      await store.close();
      await removeKeysUnder(prefix);
      await client.quit();
    });

    it('keeps data set on one request for the next, and forgets it on destroy', async () => {
      const first = await fetch(`${base}/name/ada`, { method: 'POST' });
      // express-session sends headers before its save completes and ends the body after it.
      assert.equal(await first.text(), 'ok');
      const cookie = first.headers.get('set-cookie')?.split(';')[0];
      assert.ok(cookie, 'a session cookie was set');
      const second = await fetch(`${base}/name`, { headers: { cookie } });
      assert.deepEqual(await second.json(), { name: 'ada' });
      assert.equal(await store.count(), 1);
      const logout = await fetch(`${base}/logout`, { method: 'POST', headers: { cookie } });
      assert.equal(await logout.text(), 'bye');
      const third = await fetch(`${base}/name`, { headers: { cookie } });
      assert.deepEqual(await third.json(), { name: null });
      assert.equal(await store.count(), 0);
    });
  });
}
