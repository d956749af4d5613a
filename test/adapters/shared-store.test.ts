/**
 * One store, several frameworks at once (issue 17): an Express app with `session()`, a Fastify app
 * with `@coatcheck/fastify` and a Hono app with `@coatcheck/hono`, each over real HTTP, on the same
 * store with the same secret. A user signed in through one is signed in through the other, a
 * rotation in one is seen by the other, and a logout in either ends the session in both.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { session as fastifySession } from '@coatcheck/fastify';
import { session as honoSession, type SessionEnv } from '@coatcheck/hono';
import { getRequestListener } from '@hono/node-server';
import session, { type SessionOptions, type SessionStore } from 'coatcheck';
import express from 'express';
import Fastify from 'fastify';
import { Hono } from 'hono';
import { Client, listen } from '../../packages/coatcheck/test/helpers/http.js';
import { storeTargets } from '../helpers/stores.js';

const OPTIONS = { secret: 'two frameworks, one store: thirty-two bytes or more', userKey: 'userId' };
type Data = Record<string, unknown>;

function expressApp(store: SessionStore) {
  const app = express();
  app.use(session({ ...OPTIONS, store } as SessionOptions));
  app.post('/login/:user', async (req, res) => {
    await req.session.rotate();
    (req.session as unknown as Data).userId = req.params.user;
    res.send('ok');
  });
  app.get('/whoami', (req, res) => res.send(String((req.session as unknown as Data).userId ?? 'nobody')));
  app.post('/logout', async (req, res) => {
    await req.session.destroy();
    res.send('bye');
  });
  return listen(app);
}

function honoApp(store: SessionStore) {
  const app = new Hono<SessionEnv>();
  app.use(honoSession({ ...OPTIONS, store } as SessionOptions));
  app.post('/login/:user', async (c) => {
    await c.get('session').rotate();
    (c.get('session') as unknown as Data).userId = c.req.param('user');
    return c.text('ok');
  });
  app.get('/whoami', (c) => c.text(String((c.get('session') as unknown as Data).userId ?? 'nobody')));
  app.post('/logout', async (c) => {
    await c.get('session').destroy();
    return c.text('bye');
  });
  return listen(getRequestListener(app.fetch));
}

async function fastifyApp(store: SessionStore) {
  const app = Fastify();
  await app.register(fastifySession, { ...OPTIONS, store } as SessionOptions);
  app.post<{ Params: { user: string } }>('/login/:user', async (request) => {
    await request.session.rotate();
    (request.session as unknown as Data).userId = request.params.user;
    return 'ok';
  });
  app.get('/whoami', async (request) => String((request.session as unknown as Data).userId ?? 'nobody'));
  app.post('/logout', async (request) => {
    await request.session.destroy();
    return 'bye';
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = app.server.address() as { port: number };
  return { url: `http://127.0.0.1:${port}`, close: () => app.close() };
}

for (const target of storeTargets('shared_store')) {
  describe(`Express, Fastify and Hono on one ${target.name}`, () => {
    let store: SessionStore;
    let release: () => Promise<void>;
    let skipped: string | false = false;
    const apps: Record<'Express' | 'Hono' | 'Fastify', { url: string; close(): Promise<unknown> }> =
      {} as never;
    before(async () => {
      skipped = await target.skip();
      if (skipped) return;
      ({ store, release } = await target.open());
      [apps.Express, apps.Hono, apps.Fastify] = await Promise.all([
        expressApp(store),
        honoApp(store),
        fastifyApp(store),
      ]);
    });
    after(async () => {
      if (skipped) return;
      await Promise.all(Object.values(apps).map((app) => app.close()));
      await release();
    });

    /** The browser's cookie, sent to the other app as the same site behind one proxy would. */
    const carry = (from: Client, to: Client) => {
      to.jar.clear();
      for (const [name, value] of from.jar) to.jar.set(name, value);
    };

    for (const [first, second] of [
      ['Express', 'Fastify'],
      ['Fastify', 'Express'],
      ['Express', 'Hono'],
      ['Hono', 'Fastify'],
    ] as const) {
      it(`signed in through ${first}, signed in through ${second}; a logout there ends it in both`, async (t) => {
        if (skipped) return t.skip(skipped);
        const one = new Client(apps[first].url);
        const other = new Client(apps[second].url);
        assert.equal(await one.text('/login/ada', { method: 'POST' }), 'ok');
        carry(one, other);
        assert.equal(await other.text('/whoami'), 'ada');
        // A rotation in the second app moves the session; the first sees it under the new cookie only.
        const before = other.cookieHeader();
        await other.text('/login/ada', { method: 'POST' });
        assert.notEqual(other.cookieHeader(), before);
        carry(other, one);
        assert.equal(await one.text('/whoami'), 'ada');
        assert.equal(await one.text('/whoami', { cookie: before }), 'nobody', 'the old ID is dead in both');
        assert.equal(await other.text('/logout', { method: 'POST' }), 'bye');
        assert.equal(await one.text('/whoami'), 'nobody');
      });
    }
  });
}
