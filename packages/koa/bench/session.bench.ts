// Requests per second and server CPU of a read-only and a writing route on an existing session:
// @coatcheck/koa against koa-session, each way they keep sessions: in the cookie (coatcheck's
// cookieSession() vs koa-session's signed cookie) and on the server (coatcheck's session() on its
// MemoryStore vs koa-session with a Map as its external store). A bare Koa route for scale.
// Servers run in child processes, on compiled code, taking turns round after round.
//   npm run build && node --import tsx packages/koa/bench/session.bench.ts
import { printRatios, readWriteRows, takeTurns } from '../../../scripts/lib/bench.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 4);
const KINDS = ['bare', 'koa-session', 'coatcheck-cookie', 'koa-session-store', 'coatcheck'] as const;
const ROUTES = ['read', 'write'] as const;

const med = await takeTurns(new URL('./server.ts', import.meta.url), KINDS, ROUTES, ROUNDS, SECONDS);
console.log(`Koa 3 sessions, ${ROUNDS} rounds × ${SECONDS} s per route, 10 connections`);
console.table(readWriteRows(KINDS, med));
printRatios(med, ROUTES, [
  ['coatcheck-cookie', 'koa-session', 'in the cookie'],
  ['coatcheck', 'koa-session-store', 'in memory on the server'],
]);
console.log('target: ahead of koa-session on both routes, both ways');
