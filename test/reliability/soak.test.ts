/**
 * Load and soak (issue 7, item 2): sessions created and read back over HTTP against each store.
 * The process's heap must stay flat (MemoryStore holds at its bound), no file descriptor or store
 * connection may leak, and expired sessions must be pruned.
 *
 * `SOAK_SESSIONS` sets the number of sessions per store: a CI size by default, 100 000 for the
 * long run (`npm run test:soak`). The heap is compared after forced full collections between the
 * end of the first half and the end of the run, so what a leak adds per session shows.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { MongoDBStore } from '@coatcheck/mongodb';
import type { MySQLStore } from '@coatcheck/mysql';
import type { PostgresStore } from '@coatcheck/postgres';
import type { SQLiteStore } from '@coatcheck/sqlite';
import session, { MemoryStore, type SessionStore } from 'coatcheck';
import express from 'express';
import { listen } from '../../packages/coatcheck/test/helpers/http.js';
import { connectionsTo, mib, openFds, settledHeap } from '../helpers/process.js';
import { type PrivateServer, privateServerSkipReason, startPrivateServer } from '../helpers/servers.js';
import { SERVICES } from '../helpers/services.js';
import { storeTargets } from '../helpers/stores.js';

const SECRET = 'soak tests: a secret of at least thirty-two bytes long';
const SESSIONS = Number(process.env.SOAK_SESSIONS ?? 5000);
const CONCURRENCY = 16;
/** Sessions made with a one-second idle timeout, to be pruned. */
const SHORT_LIVED = 200;
/** What the heap may grow over the second half: 2 MiB of noise plus 256 bytes a session. */
const heapAllowance = (sessions: number) => 2 * 1024 * 1024 + 256 * sessions;
const figures: string[] = [];

assert.ok(Number.isInteger(SESSIONS) && SESSIONS >= 100, 'SOAK_SESSIONS must be an integer ≥ 100');

/** What the soak checks of each store, beyond opening it. */
interface Limits {
  name: string;
  /** The server port, to count connections to it (read when the store runs: the MongoDB one is started for this file). */
  port?: () => number | undefined;
  /** The most connections the store may hold. */
  maxConnections?: number;
  /** Most sessions the store may hold (MemoryStore's bound). */
  bound?: number;
  /** Deletes expired sessions now; stores with TTLs (Redis) drop them themselves. */
  prune(store: SessionStore): Promise<unknown>;
  /** Sessions held, expired or not, where `count()` (live ones only) cannot tell a prune happened. */
  held?(store: SessionStore): Promise<number>;
}

// The MongoDB soak runs on a FerretDB of its own. Its 16 clients keep a FerretDB busy for minutes,
// and on the one scripts/test.mjs starts for the whole run they queued the MongoDB tests of the
// files running beside it (TEST_CONCURRENCY) past their 5 s store timeout.
let ownFerretDB: PrivateServer | undefined;
before(async () => {
  if (!process.env.MONGODB_URI || privateServerSkipReason('mongodb')) return;
  ownFerretDB = await startPrivateServer('mongodb');
  process.env.MONGODB_URI = ownFerretDB.url;
});
after(() => ownFerretDB?.close());

