// Does settleShapes (lib/shape.ts) still pay on this Node version? The same coatcheck session()
// server on Express, with and without it (`settleShapes: false`), on the read and write routes of
// an existing session; servers in child processes on compiled code, taking turns round after round.
// Server CPU per request is the steadier figure on a busy machine.
//   npm run bench -- shape        (BENCH_EXPRESS=4 for Express 4)
import {
  type BenchServer,
  type Measure,
  measure,
  median,
  startBenchServer,
  times,
} from '../../../scripts/lib/bench.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 4);
const KINDS = ['coatcheck', 'coatcheck-unsettled'] as const;
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
  `settleShapes on ${process.version}, Express ${process.env.BENCH_EXPRESS === '4' ? 4 : 5}, MemoryStore, ${ROUNDS} rounds × ${SECONDS} s per route`,
);
console.table(
  KINDS.map((kind) => ({
    server: kind === 'coatcheck' ? 'settleShapes: true (default)' : 'settleShapes: false',
    'read req/s': Math.round(med(kind, 'read', 'rps')),
    'write req/s': Math.round(med(kind, 'write', 'rps')),
    'read CPU µs/req': Math.round(med(kind, 'read', 'cpu')),
    'write CPU µs/req': Math.round(med(kind, 'write', 'cpu')),
  })),
);
const cpu = (route: Route) =>
  times(med('coatcheck-unsettled', route, 'cpu') / med('coatcheck', route, 'cpu'));
console.log(
  `server CPU per request without / with settleShapes: read ${cpu('read')}, write ${cpu('write')} (above 1× means it pays)`,
);
