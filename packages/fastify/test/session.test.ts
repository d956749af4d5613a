/**
 * `@coatcheck/fastify` in a real Fastify 5 app over HTTP: the adapters' shared behaviour on every
 * store (test/adapters/behaviour.ts), with the plugin registered in an encapsulated context (so
 * routes outside it have no session), `request.session` and `fastify.sessions`, and a store outage
 * answered with its status by Fastify.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { CookieSessionOptions, SessionOptions } from 'coatcheck';
import type { CsrfOptions } from 'coatcheck/csrf';
import Fastify, { type FastifyInstance } from 'fastify';
import {
  ADAPTER_SECRET,
  type AdapterSetup,
  describeAdapterBehaviour,
  holdWhenAsked,
  served,
} from '../../../test/adapters/behaviour.js';
import { cookieSession, csrf, session } from '../src/index.js';

type Data = Record<string, unknown>;

/** The suite's routes: `/s/…` in a context of its own that registers the plugin, `/public` outside it. */
async function fastifyApp(
  options: SessionOptions | CookieSessionOptions,
  setup: AdapterSetup = {},
): Promise<{ app: FastifyInstance; sessions: FastifyInstance['sessions'] }> {
  const app = Fastify();
  // A urlencoded form on request.body, as @fastify/formbody would parse it.
  app.addContentTypeParser(
    'application/x-www-form-urlencoded',
    { parseAs: 'string' },
    (_request, body, done) => {
      done(null, Object.fromEntries(new URLSearchParams(body as string)));
    },
  );
  // Before the session's context is registered, so that it inherits this handler.
  app.setErrorHandler((err: { statusCode?: number; code?: string }, _request, reply) => {
    const status = err.statusCode ?? 500;
    return reply.status(status).send({ status, code: err.code ?? null });
  });
  app.get('/public', async (request) => String((request as { session?: unknown }).session));
  let sessions: FastifyInstance['sessions'] | undefined;
  await app.register(
    async (scope) => {
      if (setup.mode === 'cookie') await scope.register(cookieSession, options as CookieSessionOptions);
      else await scope.register(session, options as SessionOptions);
      if (setup.csrf) {
        await scope.register(csrf, setup.csrf as CsrfOptions);
        scope.get('/csrf-token', async (request) => request.csrfToken());
      }
      sessions = scope.sessions;
      const data = (request: { session: unknown }) => request.session as Data;
      scope.get('/views', async (request) => {
        data(request).views = Number(data(request).views ?? 0) + 1;
        return String(data(request).views);
      });
      scope.get('/read', async (request) => {
        const { cookie: _cookie, ...rest } = data(request);
        return rest;
      });
      scope.post<{ Params: { key: string; value: string }; Querystring: { hold?: string } }>(
        '/set/:key/:value',
        async (request) => {
          await holdWhenAsked(request.query.hold);
          data(request)[request.params.key] = request.params.value;
          return 'ok';
        },
      );
      scope.post<{ Params: { user: string }; Querystring: { hold?: string } }>(
        '/login/:user',
        async (request) => {
          await holdWhenAsked(request.query.hold);
          const session = request.session; // held across rotate(): it is the session after it too
          await session.rotate();
          (session as unknown as Data).userId = request.params.user;
          return session.id;
        },
      );
      scope.post<{ Querystring: { hold?: string } }>('/logout', async (request) => {
        await holdWhenAsked(request.query.hold);
        await request.session.destroy();
        return 'bye';
      });
      scope.get('/ended', async (request) => ({ ended: scope.sessions.ended(request) ?? null }));
      scope.get('/redirect', async (request, reply) => {
        data(request).redirected = true;
        return reply.redirect('/s/read', 303);
      });
    },
    { prefix: '/s' },
  );
  await app.listen({ port: 0, host: '127.0.0.1' });
  return { app, sessions: sessions as FastifyInstance['sessions'] };
}

const urlOf = (app: FastifyInstance) => {
  const address = app.server.address() as { port: number };
  return `http://127.0.0.1:${address.port}`;
};

describeAdapterBehaviour({
  label: 'Fastify 5',
  async start(options, setup) {
    const { app, sessions } = await fastifyApp(options, setup);
    return served({ url: urlOf(app), close: () => app.close() }, sessions);
  },
});

describe('@coatcheck/fastify options', () => {
  it('refuses a bad deviceBound option with a TypeError naming it (device binding itself: device-bound.test.ts)', async () => {
    const app = Fastify();
    await assert.rejects(
      async () => {
        await app.register(session, { secret: ADAPTER_SECRET, deviceBound: { refreshPath: 'refresh' } });
        await app.ready();
      },
      (err: unknown) => err instanceof TypeError && /deviceBound\.refreshPath/.test(err.message),
    );
    await app.close();
  });
});
