// Requests per second and server CPU of a read-only and a writing route on an existing session:
// @coatcheck/fastify vs @fastify/session (+ @fastify/cookie), each on its default in-memory store,
// with a bare Fastify route for scale. Servers run in child processes, on compiled code, taking
// turns round after round.
//   npm run build && node --import tsx packages/fastify/bench/session.bench.ts
import { readWriteRows, takeTurns, times } from '../../../scripts/lib/bench.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 4);
const KINDS = ['bare', 'fastify-session', 'coatcheck'] as const;
const ROUTES = ['read', 'write'] as const;

const med = await takeTurns(new URL('./server.ts', import.meta.url), KINDS, ROUTES, ROUNDS, SECONDS);
console.log(
  `Fastify 5 session plugins on their in-memory stores, ${ROUNDS} rounds × ${SECONDS} s per route, 10 connections`,
);
console.table(readWriteRows(KINDS, med));
for (const route of ROUTES) {
  console.log(
    `${route}: coatcheck ${times(med('coatcheck', route, 'rps') / med('fastify-session', route, 'rps'))} @fastify/session by req/s, ${times(med('fastify-session', route, 'cpu') / med('coatcheck', route, 'cpu'))} by server CPU per request`,
  );
}
console.log('target: ahead of @fastify/session on both routes');
