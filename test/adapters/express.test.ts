/**
 * The adapters' shared behaviour (test/adapters/behaviour.ts) on Express 4 and 5 with `session()`,
 * so that every framework is held to one suite on every store: what holds for Hono, Koa and Fetch
 * handlers holds for Express, and the other way round.
 */
import session, { type CookieSessionOptions, cookieSession, csrf, type SessionOptions } from 'coatcheck';
import express5 from 'express';
import express4 from 'express4';
import { type AnyApp, EXPRESS, listen } from '../../packages/coatcheck/test/helpers/http.js';
import { describeAdapterBehaviour, holdWhenAsked, served } from './behaviour.js';

type Data = Record<string, unknown>;

/** Each Express's own urlencoded body parser, for a token in a form field. */
const URLENCODED: Record<string, () => AnyApp> = {
  'Express 4': () => express4.urlencoded({ extended: false }),
  'Express 5': () => express5.urlencoded({ extended: false }),
};

for (const [label, makeApp] of EXPRESS) {
  describeAdapterBehaviour({
    label,
    async start(options, setup = {}) {
      const sessions =
        setup.mode === 'cookie'
          ? cookieSession(options as CookieSessionOptions)
          : session(options as SessionOptions);
      const app = makeApp();
      app.get('/public', (req: AnyApp, res: AnyApp) => res.send(String(req.session)));
      app.use('/s', sessions);
      if (setup.csrf) {
        app.use('/s', (URLENCODED[label] as () => AnyApp)());
        app.use('/s', csrf(setup.csrf));
        app.get('/s/csrf-token', (req: AnyApp, res: AnyApp) => res.send(req.csrfToken()));
      }
      app.get('/s/views', (req: AnyApp, res: AnyApp) => {
        req.session.views = Number(req.session.views ?? 0) + 1;
        res.send(String(req.session.views));
      });
      app.get('/s/read', (req: AnyApp, res: AnyApp) => {
        const { cookie: _cookie, ...rest } = req.session as Data;
        res.json(rest);
      });
      app.post('/s/set/:key/:value', async (req: AnyApp, res: AnyApp) => {
        await holdWhenAsked(req.query.hold);
        req.session[req.params.key] = req.params.value;
        res.send('ok');
      });
      app.post('/s/login/:user', async (req: AnyApp, res: AnyApp, next: AnyApp) => {
        try {
          await holdWhenAsked(req.query.hold);
          const session = req.session; // held across rotate(): it is the session after it too
          await session.rotate();
          session.userId = req.params.user;
          res.send(session.id);
        } catch (err) {
          next(err);
        }
      });
      app.post('/s/logout', async (req: AnyApp, res: AnyApp) => {
        await holdWhenAsked(req.query.hold);
        await req.session.destroy();
        res.send('bye');
      });
      app.get('/s/ended', (req: AnyApp, res: AnyApp) => res.json({ ended: sessions.ended(req) ?? null }));
      app.get('/s/redirect', (req: AnyApp, res: AnyApp) => {
        req.session.redirected = true;
        res.redirect(303, '/s/read');
      });
      app.use((err: { status?: number; code?: string }, _req: AnyApp, res: AnyApp, _next: AnyApp) => {
        res.status(err.status ?? 500).json({ status: err.status ?? 500, code: err.code ?? null });
      });
      const server = await listen(app);
      return served(server, sessions as unknown as Parameters<typeof served>[1]);
    },
  });
}
