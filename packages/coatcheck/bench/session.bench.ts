// Requests per second of a read-only and a writing route on an existing session: coatcheck vs
// express-session, both on their MemoryStore, with a bare Express route for scale. Servers run in
// child processes, on compiled code, taking turns round after round; server CPU per request is
// reported too, as it is steadier than req/s on a busy machine.
//   npm run build && node --import tsx packages/coatcheck/bench/session.bench.ts
// BENCH_EXPRESS=4 runs the same on Express 4.
import { readWriteRows, takeTurns, times } from '../../../scripts/lib/bench.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 4);
const KINDS = ['bare', 'express-session', 'coatcheck'] as const;
const ROUTES = ['read', 'write'] as const;
type Route = (typeof ROUTES)[number];

const med = await takeTurns(new URL('./session-server.ts', import.meta.url), KINDS, ROUTES, ROUNDS, SECONDS);
console.log(
  `session middleware on MemoryStore, Express ${process.env.BENCH_EXPRESS === '4' ? 4 : 5}, ${ROUNDS} rounds × ${SECONDS} s per route, 10 connections`,
);
console.table(readWriteRows(KINDS, med));
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
