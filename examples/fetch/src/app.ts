// The example app as one Fetch API handler (Request → Response): coatcheck/fetch's fetchSessions()
// and fetchCsrf(), on any coatcheck store; it runs on any server that calls such a handler.
import type { SessionStore } from 'coatcheck';
import { fetchCsrf, fetchSessions } from 'coatcheck/fetch';

declare module 'coatcheck' {
  interface SessionData {
    userId: string;
    views: number;
  }
}

export function createHandler({ store, secret }: { store: SessionStore; secret: string }) {
  const sessions = fetchSessions({ secret, store, userKey: 'userId' });
  const csrf = fetchCsrf({ token: true }); // unsafe requests: same origin, and the token from /csrf

  return sessions.wrap(async (request, context) => {
    const refused = await csrf.check(request, context);
    if (refused) return new Response(refused.message, { status: refused.status });
    const s = context.session;
    switch (`${request.method} ${new URL(request.url).pathname}`) {
      case 'GET /':
        s.views = (s.views ?? 0) + 1;
        return new Response(`hello ${s.userId ?? 'guest'}, ${s.views} views`);
      case 'GET /csrf':
        return new Response(csrf.token(context));
      case 'POST /login':
        // Check the password here; then a new session ID for the signed-in session, the same data.
        await s.rotate();
        context.session.userId = 'ada'; // after rotate(), context.session is the new session
        return new Response('signed in as ada');
      case 'GET /devices': {
        if (s.userId === undefined) return Response.json({ error: 'sign in first' }, { status: 401 });
        const devices = await sessions.listByUser(s.userId);
        return Response.json(
          devices.map(({ handle, lastSeen }) => ({
            handle,
            lastSeen,
            current: sessions.isHandleOf(s.id, handle),
          })),
        );
      }
      case 'POST /logout-everywhere-else':
        if (s.userId === undefined) return Response.json({ error: 'sign in first' }, { status: 401 });
        return Response.json({ ended: await sessions.revokeAll(s.userId, { except: s.id }) });
      case 'POST /logout':
        await s.destroy();
        return new Response('signed out');
      default:
        return new Response('not found', { status: 404 });
    }
  });
}
