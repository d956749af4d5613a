/**
 * `@coatcheck/hono` in a real Hono app served over HTTP by @hono/node-server: the adapters' shared
 * behaviour on every store (test/adapters/behaviour.ts), with the session on `c.get('session')`,
 * and coatcheck's errors answered with their status through `app.onError`.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { getRequestListener } from '@hono/node-server';
import { Hono } from 'hono';
import { describeAdapterBehaviour } from '../../../test/adapters/behaviour.js';
import { Client, listen } from '../../coatcheck/test/helpers/http.js';
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

describeAdapterBehaviour({
  label: 'Hono',
  async start(options) {
    const sessions = session(options);
    const server = await listen(getRequestListener(honoApp(sessions).fetch));
    return {
      url: server.url,
      listByUser: sessions.listByUser,
      revokeAll: sessions.revokeAll,
      close: server.close,
    };
  },
});

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
