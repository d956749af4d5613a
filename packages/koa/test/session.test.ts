/**
 * `@coatcheck/koa` in a real Koa 3 app over HTTP: the adapters' shared behaviour on every store
 * (test/adapters/behaviour.ts), with the session on `ctx.session`, and a store outage answered
 * with its status by Koa.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { CookieSessionOptions, SessionOptions } from 'coatcheck';
import type { CsrfOptions } from 'coatcheck/csrf';
import Koa from 'koa';
import {
  ADAPTER_SECRET,
  describeAdapterBehaviour,
  holdWhenAsked,
  served,
} from '../../../test/adapters/behaviour.js';
import { listen } from '../../coatcheck/test/helpers/http.js';
import { cookieSession, csrf, type KoaSessionMiddleware, session } from '../src/index.js';

type Data = Record<string, unknown>;

/**
 * A urlencoded body on `ctx.request.body`, where `@koa/bodyparser` would put it (the suite does not
 * install a body parser for one form).
 */
const formBody: Koa.Middleware = async (ctx, next) => {
  if (ctx.is('application/x-www-form-urlencoded')) {
    let text = '';
    for await (const chunk of ctx.req) text += chunk;
    (ctx.request as { body?: unknown }).body = Object.fromEntries(new URLSearchParams(text));
  }
  await next();
};

/** The suite's routes, in one Koa middleware after the session (no router needed). */
function koaApp(sessions: KoaSessionMiddleware, csrfOptions?: CsrfOptions) {
  const app = new Koa();
  app.use(async (ctx, next) => {
    try {
      await next();
    } catch (err) {
      const status = (err as { status?: number }).status ?? 500;
      ctx.status = status;
      ctx.body = { status, code: (err as { code?: string }).code ?? null };
    }
  });
  app.use((ctx, next) => (ctx.path.startsWith('/s/') ? sessions(ctx, next) : next()));
  if (csrfOptions) {
    app.use(formBody);
    const protect = csrf(csrfOptions);
    app.use((ctx, next) => (ctx.path.startsWith('/s/') ? protect(ctx, next) : next()));
  }
  app.use(async (ctx) => {
    const [, scope, action = '', key = '', value = ''] = ctx.path.split('/');
    if (scope !== 's') {
      ctx.body = String(ctx.session);
      return;
    }
    const data = () => ctx.session as unknown as Data;
    const hold = ctx.query.hold;
    switch (`${ctx.method} ${action}`) {
      case 'GET views':
        data().views = Number(data().views ?? 0) + 1;
        ctx.body = String(data().views);
        return;
      case 'GET read': {
        const { cookie: _cookie, ...rest } = data();
        ctx.body = rest;
        return;
      }
      case 'POST set':
        await holdWhenAsked(hold);
        data()[key] = value;
        ctx.body = 'ok';
        return;
      case 'POST login':
        await holdWhenAsked(hold);
        {
          const session = ctx.session; // held across rotate(): it is the session after it too
          await session.rotate();
          (session as unknown as Data).userId = key;
          ctx.body = session.id;
        }
        return;
      case 'POST logout':
        await holdWhenAsked(hold);
        await ctx.session.destroy();
        ctx.body = 'bye';
        return;
      case 'GET csrf-token':
        ctx.body = ctx.csrfToken();
        return;
      case 'GET ended':
        ctx.body = { ended: sessions.ended(ctx) ?? null };
        return;
      case 'GET redirect':
        data().redirected = true;
        ctx.status = 303;
        ctx.redirect('/s/read');
        return;
      default:
        ctx.status = 404;
    }
  });
  return app;
}

describeAdapterBehaviour({
  label: 'Koa 3',
  async start(options, setup = {}) {
    const sessions =
      setup.mode === 'cookie'
        ? (cookieSession(options as CookieSessionOptions) as unknown as KoaSessionMiddleware)
        : session(options as SessionOptions);
    const server = await listen(koaApp(sessions, setup.csrf).callback());
    return served(server, sessions);
  },
});

describe('@coatcheck/koa options', () => {
  it('refuses a bad deviceBound option with a TypeError naming it (device binding itself: device-bound.test.ts)', () => {
    assert.throws(
      () => session({ secret: ADAPTER_SECRET, deviceBound: { refreshPath: 'refresh' } }),
      (err: unknown) => err instanceof TypeError && /deviceBound\.refreshPath/.test(err.message),
    );
  });
});
