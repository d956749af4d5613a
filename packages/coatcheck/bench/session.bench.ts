// Requests per second of a read-only and a writing route on an existing session: coatcheck vs
// express-session, both on their MemoryStore, with a bare Express route for scale. Servers run in
// child processes, on compiled code, taking turns round after round; server CPU per request is
// reported too, as it is steadier than req/s on a busy machine.
//   npm run build && node --import tsx packages/coatcheck/bench/session.bench.ts
// BENCH_EXPRESS=4 runs the same on Express 4.
import {
  type BenchServer,
  type Measure,
  measure,
  median,
  startBenchServer,
  times,
} from '../../../scripts/lib/bench.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 4);
const KINDS = ['bare', 'express-session', 'coatcheck'] as const;
const ROUTES = ['read', 'write'] as const;
type Kind = (typeof KINDS)[number];
type Route = (typeof ROUTES)[number];

const script = new URL('./session-server.ts', import.meta.url);
const servers = new Map<Kind, BenchServer>();
for (const kind of KINDS) servers.set(kind, await startBenchServer(script, [kind], '/login'));
const results = Object.fromEntries(KINDS.map((k) => [k, { read: [], write: [] }])) as unknown as Record<
  Kind,
  Record<Route, Measure[]>
>;
try {
  for (const server of servers.values()) await measure(server, '/read', 1); // warm-up
  for (let round = 0; round < ROUNDS; round++) {
    const order = round % 2 ? [...KINDS].reverse() : KINDS;
    for (const route of ROUTES) {
      for (const kind of order)
        results[kind][route].push(await measure(servers.get(kind) as BenchServer, `/${route}`, SECONDS));
    }
  }
} finally {
  for (const server of servers.values()) server.stop();
}

const med = (kind: Kind, route: Route, field: keyof Measure) =>
  median(results[kind][route].map((m) => m[field]));
console.log(
  `session middleware on MemoryStore, Express ${process.env.BENCH_EXPRESS === '4' ? 4 : 5}, ${ROUNDS} rounds × ${SECONDS} s per route, 10 connections`,
);
console.table(
  KINDS.map((kind) => ({
    server: kind,
    'read req/s': Math.round(med(kind, 'read', 'rps')),
    'write req/s': Math.round(med(kind, 'write', 'rps')),
    'read CPU µs/req': Math.round(med(kind, 'read', 'cpu')),
    'write CPU µs/req': Math.round(med(kind, 'write', 'cpu')),
  })),
);
for (const [a, b] of [
  ['express-session', 'bare'],
  ['coatcheck', 'bare'],
  ['coatcheck', 'express-session'],
] as const) {
  const rps = (route: Route) => times(med(a, route, 'rps') / med(b, route, 'rps'));
  const cpu = (route: Route) => times(med(b, route, 'cpu') / med(a, route, 'cpu'));
  console.log(
    `${`${a} vs ${b}:`.padEnd(32)} req/s read ${rps('read')}, write ${rps('write')}; by server CPU read ${cpu('read')}, write ${cpu('write')}`,
  );
}
console.log('target: coatcheck ≥ 1.5× express-session on both routes');
