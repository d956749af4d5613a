// Requests per second of a read-only and a writing route on one logged-in session, over one
// PostgreSQL: coatcheck's session() + PostgresStore vs express-session + connect-pg-simple, servers
// in child processes on compiled code, taking turns; then the queries each request costs.
//   npm run build && node --import tsx packages/postgres/bench/session.bench.ts
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import {
  type BenchServer,
  type Measure,
  measure,
  median,
  startBenchServer,
  times,
} from '../../../scripts/lib/bench.js';

const URL_ = process.env.POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 3);
const COUNTED = 50;
const KINDS = ['express-session', 'coatcheck'] as const;
const ROUTES = ['read', 'write'] as const;
type Kind = (typeof KINDS)[number];
type Route = (typeof ROUTES)[number];

const suffix = randomBytes(4).toString('hex');
const tableOf = (kind: Kind) => `bench_${kind === 'coatcheck' ? 'coatcheck' : 'pgsimple'}_${suffix}`;
const script = new URL('./server.ts', import.meta.url);
const servers = new Map<Kind, BenchServer>();
for (const kind of KINDS)
  servers.set(kind, await startBenchServer(script, [kind, URL_, tableOf(kind)], '/login'));
const results = Object.fromEntries(KINDS.map((k) => [k, { read: [], write: [] }])) as unknown as Record<
  Kind,
  Record<Route, Measure[]>
>;

async function queriesPerRequest(server: BenchServer, route: Route): Promise<number> {
  const count = async () =>
    ((await (await fetch(`${server.url}/__queries`)).json()) as { queries: number }).queries;
  const before = await count();
  for (let i = 0; i < COUNTED; i++)
    await (await fetch(`${server.url}/${route}`, { headers: { cookie: server.cookie } })).text();
  return ((await count()) - before) / COUNTED;
}

const queries = {} as Record<Kind, Record<Route, number>>;
try {
  for (const server of servers.values()) await measure(server, '/read', 1);
  for (let round = 0; round < ROUNDS; round++) {
    const order = round % 2 ? [...KINDS].reverse() : KINDS;
    for (const route of ROUTES) {
      for (const kind of order)
        results[kind][route].push(await measure(servers.get(kind) as BenchServer, `/${route}`, SECONDS));
    }
  }
  for (const kind of KINDS) {
    const server = servers.get(kind) as BenchServer;
    queries[kind] = {
      read: await queriesPerRequest(server, 'read'),
      write: await queriesPerRequest(server, 'write'),
    };
  }
} finally {
  for (const server of servers.values()) server.stop();
  const client = new pg.Client({ connectionString: URL_ });
  await client.connect();
  for (const kind of KINDS) await client.query(`DROP TABLE IF EXISTS ${tableOf(kind)}`);
  await client.end();
}

const med = (kind: Kind, route: Route, field: keyof Measure) =>
  median(results[kind][route].map((m) => m[field]));
console.log(
  `PostgreSQL session stores, ${ROUNDS} rounds × ${SECONDS} s per route, 10 connections, one session`,
);
console.table(
  KINDS.map((kind) => ({
    server:
      kind === 'coatcheck' ? 'coatcheck session() + PostgresStore' : 'express-session + connect-pg-simple',
    'read req/s': Math.round(med(kind, 'read', 'rps')),
    'write req/s': Math.round(med(kind, 'write', 'rps')),
    'read queries/req': queries[kind].read,
    'write queries/req': queries[kind].write,
  })),
);
for (const route of ROUTES) {
  const rps = times(med('coatcheck', route, 'rps') / med('express-session', route, 'rps'));
  const cpu = times(med('express-session', route, 'cpu') / med('coatcheck', route, 'cpu'));
  console.log(
    `${route}: coatcheck ${rps} express-session + connect-pg-simple by req/s, ${cpu} by server CPU per request`,
  );
}