const POOL_SIZE = 10;
const memoryBound = Math.max(100, Math.floor(SESSIONS / 4));
// Pruning is the test's to call, so the stores' own timers are off.
const STORES = storeTargets('soak', { poolSize: POOL_SIZE, pruneInterval: 0, memoryMax: memoryBound });
const LIMITS: Record<string, Limits> = {
  MemoryStore: {
    name: `MemoryStore (max ${memoryBound})`,
    bound: memoryBound,
    prune: async (store) => (store as MemoryStore).prune(),
  },
  SQLiteStore: { name: 'SQLiteStore (file)', prune: async (store) => (store as SQLiteStore).prune() },
  // Redis expires keys itself.
  RedisStore: {
    name: 'RedisStore (node-redis)',
    port: () => SERVICES.redis.port,
    maxConnections: 1,
    prune: async () => undefined,
  },
  PostgresStore: {
    name: `PostgresStore (pool of ${POOL_SIZE})`,
    port: () => SERVICES.postgres.port,
    maxConnections: POOL_SIZE,
    prune: (store) => (store as PostgresStore).prune(),
  },
  // FerretDB v1 has no TTL indexes: the store prunes (on MongoDB the TTL monitor would, each minute).
  'MongoDBStore (FerretDB)': {
    name: `MongoDBStore on FerretDB (pool of ${POOL_SIZE})`,
    port: () => (process.env.MONGODB_URI ? Number(new URL(process.env.MONGODB_URI).port) : undefined),
    // The pool, plus the driver's server monitor (and its round-trip timer, where it streams).
    maxConnections: POOL_SIZE + 2,
    prune: (store) => (store as MongoDBStore).prune(),
    held: (store) => (store as MongoDBStore).collection.countDocuments({}),
  },
  'MySQLStore (MariaDB)': {
    name: `MySQLStore on MariaDB (pool of ${POOL_SIZE})`,
    port: () => SERVICES.mysql.port,
    maxConnections: POOL_SIZE,
    prune: (store) => (store as MySQLStore).prune(),
  },
};
const TARGETS = STORES.map((target) => ({ ...target, ...(LIMITS[target.name] as Limits) }));

/** An app with one long-lived and one short-lived session middleware on the same store. */
async function soakApp(store: SessionStore, leak?: unknown[]) {
  const app = express();
  if (leak) {
    // The control: an app that keeps every request, the commonest leak in Express code.
    app.use((req, _res, next) => {
      leak.push(req);
      next();
    });
  }
  // The soak looks for leaks, not latency: on the loaded 2-core machine one FerretDB write of 5,000
  // once took longer than the 5 s default storeTimeout, and the 503 failed the run. The outage and
  // breaker tests hold the default.
  const storeTimeout = 30_000;
  const long = session({ secret: SECRET, store, idleTimeout: 10 * 60_000, storeTimeout });
  const short = session({ secret: SECRET, store, idleTimeout: 1000, name: 'short.sid', storeTimeout });
  app.use('/short', short);
  app.put('/short/put/:value', (req, res) => {
    (req.session as unknown as Record<string, unknown>).value = req.params.value;
    res.send('ok');
  });
  app.use(long);
  app.put('/put/:value', (req, res) => {
    (req.session as unknown as Record<string, unknown>).value = req.params.value;
    res.send('ok');
  });
  app.get('/get', (req, res) => {
    res.send(String((req.session as unknown as Record<string, unknown>).value));
  });
  app.use((err: { status?: number; code?: string }, _req: unknown, res: express.Response, _next: unknown) => {
    res.status(err.status ?? 500).send(err.code ?? 'error');
  });
  const server = await listen(app);
  server.server.keepAliveTimeout = 5000;
  return server;
}

/** Creates a session with a value and reads it back, over HTTP. */
async function oneSession(base: string, index: number, prefix = ''): Promise<void> {
  const value = `s${index}`;
  const created = await fetch(`${base}${prefix}/put/${value}`, { method: 'PUT' });
  assert.equal(created.status, 200, await created.text());
  const cookie = created.headers.get('set-cookie')?.split(';')[0];
  assert.ok(cookie, 'a new session sets its cookie');
  if (prefix) return;
  const read = await fetch(`${base}/get`, { headers: { cookie } });
  assert.equal(await read.text(), value);
}

