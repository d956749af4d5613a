// Requests per second and server CPU of a read-only and a writing route on an existing session:
// @coatcheck/hono against hono-sessions, on the server (both MemoryStores) and in the cookie
// (coatcheck's cookieSession() vs hono-sessions' CookieStore), with a bare Hono route for scale.
// Servers run in child processes, on compiled code, taking turns round after round.
//   npm run build && node --import tsx packages/hono/bench/session.bench.ts
import { printRatios, readWriteRows, takeTurns } from '../../../scripts/lib/bench.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 4);
const KINDS = ['bare', 'hono-sessions', 'coatcheck', 'hono-sessions-cookie', 'coatcheck-cookie'] as const;
const ROUTES = ['read', 'write'] as const;

const med = await takeTurns(new URL('./server.ts', import.meta.url), KINDS, ROUTES, ROUNDS, SECONDS);
console.log(`Hono sessions on @hono/node-server, ${ROUNDS} rounds × ${SECONDS} s per route, 10 connections`);
console.table(readWriteRows(KINDS, med));
printRatios(med, ROUTES, [
  ['coatcheck', 'hono-sessions', 'in memory on the server'],
  ['coatcheck-cookie', 'hono-sessions-cookie', 'in the cookie'],
]);
console.log('target: ahead of hono-sessions on both routes, both ways');
