/**
 * The behaviour every framework adapter shares (issue 17), on every store, over real HTTP: one
 * suite, run by each adapter's test with an app of its framework that serves these routes under
 * `/s/` (the session middleware mounted there), plus `/public` without it:
 *
 * | route                          | does                                                          |
 * | ------------------------------ | ------------------------------------------------------------- |
 * | `GET /public`                  | answers `String(session)` where the framework keeps it        |
 * | `GET /s/views`                 | adds one to `views` and answers it                            |
 * | `GET /s/read`                  | answers the session's data as JSON, without `cookie`          |
 * | `POST /s/set/:key/:value`      | sets one key                                                  |
 * | `POST /s/login/:user`          | `rotate()`, then `userId` on the object held across it        |
 * | `POST /s/logout`               | `destroy()`                                                   |
 * | `GET /s/ended`                 | answers `{ ended }`: the manager's `ended()` for this request |
 * | `GET /s/redirect`              | sets `redirected`, answers a 303 to `/s/read`                 |
 * | `GET /s/csrf-token`            | answers a CSRF token (with `csrf` in the setup)               |
 *
 * The three `POST` routes first wait in {@link holdWhenAsked} with the request's `hold` query
 * parameter, so that a test can order them on the server exactly.
 *
 * With `mode: 'cookie'` in the setup the session middleware is the framework's `cookieSession()`
 * (no store); with `csrf`, the framework's `csrf()` runs after it under `/s/`, and the app parses
 * urlencoded bodies so that a token can come in a form field. An error with a `status` is answered
 * with that status and a JSON body `{ status, code }`.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  type CookieSessionOptions,
  MemoryStore,
  type SessionInfo,
  type SessionOptions,
  type SessionStore,
} from 'coatcheck';
import type { CsrfOptions } from 'coatcheck/csrf';
import { Client } from '../../packages/coatcheck/test/helpers/http.js';
import { storeTargets } from '../helpers/stores.js';

export const ADAPTER_SECRET = 'adapter behaviour: a session secret of thirty-two bytes or more';

/** What the suite needs of a running app and its session middleware. */
export interface AdapterApp {
  url: string;
  listByUser(user: string): Promise<SessionInfo[]>;
  revokeAll(user: string, options?: { except?: string }): Promise<number>;
  close(): Promise<void>;
}

/** An {@link AdapterApp} from a server on 127.0.0.1 and the session manager its middleware has. */
export function served(
  server: { url: string; close(): Promise<unknown> },
  manager: Pick<AdapterApp, 'listByUser' | 'revokeAll'>,
): AdapterApp {
  return {
    url: server.url,
    listByUser: manager.listByUser,
    revokeAll: manager.revokeAll,
    close: async () => {
      await server.close();
    },
  };
}

/** How an app is put together besides the session options. */
export interface AdapterSetup {
  /** `'store'` (default): the framework's `session()`; `'cookie'`: its `cookieSession()`. */
  mode?: 'store' | 'cookie';
  /** The framework's `csrf()` with these options, after the session middleware under `/s/`. */
  csrf?: CsrfOptions;
}

export interface Adapter {
  /** `Hono`, `Koa 3`, … */
  label: string;
  /**
   * Starts the framework's app with the routes above and `options` for its session middleware
   * (`cookieSession()`'s when `setup.mode` is `'cookie'`).
   */
  start(options: SessionOptions | CookieSessionOptions, setup?: AdapterSetup): Promise<AdapterApp>;
}

type Data = Record<string, unknown>;

interface Signal {
  promise: Promise<void>;
  resolve(): void;
}

function signal(): Signal {
  let resolve = () => {};
  const promise = new Promise<void>((done) => {
    resolve = done;
  });
  return { promise, resolve };
}

interface Hold {
  arrived: Signal;
  released: Signal;
}

const holds = new Map<string, Hold>();

function holdNamed(name: string): Hold {
  let hold = holds.get(name);
  if (hold === undefined) {
    hold = { arrived: signal(), released: signal() };
    holds.set(name, hold);
  }
  return hold;
}

/**
 * Where a route of the apps waits, its session loaded, when its request names a hold (`?hold=NAME`,
 * passed here as `name`), until the test calls {@link releaseHold}: two requests on one session are
 * then ordered on the server exactly, however loaded the machine is. Without a name it goes on.
 */
