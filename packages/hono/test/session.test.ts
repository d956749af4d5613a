import { getRequestListener } from '@hono/node-server';
import type { CookieSessionOptions, SessionOptions } from 'coatcheck';
import type { CsrfOptions } from 'coatcheck/csrf';
import { Hono } from 'hono';
import { describeAdapterBehaviour, holdWhenAsked, served } from '../../../test/adapters/behaviour.js';
import { listen } from '../../coatcheck/test/helpers/http.js';
import {
  cookieSession,
  csrf,
  type HonoSessionMiddleware,
  type SessionCsrfEnv,
  session,
} from '../src/index.js';

const _SECRET = 'hono adapter tests: a secret of thirty-two bytes or more';

type Data = Record<string, unknown>;

function honoApp(sessions: HonoSessionMiddleware, csrfOptions?: CsrfOptions) {
  const app = new Hono<SessionCsrfEnv>();
  app.get('/public', (c) => c.text(String(c.get('session'))));
  app.use('/s/*', sessions);
  if (csrfOptions) {
    app.use('/s/*', csrf(csrfOptions));
    app.get('/s/csrf-token', (c) => c.text(c.get('csrfToken')()));
  }
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
    await holdWhenAsked(c.req.query('hold'));
    (c.get('session') as unknown as Data)[c.req.param('key')] = c.req.param('value');
    return c.text('ok');
  });
  app.post('/s/login/:user', async (c) => {
    await holdWhenAsked(c.req.query('hold'));
    const session = c.get('session'); // held across rotate(): it is the session after it too
    await session.rotate();
    (session as unknown as Data).userId = c.req.param('user');
    return c.text(session.id);
  });
  app.post('/s/logout', async (c) => {
    await holdWhenAsked(c.req.query('hold'));
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
      { status, code: (err.cause as { code?: string } | undefined)?.code ?? null },
      status as 500,
    );
  });
  return app;
}

describeAdapterBehaviour({
  label: 'Hono',
  async start(options, setup = {}) {
    const sessions =
      setup.mode === 'cookie'
        ? (cookieSession(options as CookieSessionOptions) as unknown as HonoSessionMiddleware)
        : session(options as SessionOptions);
    const server = await listen(getRequestListener(honoApp(sessions, setup.csrf).fetch));
    return served(server, sessions);
  },
});
