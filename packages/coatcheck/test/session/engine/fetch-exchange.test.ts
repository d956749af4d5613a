// The engine's seam, proved with a second adapter: a minimal Exchange over WHATWG Request/Headers
// (no node:http anywhere) drives the same RequestSession the Express middleware uses.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MemoryStore, type Session } from 'coatcheck';
import type { Exchange } from '../../../src/session/engine/exchange.js';
import { RequestSession } from '../../../src/session/engine/request-session.js';
import { resolveOptions, type SessionOptions } from '../../../src/session/options.js';
import { SECRET } from '../../helpers/app.js';

/** The whole Fetch adapter: what a `Request` → `Response` framework would write. */
class FetchExchange implements Exchange {
  readonly request: Request;
  readonly headers = new Headers();
  session: Session | null | undefined;
  sessionId: unknown;
  sent = false;

  constructor(request: Request) {
    this.request = request;
  }
  cookieHeader() {
    return this.request.headers.get('cookie') ?? undefined;
  }
  isSecure() {
    return new URL(this.request.url).protocol === 'https:';
  }
  dropSession() {
    this.session = undefined;
  }
  headersSent() {
    return this.sent;
  }
  appendSetCookie(values: readonly string[]) {
    for (const value of values) this.headers.append('Set-Cookie', value);
  }
  setHeaderUnlessPresent(name: string, value: string) {
    if (!this.headers.has(name)) this.headers.set(name, value);
  }
}

type Handler = (session: Session) => unknown;

function fetchSessions(options: SessionOptions) {
  const resolved = resolveOptions(options);
  return async (request: Request, handler: Handler): Promise<Response> => {
    const exchange = new FetchExchange(request);
    const engine = new RequestSession(resolved, exchange);
    await engine.load();
    const body = JSON.stringify((await handler(exchange.session as Session)) ?? null);
    await engine.commit();
    engine.finish();
    exchange.sent = true;
    return new Response(body, { headers: exchange.headers });
  };
}

/** `name=value` of the session cookie a response set, for the next request's Cookie header. */
function cookieOf(response: Response): string {
  const cookie = response.headers.getSetCookie().find((c) => c.startsWith('connect.sid='));
  assert.ok(cookie, 'the response sets the session cookie');
  return cookie.split(';')[0] as string;
}

/** The session's data keys (its `cookie` is settings, not data). */
const dataKeys = (session: Session) => Object.keys(session).filter((key) => key !== 'cookie');

/** A MemoryStore subclass is called through promises, as a remote store is: the other store-call path. */
class PromisedMemoryStore extends MemoryStore {}

for (const [label, makeStore] of [
  ['MemoryStore (immediate calls)', () => new MemoryStore()],
  ['a store with promises (remote path)', () => new PromisedMemoryStore()],
] as const) {
  describe(`the engine over a Fetch Request/Response exchange, ${label}`, () => {
    it('creates a session, sets the cookie with safe attributes, and loads it on the next request', async () => {
      const handle = fetchSessions({ secret: SECRET, store: makeStore() });
      const first = await handle(new Request('http://app.test/'), (session) => {
        (session as unknown as { views: number }).views = 1;
      });
      const setCookie = first.headers.getSetCookie();
      assert.equal(setCookie.length, 1);
      assert.match(
        setCookie[0] as string,
        /^connect\.sid=s%3A[\w-]+\.[\w%+/-]+; Path=\/; HttpOnly; SameSite=Lax$/,
      );
      assert.equal(first.headers.get('cache-control'), 'no-store');
      const second = await handle(
        new Request('http://app.test/', { headers: { cookie: cookieOf(first) } }),
        (session) => (session as unknown as { views: number }).views,
      );
      assert.equal(await second.json(), 1);
      assert.deepEqual(second.headers.getSetCookie(), [], 'an unchanged session sends no cookie again');
    });

    it('resolves secure "auto" per response: Secure over https, not over http', async () => {
      const handle = fetchSessions({ secret: SECRET, store: makeStore() });
      const write = (session: Session) => {
        (session as unknown as { n: number }).n = 1;
      };
      const overHttps = await handle(new Request('https://app.test/'), write);
      assert.match(overHttps.headers.getSetCookie()[0] as string, /; Secure/);
      const overHttp = await handle(new Request('http://app.test/'), write);
      assert.doesNotMatch(overHttp.headers.getSetCookie()[0] as string, /Secure/);
    });

    it('destroy() removes the stored session and clears the cookie', async () => {
      const store = makeStore();
      const handle = fetchSessions({ secret: SECRET, store });
      const first = await handle(new Request('http://app.test/'), (session) => {
        (session as unknown as { userId: string }).userId = 'ada';
      });
      const cookie = cookieOf(first);
      assert.equal(await store.count(), 1);
      const out = await handle(new Request('http://app.test/', { headers: { cookie } }), (session) =>
        session.destroy(),
      );
      assert.match(out.headers.getSetCookie()[0] as string, /^connect\.sid=; .*Expires=Thu, 01 Jan 1970/);
      assert.equal(await store.count(), 0);
      const after = await handle(new Request('http://app.test/', { headers: { cookie } }), (session) =>
        dataKeys(session),
      );
      assert.deepEqual(await after.json(), []);
    });

    it('rotate() moves the data to a new ID; the old cookie no longer works', async () => {
      const handle = fetchSessions({ secret: SECRET, store: makeStore() });
      const first = await handle(new Request('http://app.test/'), (session) => {
        (session as unknown as { cart: string }).cart = 'apples';
      });
      const old = cookieOf(first);
      const rotated = await handle(new Request('http://app.test/', { headers: { cookie: old } }), (session) =>
        session.rotate(),
      );
      const fresh = cookieOf(rotated);
      assert.notEqual(fresh, old);
      const read = (cookie: string) =>
        handle(new Request('http://app.test/', { headers: { cookie } }), (session) => ({ ...session }));
      assert.equal(((await (await read(fresh)).json()) as { cart?: string }).cart, 'apples');
      assert.equal(((await (await read(old)).json()) as { cart?: string }).cart, undefined);
    });

    it('a tampered cookie is a fresh session, never an error', async () => {
      const handle = fetchSessions({ secret: SECRET, store: makeStore() });
      const response = await handle(
        new Request('http://app.test/', { headers: { cookie: 'connect.sid=s%3Aforged.bad' } }),
        (session) => dataKeys(session),
      );
      assert.deepEqual(await response.json(), []);
      assert.deepEqual(response.headers.getSetCookie(), []);
    });
  });
}
