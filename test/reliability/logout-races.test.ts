// A logout is never undone, over real HTTP on every store (ours and the express-session stores the
// connect adapter runs): a destroy(), revoke or revokeAll() that lands while a slower request is
// rotating or regenerating its session makes that rotate fail, and a save that was in flight when the
// session was destroyed does not bring it back.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import session, { type SessionMiddleware, type SessionOptions } from 'coatcheck';
import express from 'express';
import { Client, listen, type TestServer } from '../../packages/coatcheck/test/helpers/http.js';
import { connectTargets, rawGet } from '../helpers/connect-stores.js';
import { idFromCookie } from '../helpers/session-app.js';
import { storeTargets } from '../helpers/stores.js';

const SECRET = 'logout races: a secret of at least thirty-two bytes';
const USER = 'ada';

interface Gate {
  /** Resolves when the slow request has loaded its session and waits. */
  arrived: Promise<void>;
  /** Lets the slow request go on. */
  release(): void;
}

type Req = express.Request & { session: Record<string, unknown> & Record<string, never> };

/**
 * Routes: `POST /signin` (sets userId), `POST /slow/:how` (waits at the test's gate, then rotates,
 * or regenerates and copies the data over as passport does), `POST /logout` (with `?gate`, waits at
 * the gate first), `POST /set/:key`, `GET /read`. Errors are answered as JSON `{ code }`.
 */
async function raceApp(
  store: unknown,
): Promise<TestServer & { middleware: SessionMiddleware; gate(): Gate }> {
  const app = express();
  const middleware = session({ secret: SECRET, store, userKey: 'userId' } as SessionOptions);
  let current: { arrive(): void; wait: Promise<void> } | undefined;
  app.use(middleware);
  app.post('/signin', (req, res) => {
    (req as Req).session.userId = USER;
    res.send('ok');
  });
  app.post('/slow/:how', async (req, res, next) => {
    const gate = current;
    gate?.arrive();
    await gate?.wait;
    const s = req.session as unknown as Record<string, unknown> & {
      rotate(): Promise<void>;
      regenerate(): Promise<void>;
    };
    try {
      if (req.params.how === 'rotate') {
        await s.rotate();
      } else {
        const { cookie: _cookie, ...previous } = s;
        await s.regenerate();
        Object.assign(req.session as unknown as Record<string, unknown>, previous);
      }
      res.send('ok');
    } catch (err) {
      next(err);
    }
  });
  app.post('/set/:key', (req, res) => {
    (req.session as unknown as Record<string, unknown>)[req.params.key] = true;
    res.send('ok');
  });
  app.post('/logout', async (req, res) => {
    if (req.query.gate !== undefined) {
      // Its session loaded, the logout waits at the test's gate before it destroys it.
      const gate = current;
      gate?.arrive();
      await gate?.wait;
    }
    await req.session.destroy(() => {});
    res.send('bye');
  });
  app.get('/read', (req, res) => {
    const { cookie: _cookie, ...data } = req.session as unknown as Record<string, unknown>;
    res.json(data);
  });
  app.use((err: { code?: string; status?: number }, _req: unknown, res: express.Response, _next: unknown) => {
    res.status(err.status ?? 500).json({ code: err.code ?? 'unknown' });
  });
  const server = await listen(app);
  const gate = (): Gate => {
    let arrive = () => {};
    let release = () => {};
    const arrived = new Promise<void>((resolve) => {
      arrive = resolve;
    });
    const wait = new Promise<void>((resolve) => {
      release = resolve;
    });
    current = { arrive, wait };
    return { arrived, release };
  };
  return Object.assign(server, { middleware: middleware as SessionMiddleware, gate });
}

const targets = [
  ...storeTargets('races'),
  ...connectTargets('races').map((target) => ({ ...target, name: `${target.name} (connect adapter)` })),
];

