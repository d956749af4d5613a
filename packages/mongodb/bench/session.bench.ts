// Requests per second of a read-only and a writing route on one logged-in session, on one FerretDB
// (a MongoDB wire-protocol server; MongoDB itself cannot run here): coatcheck's session() +
// MongoDBStore vs express-session + connect-mongodb-session, servers in child processes taking
// turns, median of the rounds; then the MongoDB commands (round trips) each request costs, from
// the driver's command monitoring over a few sequential requests.
//   npm run build && node --import tsx packages/mongodb/bench/session.bench.ts
import { type BenchServer, measure, median, startBenchServer, times } from '../../../scripts/lib/bench.js';
import { ferretdbVersion, startFerretDB } from '../../../tools/ferretdb/ferretdb.mjs';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const DURATION = Number(process.env.BENCH_SECONDS ?? 3);
const COUNTED_REQUESTS = 50;
const KINDS = ['express-session', 'coatcheck'] as const;
const ROUTES = ['read', 'write'] as const;
type Kind = (typeof KINDS)[number];
type Route = (typeof ROUTES)[number];

const ferretdb = process.env.MONGODB_URI ? undefined : await startFerretDB();
const uri = process.env.MONGODB_URI ?? (ferretdb?.uri as string);

type Server = BenchServer & { kind: Kind };
async function startServer(kind: Kind): Promise<Server> {
  const server = await startBenchServer(
    new URL('./server.ts', import.meta.url),
    [kind, uri, `bench_${kind.replace('-', '_')}`],
    '/login',
  );
  return Object.assign(server, { kind });
}

async function commandsOf(server: Server): Promise<number> {
  return ((await (await fetch(`${server.url}/__commands`)).json()) as { commands: number }).commands;
}

/** MongoDB commands per request of `route`. */
async function commandsPerRequest(server: Server, route: Route): Promise<string> {
  const before = await commandsOf(server);
  for (let i = 0; i < COUNTED_REQUESTS; i++) {
    await (await fetch(`${server.url}/${route}`, { headers: { cookie: server.cookie } })).text();
  }
  await new Promise((resolve) => setTimeout(resolve, 200));
  return (((await commandsOf(server)) - before) / COUNTED_REQUESTS).toFixed(2);
}

const servers = await Promise.all(KINDS.map(startServer));
const results = Object.fromEntries(
  KINDS.map((k) => [k, { read: [] as number[], write: [] as number[] }]),
) as Record<Kind, Record<Route, number[]>>;
try {
  for (const server of servers) await measure(server, '/read', 1); // warm-up
  for (let round = 0; round < ROUNDS; round++) {
    const order = round % 2 ? [...servers].reverse() : servers;
    for (const route of ROUTES) {
      for (const server of order) {
        results[server.kind][route].push((await measure(server, `/${route}`, DURATION)).rps);
      }
    }
  }
  const commands: Record<string, Record<Route, string>> = {};
  for (const server of servers) {
    commands[server.kind] = {
      read: await commandsPerRequest(server, 'read'),
      write: await commandsPerRequest(server, 'write'),
    };
  }
  console.log(
    `MongoDB session stores on FerretDB ${ferretdbVersion()} (SQLite handler), not MongoDB; ` +
      `${ROUNDS} rounds × ${DURATION} s per route, 10 connections, one session`,
  );
  console.table(
    KINDS.map((kind) => ({
      server:
        kind === 'coatcheck'
          ? 'coatcheck session() + MongoDBStore'
          : 'express-session + connect-mongodb-session',
      'read req/s': Math.round(median(results[kind].read)),
      'write req/s': Math.round(median(results[kind].write)),
    })),
  );
  for (const route of ROUTES) {
    const ratio = median(results.coatcheck[route]) / median(results['express-session'][route]);
    console.log(`${route}: coatcheck ${times(ratio)} express-session + connect-mongodb-session`);
  }
  console.log('MongoDB commands sent per request (round trips):');
  for (const kind of KINDS) {
    console.log(`  ${kind}: read ${commands[kind]?.read}; write ${commands[kind]?.write}`);
  }
} finally {
  for (const server of servers) server.stop();
  await ferretdb?.stop();
}
