// Does settleShapes (lib/shape.ts) still pay on this Node version? The same coatcheck session()
// server on Express, with and without it (`settleShapes: false`), on the read and write routes of
// an existing session; servers in child processes on compiled code, taking turns round after round.
// Server CPU per request is the steadier figure on a busy machine.
//   npm run bench -- shape        (BENCH_EXPRESS=4 for Express 4)
import { takeTurns, times } from '../../../scripts/lib/bench.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 4);
const KINDS = ['coatcheck', 'coatcheck-unsettled'] as const;
const ROUTES = ['read', 'write'] as const;
type Route = (typeof ROUTES)[number];

const med = await takeTurns(new URL('./session-server.ts', import.meta.url), KINDS, ROUTES, ROUNDS, SECONDS);
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
