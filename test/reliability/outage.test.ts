/**
 * Store outages (issue 7, item 1). Each store runs against a private server this file starts on a
 * free port; the tests freeze it (SIGSTOP: a network blip, connections open but silent) and kill it
 * (SIGKILL: a crash, connections refused), then bring it back. What must hold:
 *
 * - while it is out, a request that needs the store gets a 503 with a `StoreError` code through
 *   `next(err)`, within a bound set by `storeTimeout`; nothing hangs, nothing crashes;
 * - a request that needs no store (anonymous, nothing to save) still succeeds;
 * - when it is back, the app recovers by itself within seconds, with no restart;
 * - every session written before the outage is intact.
 *
 * The same store behind `onStoreError: 'continue'` (the opt-in to carry on) answers 200 with a
 * fresh session that is never stored, and writes nothing, within the same bound.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { fromUrl as mongodbFromUrl } from '@coatcheck/mongodb';
import { fromUrl as mysqlFromUrl } from '@coatcheck/mysql';
import { fromUrl as postgresFromUrl } from '@coatcheck/postgres';
import { RedisStore, fromUrl as redisFromUrl } from '@coatcheck/redis';
import session, { type SessionStore, StoreError } from 'coatcheck';
import express from 'express';
import { Redis } from 'ioredis';
import { Client, listen, type TestServer } from '../../packages/coatcheck/test/helpers/http.js';
import {
  type PrivateServer,
  privateServerSkipReason,
  type ServerKind,
  startPrivateServer,
} from '../helpers/servers.js';

const SECRET = 'outage tests: a secret of at least thirty-two bytes';
/** The middleware's deadline for one store operation in these tests. */
const STORE_TIMEOUT = 300;
/** The longest a request may take while the store is out: one store deadline plus slack for a busy machine. */
const OUTAGE_BOUND = STORE_TIMEOUT + 1200;
/** The longest the app may take to serve sessions again once the server is back. */
const RECOVERY_BOUND = 15_000;
const SESSIONS = 25;

type ClosableStore = SessionStore & { close(): Promise<void> };

interface Target {
  label: string;
  kind: ServerKind;
  open(url: string): Promise<ClosableStore>;
}

const TARGETS: Target[] = [
  { label: 'Redis (node-redis, via fromUrl)', kind: 'redis', open: (url) => redisFromUrl(url) },
  {
    label: 'Redis (ioredis client)',
    kind: 'redis',
    async open(url) {
      const client = new Redis(url, { maxRetriesPerRequest: 1 });
      // An application owns its client's 'error' event; without a listener ioredis only logs.
      client.on('error', () => {});
      const store = new RedisStore({ client, prefix: 'ioredis:' });
      return Object.assign(store, {
        async close() {
          await RedisStore.prototype.close.call(store);
          client.disconnect();
        },
      });
    },
  },
  { label: 'PostgreSQL', kind: 'postgres', open: async (url) => postgresFromUrl(url) },
  { label: 'MariaDB', kind: 'mysql', open: async (url) => mysqlFromUrl(url) },
  {
    label: 'MongoDB (FerretDB, via fromUrl)',
    kind: 'mongodb',
    open: async (url) => mongodbFromUrl(url),
  },
];

/** What the test measured, printed at the end for the report. */
const figures: string[] = [];

interface Timed {
  /** The method and path asked for, for a failure's message. */
  asked: string;
  status: number;
  code: string | undefined;
  /** The error that reached the error handler was a `StoreError`. */
  typed: boolean;
  ms: number;
  setCookie: boolean;
  text: string;
}

/** One request with a hard client-side deadline, so a hang fails the test instead of freezing it. */
async function timed(client: Client, path: string, method = 'GET', cookie?: string): Promise<Timed> {
  const started = performance.now();
  const response = await client.fetch(path, {
    method,
    signal: AbortSignal.timeout(10_000),
    ...(cookie === undefined ? {} : { cookie }),
  });
  const text = await response.text();
  const ms = performance.now() - started;
  let code: string | undefined;
  let typed = false;
  try {
    ({ code, typed = false } = JSON.parse(text) as { code?: string; typed?: boolean });
  } catch {}
  const setCookie = response.setCookies.length > 0;
  return { asked: `${method} ${path}`, status: response.status, code, typed, ms, setCookie, text };
}

