// The example app in Hono: @coatcheck/hono's session() and csrf(), on any coatcheck store.
import { csrf, type SessionCsrfEnv, session } from '@coatcheck/hono';
import type { SessionStore } from 'coatcheck';
import { Hono } from 'hono';

declare module 'coatcheck' {
  interface SessionData {
    userId: string;
    views: number;
  }
}

export function createApp({ store, secret }: { store: SessionStore; secret: string }) {
  const sessions = session({ secret, store, userKey: 'userId' });
  const app = new Hono<SessionCsrfEnv>();
  app.use(sessions);
  app.use(csrf({ token: true })); // unsafe requests: same origin, and the token from /csrf

  app.get('/', (c) => {
    const s = c.get('session');
    s.views = (s.views ?? 0) + 1;
    return c.text(`hello ${s.userId ?? 'guest'}, ${s.views} views`);
  });
  app.get('/csrf', (c) => c.text(c.get('csrfToken')()));
  app.post('/login', async (c) => {
    // Check the password here; then a new session ID for the signed-in session, the same data.
    await c.get('session').rotate();
    c.get('session').userId = 'ada';
    return c.text('signed in as ada');
  });
  app.get('/devices', async (c) => {
    const { userId, id } = c.get('session');
    if (userId === undefined) return c.json({ error: 'sign in first' }, 401);
    const devices = await sessions.listByUser(userId);
    return c.json(
      devices.map(({ handle, lastSeen }) => ({ handle, lastSeen, current: sessions.isHandleOf(id, handle) })),
    );
  });
  app.post('/logout-everywhere-else', async (c) => {
    const { userId, id } = c.get('session');
    if (userId === undefined) return c.json({ error: 'sign in first' }, 401);
    return c.json({ ended: await sessions.revokeAll(userId, { except: id }) });
  });
  app.post('/logout', async (c) => {
    await c.get('session').destroy();
    return c.text('signed out');
  });
  return app;
}