/** Runs sessions `from` … `to - 1` with a fixed number of requests in flight. */
async function run(base: string, from: number, to: number, prefix = ''): Promise<void> {
  let next = from;
  const worker = async () => {
    while (next < to) await oneSession(base, next++, prefix);
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
}

/** Heap growth over the second half of a run on `store`, as the soak measures it. */
async function secondHalfGrowth(store: SessionStore, sessions: number, leak?: unknown[]): Promise<number> {
  const app = await soakApp(store, leak);
  try {
    const half = Math.floor(sessions / 2);
    await run(app.url, 0, half);
    const before = await settledHeap();
    await run(app.url, half, sessions);
    return (await settledHeap()) - before;
  } finally {
    await app.close();
  }
}

describe(`soak: ${SESSIONS} sessions over HTTP per store`, () => {
  it('control: the heap check catches an app that keeps every request', async () => {
    const sessions = 600;
    const leak: unknown[] = [];
    const store = new MemoryStore({ max: 100, pruneInterval: 0 });
    const growth = await secondHalfGrowth(store, sessions, leak);
    leak.length = 0;
    figures.push(`control (leaking app): heap +${mib(growth)} over ${sessions / 2} sessions`);
    assert.ok(growth > heapAllowance(sessions / 2), `a leaking app grew only ${mib(growth)}`);
  });

  for (const target of TARGETS) {
    it(target.name, async (t) => {
      const skip = await target.skip();
      if (skip) {
        t.skip(skip);
        return;
      }
      const fdsAtStart = openFds();
      const { store, release } = await target.open();
      const app = await soakApp(store);
      let released = false;
      try {
        const started = performance.now();
        const half = Math.floor(SESSIONS / 2);
        // A warm-up tenth lets caches, pools and JIT settle before the baseline.
        const warm = Math.floor(SESSIONS / 10);
        await run(app.url, 0, warm);
        await run(app.url, warm, half);
        const heapAtHalf = await settledHeap();
        const fdsAtHalf = openFds();
        await run(app.url, half, SESSIONS);
        const heapAtEnd = await settledHeap();
        const fdsAtEnd = openFds();
        const seconds = (performance.now() - started) / 1000;

        const growth = heapAtEnd - heapAtHalf;
        assert.ok(
          growth < heapAllowance(SESSIONS - half),
          `heap grew ${mib(growth)} over ${SESSIONS - half} sessions (from ${mib(heapAtHalf)})`,
        );
        // The HTTP client's keep-alive pool may hold a few more sockets (two descriptors each, client
        // and server side) than at the half; a leak of one per session would be hundreds.
        assert.ok(
          fdsAtEnd <= fdsAtHalf + 2 * CONCURRENCY,
          `file descriptors went from ${fdsAtHalf} to ${fdsAtEnd}`,
        );
        let connections: number | undefined;
        const port = target.port?.();
        if (port !== undefined) {
          connections = connectionsTo(port);
          assert.ok(
            connections >= 1 && connections <= (target.maxConnections ?? 1),
            `${connections} connections to port ${port}`,
          );
        }

        const count = await (store.count as () => Promise<number>).call(store);
        if (target.bound !== undefined) assert.equal(count, target.bound, 'MemoryStore holds at its bound');
        else assert.equal(count, SESSIONS, 'every session is stored');

        // Expired sessions are pruned: make some that idle out after one second, let them go, prune.
        await run(app.url, 0, SHORT_LIVED, '/short');
        // The store keeps an idled-out session one more idle timeout, to report it as expired.
        await sleep(2100);
        await target.prune(store);
        const afterPrune = await (store.count as () => Promise<number>).call(store);
        // In MemoryStore the short-lived sessions took the places of the least recently used ones.
        const expected = target.bound === undefined ? SESSIONS : target.bound - SHORT_LIVED;
        assert.equal(afterPrune, expected, 'expired sessions are gone after the prune');
        if (target.held) assert.equal(await target.held(store), expected, 'the prune deleted them');

        figures.push(
          `${target.name}: ${SESSIONS} sessions (${2 * SESSIONS} requests) in ${seconds.toFixed(1)} s; ` +
            `heap ${mib(heapAtHalf)} → ${mib(heapAtEnd)} (${growth >= 0 ? '+' : ''}${mib(growth)}); ` +
            `fds ${fdsAtHalf} → ${fdsAtEnd}` +
            (connections === undefined ? '' : `; ${connections} connections`),
        );

        await app.close();
        await release();
        released = true;
        // Closing the app and the store gives back every descriptor (the HTTP client's may linger briefly).
        await sleep(100);
        assert.ok(openFds() <= fdsAtStart + CONCURRENCY, `fds: ${fdsAtStart} before, ${openFds()} after`);
      } finally {
        if (!released) {
          await app.close();
          await release();
        }
      }
    });
  }
});

after(() => {
  if (figures.length > 0) console.log(`# soak figures\n${figures.map((line) => `#   ${line}`).join('\n')}`);
});