for (const target of targets) {
  describe(`a logout is never undone on ${target.name}`, () => {
    let server: Awaited<ReturnType<typeof raceApp>> | undefined;
    let release: (() => Promise<void>) | undefined;
    let store: unknown;
    let skip: string | false = false;

    before(async () => {
      skip = await target.skip();
      if (skip) return;
      const opened = await target.open();
      store = opened.store;
      release = opened.release;
      server = await raceApp(store);
    });
    after(async () => {
      await server?.close();
      await release?.();
    });

    type Logout = (cookie: string, app: NonNullable<typeof server>) => Promise<unknown>;
    const logouts: Array<[string, Logout]> = [
      [
        'destroy()',
        (cookie, app) =>
          new Client(app.url).fetch('/logout', { method: 'POST', cookie }).then((r) => r.text()),
      ],
      ['revokeAll()', (_cookie, app) => app.middleware.revokeAll(USER)],
      [
        'revoke()',
        async (_cookie, app) => {
          const [info] = await app.middleware.listByUser(USER);
          assert.ok(info, 'the session is listed');
          return app.middleware.revoke(USER, info.handle);
        },
      ],
    ];
    for (const how of ['rotate', 'regenerate']) {
      for (const [label, logout] of logouts) {
        it(`${label} while a slower ${how}() is in flight: the ${how} fails, no session is signed in`, async (t) => {
          if (skip) return t.skip(skip);
          const app = server as NonNullable<typeof server>;
          const lists = typeof app.middleware.store.listByUser === 'function';
          if (label !== 'destroy()' && !lists) return t.skip('the store cannot list sessions (no all())');
          const client = new Client(app.url);
          assert.equal(await (await client.fetch('/signin', { method: 'POST' })).text(), 'ok');
          const signedIn = client.cookieHeader();
          const gate = app.gate();
          const slow = client.fetch(`/slow/${how}`, { method: 'POST', cookie: signedIn });
          await gate.arrived;
          await logout(signedIn, app);
          gate.release();
          const response = await slow;
          assert.equal(response.status, 404, 'the rotate fails');
          assert.deepEqual(await response.json(), { code: 'ERR_SESSION_NOT_FOUND' });
          // Whatever cookie the failed request left, and the one from before: no signed-in session.
          assert.deepEqual(await (await client.fetch('/read')).json(), {});
          assert.deepEqual(await (await client.fetch('/read', { cookie: signedIn })).json(), {});
          if (lists) assert.deepEqual(await app.middleware.listByUser(USER), [], 'no session of the user');
        });
      }
    }

    // The twin race across processes: the logout loaded the session, then another process (its own
    // store instance on the same database, so its own trail of rotations) rotated it, then the
    // logout removes the old ID. The store's forward from the old ID must take the new one with it.
    // MemoryStore lives in one process, and a connect store keeps no forwards (documented), so
    // this runs on the first-party stores that other processes can share.
    const openAnother = 'openAnother' in target ? target.openAnother : undefined;
    for (const how of ['rotate', 'regenerate']) {
      it(`a logout that loaded the session before another process's slower ${how}() still ends it`, async (t) => {
        if (skip) return t.skip(skip);
        if (openAnother === undefined)
          return t.skip('no other process can share this store, or it keeps no forwards');
        const here = server as NonNullable<typeof server>;
        const other = await openAnother();
        const there = await raceApp(other.store);
        try {
          const client = new Client(here.url);
          assert.equal(await (await client.fetch('/signin', { method: 'POST' })).text(), 'ok');
          const signedIn = client.cookieHeader();
          const gate = here.gate();
          const logout = client.fetch('/logout?gate', { method: 'POST', cookie: signedIn });
          await gate.arrived;
          const elsewhere = new Client(there.url);
          const moved = await elsewhere.fetch(`/slow/${how}`, { method: 'POST', cookie: signedIn });
          assert.equal(moved.status, 200, `the ${how} in the other process succeeds`);
          const rotated = elsewhere.cookieHeader();
          assert.notEqual(rotated, signedIn);
          assert.deepEqual(await (await elsewhere.fetch('/read')).json(), { userId: USER });
          gate.release();
          assert.equal(await (await logout).text(), 'bye');
          for (const app of [here, there]) {
            assert.deepEqual(
              await (await new Client(app.url).fetch('/read', { cookie: rotated })).json(),
              {},
              `the ${how}d session is logged out`,
            );
          }
          assert.deepEqual(await here.middleware.listByUser(USER), [], 'no session of the user');
        } finally {
          await there.close();
          await other.release();
        }
      });
    }

    it('a rotate that no logout races still works', async (t) => {
      if (skip) return t.skip(skip);
      const app = server as NonNullable<typeof server>;
      const client = new Client(app.url);
      await (await client.fetch('/signin', { method: 'POST' })).text();
      const before = client.cookieHeader();
      const gate = app.gate();
      const slow = client.fetch('/slow/rotate', { method: 'POST' });
      await gate.arrived;
      gate.release();
      assert.equal((await slow).status, 200);
      assert.notEqual(client.cookieHeader(), before);
      assert.deepEqual(await (await client.fetch('/read')).json(), { userId: USER });
      assert.deepEqual(
        await (await client.fetch('/read', { cookie: before })).json(),
        {},
        'the old ID is dead',
      );
      await client.fetch('/logout', { method: 'POST' });
    });

    it('a save in flight when the session is destroyed does not bring it back (60 trials)', async (t) => {
      if (skip) return t.skip(skip);
      const app = server as NonNullable<typeof server>;
      let resurrected = 0;
      for (let trial = 0; trial < 60; trial++) {
        const client = new Client(app.url);
        await (await client.fetch('/signin', { method: 'POST' })).text();
        const cookie = client.cookieHeader();
        const id = idFromCookie(cookie.slice(cookie.indexOf('=') + 1)) as string;
        await Promise.all([
          client.fetch(`/set/k${trial}`, { method: 'POST', cookie }).then((r) => r.text()),
          client.fetch('/logout', { method: 'POST', cookie }).then((r) => r.text()),
        ]);
        const data = (await (await client.fetch('/read', { cookie })).json()) as Record<string, unknown>;
        const raw =
          typeof (store as { get?: unknown }).get === 'function' && !('read' in (store as object))
            ? await rawGet(store as Parameters<typeof rawGet>[0], id)
            : null;
        if (Object.keys(data).length > 0 || raw !== null) resurrected++;
      }
      assert.equal(resurrected, 0, `${resurrected} of 60 logged-out sessions came back`);
    });
  });
}