export async function holdWhenAsked(name: unknown): Promise<void> {
  if (typeof name !== 'string' || name === '') return;
  const hold = holdNamed(name);
  hold.arrived.resolve();
  await hold.released.promise;
  holds.delete(name);
}

/** Resolves once a request holding at `name` has reached {@link holdWhenAsked}. */
function holdReached(name: string): Promise<void> {
  return holdNamed(name).arrived.promise;
}

/** Lets the request holding at `name` go on. */
function releaseHold(name: string): void {
  holdNamed(name).released.resolve();
}

let holdsMade = 0;
const newHold = () => `hold${++holdsMade}`;

export function describeAdapterBehaviour(adapter: Adapter): void {
  describe(`${adapter.label} sessions when the store fails`, () => {
    it('answers with the error’s status (503) and its code, and sets no cookie', async () => {
      const store = new MemoryStore();
      const app = await adapter.start({ secret: ADAPTER_SECRET, store });
      try {
        const browser = new Client(app.url);
        assert.equal((await browser.fetch('/s/views')).status, 200);
        await store.close();
        const response = await browser.fetch('/s/views');
        assert.equal(response.status, 503);
        assert.deepEqual(await response.json(), { status: 503, code: 'ERR_STORE_CLOSED' });
        assert.deepEqual(response.setCookies, []);
      } finally {
        await app.close();
      }
    });
  });

  describeCookieSessions(adapter);
  describeCsrf(adapter);

  for (const target of storeTargets(`adapter_${adapter.label.replace(/\W/g, '')}`)) {
    describe(`${adapter.label} sessions on ${target.name}, over HTTP`, () => {
      let store: SessionStore;
      let release: () => Promise<void>;
      let skipped: string | false = false;
      const apps: AdapterApp[] = [];
      before(async () => {
        skipped = await target.skip();
        if (skipped) return;
        ({ store, release } = await target.open());
      });
      after(async () => {
        await Promise.all(apps.map((app) => app.close()));
        if (!skipped) await release();
      });

      async function start(options: Partial<SessionOptions> = {}) {
        const app = await adapter.start({
          secret: ADAPTER_SECRET,
          store,
          userKey: 'userId',
          ...options,
        } as SessionOptions);
        apps.push(app);
        return { app, client: () => new Client(app.url) };
      }

      it('keeps data with safe cookie attributes, only where the middleware is mounted', async (t) => {
        if (skipped) return t.skip(skipped);
        const { client } = await start();
        const browser = client();
        const first = await browser.fetch('/s/views');
        assert.equal(await first.text(), '1');
        assert.equal(first.setCookies.length, 1);
        assert.match(
          first.setCookies[0] as string,
          /^connect\.sid=s%3A[^;]+; Path=\/; HttpOnly; SameSite=Lax$/,
        );
        assert.equal(first.headers.get('cache-control'), 'no-store');
        assert.equal(await browser.text('/s/views'), '2');
        assert.deepEqual(
          (await client().fetch('/s/read')).setCookies,
          [],
          'no cookie for an untouched session',
        );
        assert.equal(await browser.text('/public'), 'undefined', 'no session where it is not mounted');
      });

      it('keeps every write of 50 overlapping requests on one session', async (t) => {
        if (skipped) return t.skip(skipped);
        const { client } = await start();
        const browser = client();
        await browser.fetch('/s/set/start/1', { method: 'POST' });
        const writes = Array.from({ length: 50 }, (_, i) =>
          browser.fetch(`/s/set/k${i}/${i}`, { method: 'POST' }),
        );
        for (const response of await Promise.all(writes)) assert.equal(response.status, 200);
        const read = (await (await browser.fetch('/s/read')).json()) as Data;
        for (let i = 0; i < 50; i++) assert.equal(read[`k${i}`], String(i), `k${i}`);
      });

      it('a logout is not undone by a slower save or a slower rotate', async (t) => {
        if (skipped) return t.skip(skipped);
        const { client } = await start();
        const signedIn = async () => {
          const browser = client();
          await browser.fetch('/s/set/mark/alice', { method: 'POST' });
          await browser.fetch('/s/login/alice', { method: 'POST' });
          return { browser, cookie: browser.cookieHeader() };
        };
        const markIn = async (browser: Client, setCookies: string[]) => {
          const issued = setCookies.find((line) => line.startsWith('connect.sid=s%3A'));
          if (!issued) return undefined;
          const read = await browser.fetch('/s/read', { cookie: issued.split(';')[0] });
          return ((await read.json()) as Data).mark;
        };
        for (const slow of ['/s/set/late/write', '/s/login/mallory']) {
          // The slower request has loaded alice's session; the logout runs to its end; then it goes on.
          const { browser, cookie } = await signedIn();
          const hold = newHold();
          const pending = browser.fetch(`${slow}?hold=${hold}`, { method: 'POST', cookie });
          await holdReached(hold);
          assert.equal((await browser.fetch('/s/logout', { method: 'POST', cookie })).status, 200);
          releaseHold(hold);
          const late = await pending;
          assert.deepEqual(
            await (await browser.fetch('/s/read', { cookie })).json(),
            {},
            `${slow}: logged out`,
          );
          assert.equal(await markIn(browser, late.setCookies), undefined, `${slow}: not brought back`);
        }
        // The twin race: the logout has loaded the session, a login rotates it meanwhile, then the
        // logout removes the old ID, which is already gone. What the rotate made must go with it.
        const { browser, cookie } = await signedIn();
        const hold = newHold();
        const logout = browser.fetch(`/s/logout?hold=${hold}`, { method: 'POST', cookie });
        await holdReached(hold);
        const login = await browser.fetch('/s/login/mallory', { method: 'POST', cookie });
        assert.equal(login.status, 200);
        assert.equal(await markIn(browser, login.setCookies), 'alice', 'the rotate moved the data');
        releaseHold(hold);
        assert.equal((await logout).status, 200);
        assert.equal(await markIn(browser, login.setCookies), undefined, 'the rotated session is logged out');
      });

      it("rotates the ID on login, keeps the data, and lists and revokes a user's sessions", async (t) => {
        if (skipped) return t.skip(skipped);
        const { app, client } = await start();
        const laptop = client();
        const phone = client();
        await laptop.fetch('/s/set/cart/apples', { method: 'POST' });
        const before = laptop.cookieHeader();
        const laptopId = await laptop.text('/s/login/ada', { method: 'POST' });
        assert.notEqual(laptop.cookieHeader(), before);
        assert.deepEqual(await (await laptop.fetch('/s/read')).json(), { cart: 'apples', userId: 'ada' });
        assert.deepEqual(await (await laptop.fetch('/s/read', { cookie: before })).json(), {});
        await phone.text('/s/login/ada', { method: 'POST' });
        assert.equal((await app.listByUser('ada')).length, 2);
        assert.equal(await app.revokeAll('ada', { except: laptopId }), 1);
        assert.deepEqual(await (await phone.fetch('/s/read')).json(), {}, 'the phone is logged out');
        assert.equal(((await (await laptop.fetch('/s/read')).json()) as Data).userId, 'ada');
      });

      it('ends an idle session; a tampered cookie is a fresh session, and ended() says why', async (t) => {
        if (skipped) return t.skip(skipped);
        const { client } = await start({ idleTimeout: 400, touchAfter: 0 });
        const browser = client();
        await browser.fetch('/s/views');
        await sleep(700);
        assert.equal(await browser.text('/s/views'), '1', 'the idle session ended');
        const value = browser.jar.get('connect.sid') as string;
        const forged = `${value.slice(0, -3)}${value.endsWith('AAA') ? 'BBB' : 'AAA'}`;
        const response = await browser.fetch('/s/ended', { cookie: `connect.sid=${forged}` });
        assert.equal(response.status, 200);
        assert.deepEqual(await response.json(), { ended: 'tampered' });
      });

      it('ends a busy session at the absolute timeout, however recently it was used', async (t) => {
        if (skipped) return t.skip(skipped);
        const { client } = await start({ absoluteTimeout: 1200, idleTimeout: 60_000, touchAfter: 0 });
        const browser = client();
        assert.equal(await browser.text('/s/views'), '1');
        await sleep(400);
        assert.equal(await browser.text('/s/views'), '2', 'alive before the absolute timeout');
        await sleep(1000);
        assert.equal(await browser.text('/s/views'), '1', 'ended 1.2 s after it began, used 1 s ago');
      });

      it('refreshes an unchanged session in the store at most once per touchAfter', async (t) => {
        if (skipped) return t.skip(skipped);
        const throttled = await start({ touchAfter: 60_000 });
        const browser = throttled.client();
        await browser.fetch('/s/login/tess', { method: 'POST' });
        const [first] = await throttled.app.listByUser('tess');
        await sleep(50);
        for (let i = 0; i < 3; i++) assert.equal((await browser.fetch('/s/read')).status, 200);
        const [unchanged] = await throttled.app.listByUser('tess');
        assert.equal(
          unchanged?.lastSeen.getTime(),
          first?.lastSeen.getTime(),
          'reads within touchAfter write nothing',
        );
        const eager = await start({ touchAfter: 0 });
        const sameBrowser = new Client(eager.app.url);
        for (const [name, value] of browser.jar) sameBrowser.jar.set(name, value);
        assert.equal((await sameBrowser.fetch('/s/read')).status, 200);
        const [touched] = await eager.app.listByUser('tess');
        assert.ok(
          (touched?.lastSeen.getTime() ?? 0) > (first?.lastSeen.getTime() ?? 0),
          'with touchAfter 0 a read refreshes it',
        );
      });

      it('puts the cookie on a redirect', async (t) => {
        if (skipped) return t.skip(skipped);
        const { client } = await start();
        const browser = client();
        const redirect = await browser.fetch('/s/redirect');
        assert.equal(redirect.status, 303);
        assert.equal(redirect.setCookies.length, 1);
        assert.deepEqual(await (await browser.fetch('/s/read')).json(), { redirected: true });
      });
    });
  }
}