function assertRefused(results: Timed[], codes: readonly string[]): number {
  for (const result of results) {
    assert.equal(
      result.status,
      503,
      `${result.asked}: expected 503, got ${result.status} in ${Math.round(result.ms)} ms: ${result.text.slice(0, 200)}`,
    );
    assert.ok(result.code && codes.includes(result.code), `unexpected code ${result.code}`);
    assert.ok(result.typed, 'the error handler receives a StoreError');
    assert.equal(result.setCookie, false, 'a failed request must not set a session cookie');
    assert.ok(result.ms < OUTAGE_BOUND, `a request took ${Math.round(result.ms)} ms while the store was out`);
  }
  return Math.max(...results.map((r) => r.ms));
}

/**
 * Under `onStoreError: 'continue'`: requests with a session cookie run with a fresh session that is
 * never stored, writes are dropped, no cookie is set, all within the bound. Returns the slowest.
 */
async function assertCarriesOn(url: string, clients: Array<{ client: Client }>): Promise<number> {
  const cookieOf = (i: number) =>
    `connect.sid=${(clients[i] as { client: Client }).client.jar.get('connect.sid')}`;
  const results = await Promise.all([
    ...[0, 1, 2, 3, 4].map((i) => timed(new Client(url), '/get', 'GET', cookieOf(i))),
    timed(new Client(url), '/put/dropped', 'PUT', cookieOf(5)),
    timed(new Client(url), '/put/dropped', 'PUT'),
  ]);
  for (const result of results) {
    assert.equal(result.status, 200, `carrying on, got ${result.status} (${result.code})`);
    assert.equal(result.setCookie, false, 'no cookie for a session that is not stored');
    assert.ok(result.ms < OUTAGE_BOUND, `a request took ${Math.round(result.ms)} ms while the store was out`);
  }
  for (const result of results.slice(0, 5)) assert.equal(result.text, '{}', 'a fresh, empty session');
  return Math.max(...results.map((r) => r.ms));
}

/** Polls an existing session until it reads back, returning how long that took. */
async function recoveryTime(client: Client): Promise<number> {
  const started = performance.now();
  for (;;) {
    const result = await timed(client, '/get');
    if (result.status === 200) return performance.now() - started;
    assert.equal(result.status, 503, 'while recovering, a request either succeeds or gets 503');
    assert.ok(performance.now() - started < RECOVERY_BOUND, 'the app did not recover in time');
    await sleep(50);
  }
}

/** The app every outage test runs: `/public` before the session middleware, the rest after it. */
function outageApp(middleware: ReturnType<typeof session>): express.Express {
  const application = express();
  application.get('/public', (_req, res) => {
    res.send('ok');
  });
  application.use(middleware);
  application.get('/anonymous', (_req, res) => {
    res.send('ok');
  });
  application.put('/put/:value', (req, res) => {
    (req.session as unknown as Record<string, unknown>).value = req.params.value;
    (req.session as unknown as Record<string, unknown>).list = [req.params.value, 1, true];
    res.send('ok');
  });
  application.get('/get', (req, res) => {
    const { cookie: _cookie, ...data } = req.session as unknown as Record<string, unknown>;
    res.json(data);
  });
  application.use(
    (err: { code?: string; status?: number }, _req: unknown, res: express.Response, _next: unknown) => {
      res.status(err.status ?? 500).json({ code: err.code ?? 'unknown', typed: err instanceof StoreError });
    },
  );
  return application;
}

const skips = new Map<ServerKind, string | false>(
  (['redis', 'postgres', 'mysql', 'mongodb'] as const).map((kind) => [kind, privateServerSkipReason(kind)]),
);

