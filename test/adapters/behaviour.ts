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
 * | `POST /s/set/:key/:value`      | sets one key (after 150 ms with `?slow=1`)                    |
 * | `POST /s/login/:user`          | `rotate()`, then `userId` (after 150 ms with `?slow=1`)       |
 * | `POST /s/logout`               | `destroy()`                                                   |
 * | `GET /s/ended`                 | answers `{ ended }`: the manager's `ended()` for this request |
 * | `GET /s/redirect`              | sets `redirected`, answers a 303 to `/s/read`                 |
 *
 * An error with a `status` is answered with that status and a JSON body `{ status, code }`.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { MemoryStore, type SessionInfo, type SessionOptions, type SessionStore } from 'coatcheck';
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

export interface Adapter {
  /** `Hono`, `Koa 3`, … */
  label: string;
  /** Starts the framework's app with the routes above and `options` for its session middleware. */
  start(options: SessionOptions): Promise<AdapterApp>;
}

type Data = Record<string, unknown>;

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
        for (const slow of ['/s/set/late/write?slow=1', '/s/login/mallory?slow=1']) {
          const browser = client();
          await browser.fetch('/s/login/alice', { method: 'POST' });
          const cookie = browser.cookieHeader();
          const pending = browser.fetch(slow, { method: 'POST', cookie });
          await sleep(30);
          assert.equal((await browser.fetch('/s/logout', { method: 'POST', cookie })).status, 200);
          const late = await pending;
          const revived = late.setCookies.find((line) => line.startsWith('connect.sid=s%3A'));
          const after = await browser.fetch('/s/read', { cookie: revived ? revived.split(';')[0] : cookie });
          assert.deepEqual(await after.json(), {}, `${slow}: the session stays logged out`);
        }
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
