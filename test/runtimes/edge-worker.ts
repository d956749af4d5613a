// A Workers-style module (`export default { fetch }`) over coatcheck/fetch, for test/runtimes/
// workerd.test.ts: bundled for the `workerd` export condition and served by workerd with no
// compatibility flags, so with no `node:` modules, no Buffer and no process. /sealed/* keeps the
// session sealed in its cookie (fetchCookieSessions), /stored/* in a MemoryStore (fetchSessions),
// /hono/* is a Hono app with @coatcheck/hono's cookieSession() and csrf(), as on Cloudflare Workers;
// /device-bound says how `deviceBound` is refused there.
import { cookieSession, csrf as honoCsrf, type SessionCsrfEnv } from '@coatcheck/hono';
import { fetchCookieSessions, fetchCsrf, fetchSessions } from 'coatcheck/fetch';
import { MemoryStore } from 'coatcheck/stores';
import { Hono } from 'hono';
import { EDGE_SECRET, HONO_COOKIE, SEALED_COOKIE } from './edge-shared.js';

const sealed = fetchCookieSessions({ secret: EDGE_SECRET, name: SEALED_COOKIE });
// Made on the first request: MemoryStore starts its prune timer when constructed, and a Worker may
// not set a timer (or draw random values) in global scope.
let stored: ReturnType<typeof fetchSessions> | undefined;
const storedSessions = () =>
  (stored ??= fetchSessions({
    secret: EDGE_SECRET,
    name: 'edge.sid',
    store: new MemoryStore(),
    saveUninitialized: false,
  }));
const csrf = fetchCsrf({ token: { require: 'always' } });

const views = (session: object) => {
  const data = session as { views?: number };
  data.views = Number(data.views ?? 0) + 1;
  return data.views;
};

const sealedHandler = sealed.wrap(async (request, context) => {
  const path = new URL(request.url).pathname;
  if (path === '/sealed/views')
    return Response.json({ views: views(context.session), id: context.session.id });
  if (path === '/sealed/rotate') {
    await context.session.rotate();
    return Response.json({ id: context.session.id, views: context.session.views ?? 0 });
  }
  if (path === '/sealed/token') return Response.json({ token: csrf.token(context) });
  if (path === '/sealed/submit') {
    const refused = await csrf.check(request, context);
    if (refused) return Response.json({ reason: refused.reason }, { status: refused.status });
    return Response.json({ saved: true });
  }
  return new Response('not found', { status: 404 });
});

const storedHandler = (request: Request) =>
  storedSessions().handle(request, ({ session }) => Response.json({ views: views(session), id: session.id }));

const hono = new Hono<SessionCsrfEnv>();
hono.use('/hono/*', cookieSession({ secret: EDGE_SECRET, name: HONO_COOKIE }));
hono.use('/hono/*', honoCsrf({ token: { require: 'always' } }));
hono.get('/hono/views', (c) => c.json({ views: views(c.get('session')), id: c.get('session').id }));
hono.get('/hono/token', (c) => c.json({ token: c.get('csrfToken')() }));
hono.post('/hono/rotate', async (c) => {
  const session = c.get('session');
  await session.rotate();
  return c.json({ id: session.id, views: session.views ?? 0 });
});

export default {
  async fetch(request: Request): Promise<Response> {
    const path = new URL(request.url).pathname;
    if (path === '/runtime') {
      const host = globalThis as Record<string, unknown>;
      return Response.json({ buffer: typeof host.Buffer, process: typeof host.process });
    }
    if (path === '/device-bound') {
      // Device-bound sessions need node:crypto: refused at construction, with a TypeError.
      try {
        fetchSessions({ secret: EDGE_SECRET, store: new MemoryStore(), deviceBound: {} });
        return Response.json({ refused: false });
      } catch (err) {
        return Response.json({ refused: err instanceof TypeError, message: (err as Error).message });
      }
    }
    if (path.startsWith('/sealed/')) return sealedHandler(request);
    if (path.startsWith('/stored/')) return storedHandler(request);
    if (path.startsWith('/hono/')) return hono.fetch(request);
    return new Response('not found', { status: 404 });
  },
};