for (const kind of ['redis', 'postgres', 'mysql', 'mongodb'] as const) {
  describe(`store outage on a private ${kind} server`, { skip: skips.get(kind) ?? false }, () => {
    let server: PrivateServer;
    before(async () => {
      server = await startPrivateServer(kind);
    });
    after(async () => {
      await server?.close();
    });

    for (const target of TARGETS.filter((t) => t.kind === kind)) {
      describe(target.label, () => {
        let store: ClosableStore;
        let app: TestServer;
        let lenientApp: TestServer;
        const storeErrors: StoreError[] = [];
        const lenientErrors: StoreError[] = [];
        const clients: Array<{ client: Client; value: string }> = [];

        before(async () => {
          store = await target.open(server.url);
          const middleware = session({ secret: SECRET, store, storeTimeout: STORE_TIMEOUT });
          middleware.on('storeError', ({ error }) => storeErrors.push(error));
          app = await listen(outageApp(middleware));
          // The same store behind the opt-in to carry on without the session.
          const lenient = session({
            secret: SECRET,
            store,
            storeTimeout: STORE_TIMEOUT,
            onStoreError: 'continue',
          });
          lenient.on('storeError', ({ error }) => lenientErrors.push(error));
          lenientApp = await listen(outageApp(lenient));
        });
        after(async () => {
          await app?.close();
          await lenientApp?.close();
          await store?.close();
        });

        it(`keeps ${SESSIONS} sessions written before the outage`, async () => {
          for (let i = 0; i < SESSIONS; i++) {
            const client = new Client(app.url);
            const value = `v${i}-${randomBytes(6).toString('hex')}`;
            assert.equal((await timed(client, `/put/${value}`, 'PUT')).status, 200);
            clients.push({ client, value });
          }
          for (const { client, value } of clients) {
            assert.deepEqual(await (await client.fetch('/get')).json(), { value, list: [value, 1, true] });
          }
        });

        it('answers 503 ERR_STORE_TIMEOUT within the bound while the server is frozen, then recovers', async () => {
          await server.pause();
          try {
            const reads = clients.slice(0, 10).map(({ client }) => timed(client, '/get'));
            const writes = Array.from({ length: 5 }, () => timed(new Client(app.url), '/put/x', 'PUT'));
            const results = await Promise.all([...reads, ...writes]);
            // After five timeouts the circuit breaker opens and refuses the rest at once.
            const worst = assertRefused(results, ['ERR_STORE_TIMEOUT', 'ERR_STORE_UNAVAILABLE']);
            // Requests that need no store read or write keep working.
            assert.equal((await timed(new Client(app.url), '/anonymous')).status, 200);
            assert.equal((await timed(new Client(app.url), '/public')).status, 200);
            figures.push(`${target.label}: frozen, worst 503 in ${Math.round(worst)} ms`);
            const lenient = await assertCarriesOn(lenientApp.url, clients);
            figures.push(
              `${target.label}: frozen, onStoreError 'continue' worst 200 in ${Math.round(lenient)} ms`,
            );
          } finally {
            server.resume();
          }
          const recovered = await recoveryTime((clients[0] as { client: Client }).client);
          figures.push(`${target.label}: recovered from the freeze in ${Math.round(recovered)} ms`);
          assert.ok(storeErrors.some((e) => e.code === 'ERR_STORE_TIMEOUT' && e.status === 503));
        });

        it('answers 503 within the bound while the server is down, recovers by itself when it returns', async () => {
          await server.stop();
          let restarted = false;
          try {
            // A stream of requests over two seconds of outage: every one answered, none hangs.
            const until = Date.now() + 2000;
            const results: Timed[] = [];
            while (Date.now() < until) {
              const batch = await Promise.all([
                ...clients.slice(0, 5).map(({ client }) => timed(client, '/get')),
                timed(new Client(app.url), '/put/y', 'PUT'),
              ]);
              results.push(...batch);
            }
            const worst = assertRefused(results, ['ERR_STORE', 'ERR_STORE_TIMEOUT', 'ERR_STORE_UNAVAILABLE']);
            assert.equal((await timed(new Client(app.url), '/anonymous')).status, 200);
            const lenient = await assertCarriesOn(lenientApp.url, clients);
            figures.push(
              `${target.label}: down, onStoreError 'continue' worst 200 in ${Math.round(lenient)} ms`,
            );
            figures.push(
              `${target.label}: down, ${results.length} requests, worst 503 in ${Math.round(worst)} ms, codes ${[
                ...new Set(results.map((r) => r.code)),
              ].join('/')}`,
            );
            await server.start();
            restarted = true;
          } finally {
            if (!restarted) await server.start();
          }
          const recovered = await recoveryTime((clients[0] as { client: Client }).client);
          figures.push(`${target.label}: recovered from the restart in ${Math.round(recovered)} ms`);
          assert.ok(storeErrors.every((e) => e.status === 503 && e.code.startsWith('ERR_STORE')));
          assert.ok(lenientErrors.length > 0, 'carrying on is still reported as storeError');
        });

        it('still has every session written before the outage, and takes new ones', async () => {
          for (const { client, value } of clients) {
            const response = await client.fetch('/get', { signal: AbortSignal.timeout(10_000) });
            assert.equal(response.status, 200);
            assert.deepEqual(await response.json(), { value, list: [value, 1, true] });
          }
          const fresh = new Client(app.url);
          assert.equal((await timed(fresh, '/put/after', 'PUT')).status, 200);
          assert.deepEqual(await (await fresh.fetch('/get')).json(), {
            value: 'after',
            list: ['after', 1, true],
          });
        });
      });
    }
  });
}

after(() => {
  if (figures.length > 0) console.log(`# outage figures\n${figures.map((line) => `#   ${line}`).join('\n')}`);
});