const SAME_ORIGIN = { 'sec-fetch-site': 'same-origin' };

/** `cookieSession()` in the adapter's framework: the session sealed into the cookie, no store. */
function describeCookieSessions(adapter: Adapter): void {
  describe(`${adapter.label} cookie sessions (cookieSession(), no store), over HTTP`, () => {
    const apps: AdapterApp[] = [];
    after(() => Promise.all(apps.map((app) => app.close())));
    async function start(options: Partial<CookieSessionOptions> = {}) {
      const app = await adapter.start(
        { secret: ADAPTER_SECRET, userKey: 'userId', ...options } as CookieSessionOptions,
        { mode: 'cookie' },
      );
      apps.push(app);
      return new Client(app.url);
    }

    it('keeps the data sealed in the cookie; rotate() keeps it under a new ID; destroy() clears it', async () => {
      const browser = await start();
      const first = await browser.fetch('/s/set/secret-word/swordfish', { method: 'POST' });
      assert.equal(first.setCookies.length, 1);
      const line = first.setCookies[0] as string;
      assert.match(line, /^session=[^;]+;/);
      assert.match(line, /; HttpOnly/);
      assert.match(line, /; SameSite=Lax/);
      assert.doesNotMatch(decodeURIComponent(line), /swordfish/, 'sealed, not readable');
      assert.equal(await browser.text('/s/views'), '1');
      const before = browser.cookieHeader();
      const id = await browser.text('/s/login/ada', { method: 'POST' });
      assert.match(id, /^[\w-]{22,}$/);
      assert.deepEqual(await (await browser.fetch('/s/read')).json(), {
        'secret-word': 'swordfish',
        views: 1,
        userId: 'ada',
      });
      assert.notEqual(browser.cookieHeader(), before);
      const logout = await browser.fetch('/s/logout', { method: 'POST' });
      assert.equal(logout.status, 200);
      assert.equal(browser.jar.size, 0, 'the cookie is cleared');
      assert.deepEqual(await (await browser.fetch('/s/read')).json(), {});
    });

    it('a tampered seal is a fresh session and ended() says why; an idle session ends', async () => {
      // 1.5 s: the three requests before the sleep must fit in it on a loaded machine (at 400 ms
      // they once did not, in the 20-run loop).
      const browser = await start({ idleTimeout: 1500, touchAfter: 0 });
      assert.equal(await browser.text('/s/views'), '1');
      const value = browser.jar.get('session') as string;
      const forged = `${value.slice(0, -3)}${value.endsWith('AAA') ? 'BBB' : 'AAA'}`;
      const response = await browser.fetch('/s/ended', { cookie: `session=${forged}` });
      assert.deepEqual(await response.json(), { ended: 'tampered' });
      assert.equal(await browser.text('/s/views'), '2');
      await sleep(1800);
      assert.equal(await browser.text('/s/views'), '1', 'the idle session ended');
    });

    it('ends a busy session at the absolute timeout', async () => {
      const browser = await start({ absoluteTimeout: 1200, idleTimeout: 60_000, touchAfter: 0 });
      assert.equal(await browser.text('/s/views'), '1');
      await sleep(400);
      assert.equal(await browser.text('/s/views'), '2');
      await sleep(1000);
      assert.equal(await browser.text('/s/views'), '1');
    });
  });
}

