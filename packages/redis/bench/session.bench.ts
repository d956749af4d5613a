// Requests per second of a read-only and a writing route on one logged-in session, over one Redis:
// coatcheck's session() + RedisStore vs express-session + connect-redis, servers in child processes
// taking turns, median of the rounds. Then the Redis commands each request costs, counted with
// MONITOR on a second connection over a few sequential requests (not during the timed runs:
// MONITOR slows Redis down).
//   npm run build && node --import tsx packages/redis/bench/session.bench.ts
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { type BenchServer, measure, median, startBenchServer, times } from '../../../scripts/lib/bench.js';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const DURATION = Number(process.env.BENCH_SECONDS ?? 3);
const COUNTED_REQUESTS = 50;
const KINDS = ['express-session', 'coatcheck'] as const;
const ROUTES = ['read', 'write'] as const;
type Kind = (typeof KINDS)[number];
type Route = (typeof ROUTES)[number];

const runPrefix = `coatcheck-bench:${randomBytes(4).toString('hex')}:`;
const prefixOf = (kind: Kind) => `${runPrefix}${kind}:`;

type Server = BenchServer & { kind: Kind };
async function startServer(kind: Kind): Promise<Server> {
  const server = await startBenchServer(
    new URL('./server.ts', import.meta.url),
    [kind, REDIS_URL, prefixOf(kind)],
    '/login',
  );
  return Object.assign(server, { kind });
}

/** Redis commands per request of `route`, by command name, from MONITOR. */
async function commandsPerRequest(inspector: Redis, server: Server, route: Route): Promise<string> {
  const monitor = await inspector.monitor();
  const counts = new Map<string, number>();
  monitor.on('monitor', (_time: string, args: string[], source: string) => {
    // Commands a Lua script runs show up with source "lua": they are not round trips.
    if (source === 'lua' || !args.some((arg) => arg.startsWith(prefixOf(server.kind)))) return;
    const name = String(args[0]).toUpperCase();
    counts.set(name, (counts.get(name) ?? 0) + 1);
  });
  try {
    for (let i = 0; i < COUNTED_REQUESTS; i++) {
      await (await fetch(`${server.url}/${route}`, { headers: { cookie: server.cookie } })).text();
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  } finally {
    monitor.disconnect();
  }
  const total = [...counts.values()].reduce((a, b) => a + b, 0) / COUNTED_REQUESTS;
  const detail = [...counts].map(([name, n]) => `${name} ${(n / COUNTED_REQUESTS).toFixed(2)}`).join(', ');
  return `${total.toFixed(2)} (${detail})`;
}

const inspector = new Redis(REDIS_URL);
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
      read: await commandsPerRequest(inspector, server, 'read'),
      write: await commandsPerRequest(inspector, server, 'write'),
    };
  }

  console.log(
    `Redis session stores, ${ROUNDS} rounds × ${DURATION} s per route, 10 connections, one session`,
  );
  console.table(
    KINDS.map((kind) => ({
      server: kind === 'coatcheck' ? 'coatcheck session() + RedisStore' : 'express-session + connect-redis',
      'read req/s': Math.round(median(results[kind].read)),
      'write req/s': Math.round(median(results[kind].write)),
    })),
  );
  for (const route of ROUTES) {
    const ratio = median(results.coatcheck[route]) / median(results['express-session'][route]);
    console.log(`${route}: coatcheck ${times(ratio)} express-session + connect-redis`);
  }
  console.log('Redis commands sent per request (round trips; script-internal commands not counted):');
  for (const kind of KINDS) {
    console.log(`  ${kind}: read ${commands[kind]?.read}; write ${commands[kind]?.write}`);
  }
} finally {
  for (const server of servers) server.stop();
  const keys: string[] = [];
  let cursor = '0';
  do {
    const [next, found] = await inspector.scan(cursor, 'MATCH', `${runPrefix}*`, 'COUNT', 1000);
    cursor = next;
    keys.push(...found);
  } while (cursor !== '0');
  if (keys.length > 0) await inspector.unlink(...keys);
  inspector.disconnect();
}
