/**
 * Failing fast under a store outage, with default options (issue 11, item 17): `storeTimeout`
 * 5 s, the default circuit breaker (5 consecutive failures, a probe every 250 ms). Each store runs
 * against a private server this file starts on a free port, which the tests kill (connections
 * refused) and freeze (SIGSTOP), then bring back. What must hold:
 *
 * - killed: the first request after the kill gets its 503 (a typed `StoreError`) within 1 s, and so
 *   does every request while the server is down — none waits out the 5 s `storeTimeout`;
 * - frozen: after the first requests time out, the circuit opens and the rest get 503 at once;
 * - back: sessions are served again within 1 s of the server answering, by itself;
 * - nothing lost: every session written before the outage reads back intact.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
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

const SECRET = 'breaker tests: a secret of at least thirty-two bytes';
/** The targets of the issue: a 503 within this of a refused connection, recovery within this of the return. */
const TARGET = 1000;
const SESSIONS = 10;

type ClosableStore = SessionStore & { close(): Promise<void> };

interface Target {
  label: string;
  kind: ServerKind;
  open(url: string): Promise<ClosableStore>;
}

const TARGETS: Target[] = [
  { label: 'Redis (node-redis, via fromUrl)', kind: 'redis', open: (url) => redisFromUrl(url) },
  {
    label: 'Redis (ioredis client, reconnecting every ≤ 200 ms)',
    kind: 'redis',
    async open(url) {
      // ioredis backs off to 2 s between reconnects by default, and re-checks a server still
      // loading its append-only file once a second (a reconnect during the restart sees it
      // loading: recovery took 1,477 ms in a CI run); sessions come back no sooner than those.
      const client = new Redis(url, {
        retryStrategy: (times) => Math.min(times * 50, 200),
        maxLoadingRetryTime: 200,
      });
      client.on('error', () => {});
      const store = new RedisStore({ client, prefix: 'breaker-ioredis:' });
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
];

const figures: string[] = [];

interface Timed {
  status: number;
  code: string | undefined;
  typed: boolean;
  ms: number;
}

async function timed(client: Client, path: string, method = 'GET'): Promise<Timed> {
  const started = performance.now();
  const response = await client.fetch(path, { method, signal: AbortSignal.timeout(15_000) });
  const text = await response.text();
  let code: string | undefined;
  let typed = false;
  try {
    ({ code, typed = false } = JSON.parse(text) as { code?: string; typed?: boolean });
  } catch {}
  return { status: response.status, code, typed, ms: performance.now() - started };
}

function app(middleware: ReturnType<typeof session>): express.Express {
  const application = express();
  application.use(middleware);
  application.put('/put/:value', (req, res) => {
    (req.session as unknown as Record<string, unknown>).value = req.params.value;
    res.send('ok');
  });
  application.get('/get', (req, res) => {
    res.json({ value: (req.session as unknown as Record<string, unknown>).value ?? null });
  });
  application.use(
    (err: { code?: string; status?: number }, _req: unknown, res: express.Response, _next: unknown) => {
      res.status(err.status ?? 500).json({ code: err.code ?? 'unknown', typed: err instanceof StoreError });
    },
  );
  return application;
}

/** Polls until a request with a session succeeds; ms from `since`. */
async function recovered(client: Client, since: number): Promise<number> {
  for (;;) {
    const result = await timed(client, '/get');
    if (result.status === 200) return performance.now() - since;
    assert.equal(result.status, 503, 'while recovering, a request either succeeds or gets 503');
    assert.ok(performance.now() - since < 15_000, 'the app did not recover');
    await sleep(20);
  }
}

const skips = new Map<ServerKind, string | false>(
  (['redis', 'postgres', 'mysql'] as const).map((kind) => [kind, privateServerSkipReason(kind)]),
);

for (const kind of ['redis', 'postgres', 'mysql'] as const) {
  describe(`fail fast on a private ${kind} server, default options`, {
    skip: skips.get(kind) ?? false,
  }, () => {
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
        let http: TestServer;
        const clients: Array<{ client: Client; value: string }> = [];

        before(async () => {
          store = await target.open(server.url);
          http = await listen(app(session({ secret: SECRET, store })));
          for (let i = 0; i < SESSIONS; i++) {
            const client = new Client(http.url);
            const value = `v${i}-${randomBytes(6).toString('hex')}`;
            assert.equal((await timed(client, `/put/${value}`, 'PUT')).status, 200);
            clients.push({ client, value });
          }
        });
        after(async () => {
          await http?.close();
          await store?.close();
        });

        it('killed: 503 within 1 s of the refused connection, on every request; back within 1 s', async () => {
          const killed = performance.now();
          await server.stop();
          let restarted = false;
          try {
            const first = await timed((clients[0] as { client: Client }).client, '/get');
            const firstMs = performance.now() - killed;
            assert.equal(first.status, 503);
            assert.ok(first.typed, 'a StoreError reaches the error handler');
            // A stream of requests over two seconds of outage, five at a time.
            const results: Timed[] = [first];
            const until = Date.now() + 2000;
            while (Date.now() < until) {
              results.push(
                ...(await Promise.all(clients.slice(0, 5).map(({ client }) => timed(client, '/get')))),
              );
            }
            for (const result of results) {
              assert.equal(result.status, 503, `got ${result.status} (${result.code})`);
              assert.ok(result.typed);
            }
            const worst = Math.max(...results.map((r) => r.ms));
            figures.push(
              `${target.label}: killed, first 503 ${Math.round(firstMs)} ms after the kill, worst of ${results.length} requests ${Math.round(worst)} ms, codes ${[...new Set(results.map((r) => r.code))].join('/')}`,
            );
            assert.ok(firstMs < TARGET, `the first 503 came ${Math.round(firstMs)} ms after the kill`);
            assert.ok(worst < TARGET, `a request took ${Math.round(worst)} ms while the server was down`);
            await server.start();
            restarted = true;
          } finally {
            if (!restarted) await server.start();
          }
          const back = performance.now();
          const ms = await recovered((clients[0] as { client: Client }).client, back);
          figures.push(
            `${target.label}: killed, sessions served again ${Math.round(ms)} ms after the server answered`,
          );
          assert.ok(ms < TARGET, `recovered ${Math.round(ms)} ms after the server returned`);
        });

        it('frozen: once the first requests time out the circuit opens and the rest get 503 at once; back within 1 s', async () => {
          await server.pause();
          let resumed = false;
          try {
            // The first wave waits out storeTimeout (5 s): a frozen server looks like a slow one.
            const firstWave = await Promise.all(
              clients.slice(0, 5).map(({ client }) => timed(client, '/get')),
            );
            for (const result of firstWave) assert.equal(result.code, 'ERR_STORE_TIMEOUT');
            const later: Timed[] = [];
            for (let i = 0; i < 10; i++)
              later.push(await timed((clients[5 + (i % 5)] as { client: Client }).client, '/get'));
            for (const result of later) assert.equal(result.status, 503);
            const fast = later.filter((r) => r.code === 'ERR_STORE_UNAVAILABLE');
            const worst = Math.max(...fast.map((r) => r.ms));
            figures.push(
              `${target.label}: frozen, first wave ${Math.round(Math.max(...firstWave.map((r) => r.ms)))} ms (storeTimeout), then ${fast.length} of ${later.length} refused by the open circuit in ≤ ${Math.round(worst)} ms, probes ≤ ${Math.round(Math.max(...later.map((r) => r.ms)))} ms`,
            );
            assert.ok(fast.length >= 5, 'the open circuit refuses requests without waiting');
            // The code already shows the store was never asked; the time is one HTTP round trip, which a
            // loaded 2-core machine has stretched to 138 ms. 500 ms is still a tenth of storeTimeout.
            assert.ok(worst < 500, `a refused request took ${Math.round(worst)} ms`);
            assert.ok(
              later.every((r) => r.ms < TARGET),
              'a probe waits less than 1 s',
            );
            server.resume();
            resumed = true;
          } finally {
            if (!resumed) server.resume();
          }
          const ms = await recovered((clients[0] as { client: Client }).client, performance.now());
          figures.push(
            `${target.label}: frozen, sessions served again ${Math.round(ms)} ms after the server resumed`,
          );
          assert.ok(ms < TARGET, `recovered ${Math.round(ms)} ms after the server resumed`);
        });

        it('lost nothing: every session written before the outages reads back', async () => {
          for (const { client, value } of clients) {
            const response = await client.fetch('/get', { signal: AbortSignal.timeout(10_000) });
            assert.equal(response.status, 200);
            assert.deepEqual(await response.json(), { value });
          }
        });
      });
    }
  });
}

after(() => {
  if (figures.length > 0)
    console.log(`# breaker figures\n${figures.map((line) => `#   ${line}`).join('\n')}`);
});