/** The framework's `csrf()` after its session middleware, with a store and with cookie sessions. */
function describeCsrf(adapter: Adapter): void {
  for (const mode of ['store', 'cookie'] as const) {
    describe(`${adapter.label} CSRF protection (csrf(), ${mode === 'store' ? 'session()' : 'cookieSession()'}), over HTTP`, () => {
      const apps: AdapterApp[] = [];
      after(() => Promise.all(apps.map((app) => app.close())));
      async function start(csrf: CsrfOptions) {
        const base = { secret: ADAPTER_SECRET, userKey: 'userId' };
        const options = mode === 'store' ? { ...base, store: new MemoryStore() } : base;
        const app = await adapter.start(options as SessionOptions, { mode, csrf });
        apps.push(app);
        return { app, browser: new Client(app.url) };
      }
      const post = (browser: Client, path: string, headers: Record<string, string>) =>
        browser.fetch(path, { method: 'POST', headers });

      it('refuses a cross-site or foreign-origin unsafe request with 403 ERR_CSRF, changing nothing', async () => {
        const { browser } = await start({});
        assert.equal((await browser.fetch('/s/views')).status, 200, 'safe methods pass');
        for (const headers of [
          { 'sec-fetch-site': 'cross-site' },
          { origin: 'https://evil.example' },
          {},
        ] as Array<Record<string, string>>) {
          const refused = await post(browser, '/s/set/a/evil', headers);
          assert.equal(refused.status, 403, JSON.stringify(headers));
          assert.deepEqual(await refused.json(), { status: 403, code: 'ERR_CSRF' });
        }
        assert.equal((await post(browser, '/s/set/a/mine', SAME_ORIGIN)).status, 200);
        assert.deepEqual(await (await browser.fetch('/s/read')).json(), { views: 1, a: 'mine' });
      });

      it('with token: needs this session’s token, and rotate() on login voids the earlier ones', async () => {
        const { app, browser } = await start({ token: { require: 'always' } });
        const token = await browser.text('/s/csrf-token');
        const other = await new Client(app.url).text('/s/csrf-token');
        assert.equal((await post(browser, '/s/set/a/1', SAME_ORIGIN)).status, 403, 'no token');
        const wrong = await post(browser, '/s/set/a/1', { ...SAME_ORIGIN, 'x-csrf-token': other });
        assert.equal(wrong.status, 403, 'another session’s token');
        assert.equal(
          (await post(browser, '/s/set/a/1', { ...SAME_ORIGIN, 'x-csrf-token': token })).status,
          200,
        );
        const login = await post(browser, '/s/login/ada', { ...SAME_ORIGIN, 'x-csrf-token': token });
        assert.equal(login.status, 200);
        const stale = await post(browser, '/s/set/b/2', { ...SAME_ORIGIN, 'x-csrf-token': token });
        assert.equal(stale.status, 403, 'a token from before login');
        const fresh = await browser.text('/s/csrf-token');
        assert.equal(
          (await post(browser, '/s/set/b/2', { ...SAME_ORIGIN, 'x-csrf-token': fresh })).status,
          200,
        );
        const { csrfSecret: _secret, ...data } = (await (await browser.fetch('/s/read')).json()) as Data;
        assert.deepEqual(data, { a: '1', userId: 'ada', b: '2' });
      });

      it('with token.field: reads the token from a urlencoded form', async () => {
        const { app, browser } = await start({ token: { field: '_csrf' } });
        const token = await browser.text('/s/csrf-token');
        // No Sec-Fetch-Site (an older browser): the token is required.
        const form = (body: string) =>
          browser.fetch('/s/set/c/3', {
            method: 'POST',
            headers: { origin: new URL(app.url).origin, 'content-type': 'application/x-www-form-urlencoded' },
            body,
          });
        assert.equal((await form('other=1')).status, 403);
        assert.equal((await form(`other=1&_csrf=${encodeURIComponent(token)}`)).status, 200);
        assert.equal(((await (await browser.fetch('/s/read')).json()) as Data).c, '3');
      });
    });
  }
}
