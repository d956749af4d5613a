// The example app in Fastify: @coatcheck/fastify's session and csrf plugins, on any coatcheck store.
import { csrf, session } from '@coatcheck/fastify';
import type { SessionStore } from 'coatcheck';
import Fastify from 'fastify';

declare module 'coatcheck' {
  interface SessionData {
    userId: string;
    views: number;
  }
}

export async function createApp({ store, secret }: { store: SessionStore; secret: string }) {
  const app = Fastify();
  await app.register(session, { secret, store, userKey: 'userId' });
  await app.register(csrf, { token: true }); // unsafe requests: same origin, and the token from /csrf

  app.get('/', async (request) => {
    const s = request.session;
    s.views = (s.views ?? 0) + 1;
    return `hello ${s.userId ?? 'guest'}, ${s.views} views`;
  });
  app.get('/csrf', async (request) => request.csrfToken());
  app.post('/login', async (request) => {
    // Check the password here; then a new session ID for the signed-in session, the same data.
    await request.session.rotate();
    request.session.userId = 'ada';
    return 'signed in as ada';
  });
  app.get('/devices', async (request, reply) => {
    const { userId, id } = request.session;
    if (userId === undefined) return reply.code(401).send({ error: 'sign in first' });
    const devices = await app.sessions.listByUser(userId);
    return devices.map(({ handle, lastSeen }) => ({
      handle,
      lastSeen,
      current: app.sessions.isHandleOf(id, handle),
    }));
  });
  app.post('/logout-everywhere-else', async (request, reply) => {
    const { userId, id } = request.session;
    if (userId === undefined) return reply.code(401).send({ error: 'sign in first' });
    return { ended: await app.sessions.revokeAll(userId, { except: id }) };
  });
  app.post('/logout', async (request) => {
    await request.session.destroy();
    return 'signed out';
  });
  return app;
}
