/** A small Express app around `session()` with the routes the checklist and the docs example share. */
import { setTimeout as sleep } from 'node:timers/promises';
import session, { type SessionOptions } from 'coatcheck';
import { type AnyApp, EXPRESS, listen, type TestServer } from '../../packages/coatcheck/test/helpers/http.js';

export const SECRET = 'checklist tests: a secret of at least thirty-two bytes';

type Req = AnyApp;
type Res = AnyApp;

export interface SessionApp extends TestServer {
  middleware: ReturnType<typeof session>;
  /** Errors that reached the error handler, in order. */
  errors: Array<{ code?: string; status?: number; message?: string }>;
}

/**
 * Routes: `GET /id`, `GET /read` (the data), `POST /set/:key/:value`, `POST /slow-set/:key/:value`
 * (waits 150 ms before writing), `POST /login/:user` (rotates, then sets `userId`), `POST /logout`
 * (destroys). Errors are answered as JSON `{ code, status }`.
 */
export async function sessionApp(
  options: Partial<SessionOptions> = {},
  {
    express = EXPRESS[1]?.[1] as () => AnyApp,
    extra,
  }: { express?: () => AnyApp; extra?: (app: AnyApp) => void } = {},
): Promise<SessionApp> {
  const app = express();
  const middleware = session({ secret: SECRET, userKey: 'userId', ...options } as SessionOptions);
  const errors: SessionApp['errors'] = [];
  app.use(middleware);
  app.get('/id', (req: Req, res: Res) => res.send(req.sessionID));
  app.get('/read', (req: Req, res: Res) => {
    const { cookie: _cookie, ...data } = req.session;
    res.json(data);
  });
  app.post('/set/:key/:value', (req: Req, res: Res) => {
    req.session[req.params.key] = req.params.value;
    res.send('ok');
  });
  app.post('/slow-set/:key/:value', async (req: Req, res: Res) => {
    await sleep(150);
    req.session[req.params.key] = req.params.value;
    res.send('ok');
  });
  app.post('/login/:user', async (req: Req, res: Res) => {
    await req.session.rotate();
    req.session.userId = req.params.user;
    res.send(req.sessionID);
  });
  app.post('/logout', async (req: Req, res: Res) => {
    await req.session.destroy();
    res.send('bye');
  });
  extra?.(app);
  app.use(
    (err: { code?: string; status?: number; message?: string }, _req: Req, res: Res, _next: unknown) => {
      errors.push({ code: err.code, status: err.status, message: err.message });
      res.status(err.status ?? 500).json({ code: err.code ?? 'unknown', status: err.status ?? 500 });
    },
  );
  const server = await listen(app);
  return Object.assign(server, { middleware, errors });
}

/** The session ID inside a `connect.sid` cookie value (URL-encoded `s:<id>.<mac>`). */
export function idFromCookie(value: string | undefined): string | undefined {
  if (!value) return undefined;
  const decoded = decodeURIComponent(value);
  if (!decoded.startsWith('s:')) return undefined;
  return decoded.slice(2, decoded.lastIndexOf('.'));
}
