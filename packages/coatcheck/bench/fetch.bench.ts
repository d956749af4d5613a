// Requests per second and server CPU of a read-only and a writing route on an existing session, for
// Fetch API handlers: coatcheck/fetch's fetchCookieSessions() against iron-session, both sealing the
// session into the cookie, with fetchSessions() on coatcheck's MemoryStore and a bare handler for
// scale. Servers run in child processes, on compiled code, taking turns round after round.
//   npm run build && node --import tsx packages/coatcheck/bench/fetch.bench.ts
import { printRatios, readWriteRows, takeTurns } from '../../../scripts/lib/bench.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 4);
const KINDS = ['bare', 'iron-session', 'coatcheck-cookie', 'coatcheck'] as const;
const ROUTES = ['read', 'write'] as const;

const med = await takeTurns(new URL('./fetch-server.ts', import.meta.url), KINDS, ROUTES, ROUNDS, SECONDS);
console.log(`Fetch API handlers on node:http, ${ROUNDS} rounds × ${SECONDS} s per route, 10 connections`);
console.table(readWriteRows(KINDS, med));
printRatios(med, ROUTES, [['coatcheck-cookie', 'iron-session', 'in the cookie']]);
console.log('target: fetchCookieSessions ahead of iron-session on both routes');
