// Requests per second and server CPU of a read-only and a writing route on an existing session:
// @coatcheck/fastify vs @fastify/session (+ @fastify/cookie), each on its default in-memory store,
// and its cookieSession vs @fastify/secure-session, each keeping the session in the cookie, with a
// bare Fastify route for scale. Servers run in child processes, on compiled code, taking
// turns round after round.
//   npm run build && node --import tsx packages/fastify/bench/session.bench.ts
import { printRatios, readWriteRows, takeTurns } from '../../../scripts/lib/bench.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 4);
const KINDS = ['bare', 'fastify-session', 'coatcheck', 'secure-session', 'coatcheck-cookie'] as const;
const ROUTES = ['read', 'write'] as const;

const med = await takeTurns(new URL('./server.ts', import.meta.url), KINDS, ROUTES, ROUNDS, SECONDS);
console.log(`Fastify 5 session plugins, ${ROUNDS} rounds × ${SECONDS} s per route, 10 connections`);
console.table(readWriteRows(KINDS, med));
printRatios(med, ROUTES, [
  ['coatcheck', 'fastify-session', 'in memory on the server'],
  ['coatcheck-cookie', 'secure-session', 'in the cookie'],
]);
console.log('target: ahead of @fastify/session and @fastify/secure-session on both routes');
