// The example app in Koa: @coatcheck/koa's session() and csrf(), on any coatcheck store.
import { csrf, session } from '@coatcheck/koa';
import type { SessionStore } from 'coatcheck';
import Koa from 'koa';

declare module 'coatcheck' {
  interface SessionData {
    userId: string;
    views: number;
  }
}

export function createApp({ store, secret }: { store: SessionStore; secret: string }) {
  const sessions = session({ secret, store, userKey: 'userId' });
  const app = new Koa();
  app.use(sessions);
  app.use(csrf({ token: true })); // unsafe requests: same origin, and the token from /csrf

  app.use(async (ctx) => {
    const s = ctx.session;
    switch (`${ctx.method} ${ctx.path}`) {
      case 'GET /':
        s.views = (s.views ?? 0) + 1;
        ctx.body = `hello ${s.userId ?? 'guest'}, ${s.views} views`;
        return;
      case 'GET /csrf':
        ctx.body = ctx.csrfToken();
        return;
      case 'POST /login':
        // Check the password here; then a new session ID for the signed-in session, the same data.
        await s.rotate();
        ctx.session.userId = 'ada';
        ctx.body = 'signed in as ada';
        return;
      case 'GET /devices': {
        if (s.userId === undefined) return ctx.throw(401, 'sign in first');
        const devices = await sessions.listByUser(s.userId);
        ctx.body = devices.map(({ handle, lastSeen }) => ({
          handle,
          lastSeen,
          current: sessions.isHandleOf(s.id, handle),
        }));
        return;
      }
      case 'POST /logout-everywhere-else':
        if (s.userId === undefined) return ctx.throw(401, 'sign in first');
        ctx.body = { ended: await sessions.revokeAll(s.userId, { except: s.id }) };
        return;
      case 'POST /logout':
        await s.destroy();
        ctx.body = 'signed out';
        return;
      default:
        ctx.throw(404);
    }
  });
  return app;
}
