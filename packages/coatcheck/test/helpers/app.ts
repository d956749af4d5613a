import { setTimeout as sleep } from 'node:timers/promises';
import session, { type SessionManager, type SessionOptions } from 'coatcheck';
import { type AnyApp, listen, type TestServer } from './http.js';

export const SECRET = 'a test secret that is at least thirty-two bytes long';

type Req = {
  session: Record<string, unknown> & { [k: string]: unknown };
  sessionID: string;
  params: Record<string, string>;
};

/**
 * An app with the routes the session tests share, on a given Express major and session options.
 * Errors are answered as JSON `{ code, status }` so tests can see what reached `next(err)`.
 */
export async function sessionApp(
  makeApp: () => AnyApp,
  options: Partial<SessionOptions> = {},
  extra?: (app: AnyApp) => void,
): Promise<TestServer & { middleware: ReturnType<typeof session> }> {
  return sessionAppWith(makeApp, (all) => session(all as unknown as SessionOptions), options, extra);
}

/** {@link sessionApp} with any session middleware: `makeMiddleware` gets the options, secret included. */
export async function sessionAppWith<M extends SessionManager>(
  makeApp: () => AnyApp,
  makeMiddleware: (options: Record<string, unknown>) => M,
  options: Record<string, unknown> = {},
  extra?: (app: AnyApp) => void,
): Promise<TestServer & { middleware: M }> {
  const app = makeApp();
  const middleware = makeMiddleware({ secret: SECRET, ...options });
  app.use(middleware);
  app.get('/views', (req: Req, res: AnyApp) => {
    req.session.views = ((req.session.views as number | undefined) ?? 0) + 1;
    res.send(String(req.session.views));
  });
  app.get('/read', (req: Req, res: AnyApp) => {
    const { cookie: _cookie, ...data } = req.session;
    res.json(data);
  });
  app.get('/id', (req: Req, res: AnyApp) => res.send(req.sessionID));
  app.get('/nothing', (_req: Req, res: AnyApp) => res.send('ok'));
  app.post('/set/:key/:value', (req: Req, res: AnyApp) => {
    req.session[req.params.key as string] = req.params.value;
    res.send('ok');
  });
  app.post('/slow-set/:key/:value', async (req: Req, res: AnyApp) => {
    await sleep(150);
    req.session[req.params.key as string] = req.params.value;
    res.send('ok');
  });
  app.post('/delete/:key', (req: Req, res: AnyApp) => {
    delete req.session[req.params.key as string];
    res.send('ok');
  });
  app.post('/login/:user', async (req: Req & { session: { rotate(): Promise<void> } }, res: AnyApp) => {
    await req.session.rotate();
    req.session.userId = req.params.user;
    res.send(req.sessionID);
  });
  app.post('/logout', async (req: Req & { session: { destroy(): Promise<void> } }, res: AnyApp) => {
    await req.session.destroy();
    res.send(String((req as { session?: unknown }).session));
  });
  extra?.(app);
  app.use(
    (err: { code?: string; status?: number; key?: string }, _req: unknown, res: AnyApp, _next: unknown) => {
      res
        .status(err.status ?? 500)
        .json({ code: err.code ?? 'unknown', status: err.status ?? 500, key: err.key });
    },
  );
  const server = await listen(app);
  return Object.assign(server, { middleware });
}

/** The session ID inside a `connect.sid` cookie value (URL-encoded `s:<id>.<sig>`). */
export function idFromCookie(value: string | undefined): string | undefined {
  if (!value) return undefined;
  const decoded = decodeURIComponent(value);
  if (!decoded.startsWith('s:')) return undefined;
  return decoded.slice(2, decoded.lastIndexOf('.'));
}
