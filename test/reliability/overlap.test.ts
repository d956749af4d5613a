// Issue 3's promise on every store: 50 overlapping requests on one session, each writing its own key,
// keep all 50. Each request waits until all 50 have loaded the session before it writes, so every
// save overlaps every other one (the interleaving that loses writes with whole-session saves).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import session, { type SessionStore } from 'coatcheck';
import express from 'express';
import { Client, listen, type TestServer } from '../../packages/coatcheck/test/helpers/http.js';
import { storeTargets } from '../helpers/stores.js';

const REQUESTS = 50;
const SECRET = 'overlap tests: a secret of at least thirty-two bytes';

for (const target of storeTargets('overlap')) {
  describe(`50 overlapping requests on ${target.name}`, () => {
    let server: TestServer | undefined;
    let release: (() => Promise<void>) | undefined;
    let store: SessionStore;
    let skip: string | false = false;
    let loaded = 0;
    let allLoaded: () => void = () => {};
    let barrier = new Promise<void>((resolve) => {
      allLoaded = resolve;
    });

    before(async () => {
      skip = await target.skip();
      if (skip) return;
      const opened = await target.open();
      store = opened.store;
      release = opened.release;
      const app = express();
      app.use(session({ secret: SECRET, store }));
      app.post('/start', (req, res) => {
        (req.session as unknown as Record<string, unknown>).started = true;
        res.send('ok');
      });
      app.post('/write/:n', async (req, res) => {
        loaded++;
        if (loaded === REQUESTS) allLoaded();
        await Promise.race([barrier, new Promise((resolve) => setTimeout(resolve, 10_000))]);
        (req.session as unknown as Record<string, unknown>)[`key${req.params.n}`] = Number(req.params.n);
        res.send('ok');
      });
      app.get('/read', (req, res) => {
        const { cookie: _cookie, ...data } = req.session as unknown as Record<string, unknown>;
        res.json(data);
      });
      server = await listen(app);
    });
    after(async () => {
      await server?.close();
      await release?.();
    });

    it('keeps every key', async (t) => {
      if (skip) return t.skip(skip);
      const client = new Client((server as TestServer).url);
      await (await client.fetch('/start', { method: 'POST' })).text();
      loaded = 0;
      barrier = new Promise<void>((resolve) => {
        allLoaded = resolve;
      });
      const responses = await Promise.all(
        Array.from({ length: REQUESTS }, (_, n) => client.fetch(`/write/${n}`, { method: 'POST' })),
      );
      for (const response of responses) assert.equal(response.status, 200);
      assert.equal(loaded, REQUESTS, 'every request loaded the session before any wrote');
      const data = (await (await client.fetch('/read')).json()) as Record<string, unknown>;
      const kept = Array.from({ length: REQUESTS }, (_, n) => data[`key${n}`] === n).filter(Boolean).length;
      assert.equal(kept, REQUESTS);
      assert.equal(data.started, true);
    });
  });
}
