/**
 * `coatcheck/fetch` (issue 17): a Fetch API handler served over real HTTP (test/helpers/fetch-server.ts)
 * runs the adapters' shared behaviour on every store (test/adapters/behaviour.ts); then what is the
 * Fetch layer's own: `secure: 'auto'` from the request's URL or a trusted proxy, a handler's own
 * Cache-Control kept, `info()`, and the options it refuses.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { type CookieSessionOptions, MemoryStore, type SessionOptions } from 'coatcheck';
import {
  type FetchCookieSessions,
  type FetchCsrf,
  type FetchSessions,
  fetchCookieSessions,
  fetchCsrf,
  fetchSessions,
} from 'coatcheck/fetch';
import { Client, type TestServer } from '../../packages/coatcheck/test/helpers/http.js';
import { serveFetch } from '../helpers/fetch-server.js';
import { ADAPTER_SECRET, describeAdapterBehaviour, holdWhenAsked, served } from './behaviour.js';

type Data = Record<string, unknown>;

/** The shared suite's routes as one Fetch handler: only `/s/…` is wrapped. */
function routes(sessions: FetchCookieSessions, csrf?: FetchCsrf) {
  const wrapped = sessions.wrap(async (request, context) => {
    const url = new URL(request.url);
    if (csrf) {
      const refused = await csrf.check(request, context);
      if (refused)
        return Response.json({ status: refused.status, code: refused.code }, { status: refused.status });
    }
    const [, , action = '', key = '', value = ''] = url.pathname.split('/');
    const data = () => context.session as unknown as Data;
    const hold = url.searchParams.get('hold');
    switch (`${request.method} ${action}`) {
      case 'GET views':
        data().views = Number(data().views ?? 0) + 1;
        return new Response(String(data().views));
      case 'GET read': {
        const { cookie: _cookie, ...rest } = data();
        return Response.json(rest);
      }
      case 'POST set':
        await holdWhenAsked(hold);
        data()[key] = value;
        return new Response('ok');
      case 'POST login':
        await holdWhenAsked(hold);
        {
          const session = context.session; // held across rotate(): it is the session after it too
          await session.rotate();
          (session as unknown as Data).userId = key;
          return new Response(session.id);
        }
      case 'POST logout':
        await holdWhenAsked(hold);
        await context.session.destroy();
        return new Response('bye');
      case 'GET ended':
        return Response.json({ ended: sessions.ended(request) ?? null });
      case 'GET redirect':
        data().redirected = true;
        return Response.redirect(`${url.origin}/s/read`, 303);
      case 'GET cached':
        data().cached = true;
        return new Response('ok', { headers: { 'Cache-Control': 'private, max-age=60' } });
      case 'GET csrf-token':
        return new Response((csrf as FetchCsrf).token(context));
      case 'GET info':
        data().seen = true;
        return Response.json({ info: sessions.info(request) ?? null });
      default:
        return new Response('not found', { status: 404 });
    }
  });
  return (request: Request) =>
    new URL(request.url).pathname.startsWith('/s/') ? wrapped(request) : new Response('undefined');
}

describeAdapterBehaviour({
  label: 'Fetch',
  async start(options, setup = {}) {
    const sessions =
      setup.mode === 'cookie'
        ? fetchCookieSessions(options as CookieSessionOptions)
        : fetchSessions(options as SessionOptions);
    const server = await serveFetch(routes(sessions, setup.csrf && fetchCsrf(setup.csrf)));
    return served(server, sessions as FetchSessions);
  },
});

describe('coatcheck/fetch, what is its own', () => {
  const servers: TestServer[] = [];
  after(() => Promise.all(servers.map((server) => server.close())));
  async function app(options: Partial<SessionOptions> = {}, scheme: 'http' | 'https' = 'http') {
    const sessions = fetchSessions({ secret: ADAPTER_SECRET, store: new MemoryStore(), ...options });
    const server = await serveFetch(routes(sessions), scheme);
    servers.push(server);
    return new Client(server.url);
  }

  it('decides Secure per response: over https, and behind a proxy that says so', async () => {
    assert.match((await (await app({}, 'https')).fetch('/s/views')).setCookies[0] as string, /; Secure/);
    assert.doesNotMatch((await (await app()).fetch('/s/views')).setCookies[0] as string, /Secure/);
    const proxied = await (await app({ proxy: true })).fetch('/s/views', {
      headers: { 'X-Forwarded-Proto': 'https' },
    });
    assert.match(proxied.setCookies[0] as string, /; Secure/);
  });

  it('keeps a Cache-Control the handler chose, and info() reports the session timing', async () => {
    const browser = await app({ idleTimeout: 400 });
    const cached = await browser.fetch('/s/cached');
    assert.equal(cached.headers.get('cache-control'), 'private, max-age=60');
    assert.equal(cached.setCookies.length, 1);
    const { info } = (await (await browser.fetch('/s/info')).json()) as { info: { idleTimeout: number } };
    assert.equal(info.idleTimeout, 400);
  });

  it('refuses what is not a Request with a TypeError', async () => {
    await assert.rejects(
      fetchSessions({ secret: ADAPTER_SECRET }).open({ url: 'http://x/' } as unknown as Request),
      TypeError,
    );
  });
});
