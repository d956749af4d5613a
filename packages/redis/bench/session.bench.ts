// Requests per second of a read-only and a writing route on one logged-in session, over one Redis:
// coatcheck's session() + RedisStore vs express-session + connect-redis, servers in child processes
// taking turns, median of the rounds. Then the Redis commands each request costs, counted with
// MONITOR on a second connection over a few sequential requests (not during the timed runs:
// MONITOR slows Redis down).
//   node --conditions=coatcheck-source --import tsx packages/redis/bench/session.bench.ts
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { Redis } from 'ioredis';

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

async function startServer(kind: Kind) {
  const script = fileURLToPath(new URL('./server.ts', import.meta.url));
  const child = spawn(
    process.execPath,
    ['--conditions=coatcheck-source', '--import', 'tsx', script, kind, REDIS_URL, prefixOf(kind)],
    { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, NODE_ENV: 'production' } },
  );
  const [chunk] = (await once(child.stdout, 'data')) as [Buffer];
  const url = chunk.toString().trim();
  const login = await fetch(`${url}/login`);
  await login.text();
  const cookie = login.headers.getSetCookie()[0]?.split(';')[0] ?? '';
  return { kind, url, cookie, stop: () => child.kill('SIGTERM') };
}

async function rps(url: string, cookie: string, seconds: number): Promise<number> {
  const result = await autocannon({ url, connections: 10, duration: seconds, headers: { cookie } });
  if (result.non2xx > 0 || result.errors > 0) {
    throw new Error(`${url}: ${result.non2xx} non-2xx, ${result.errors} errors`);
  }
  return result.requests.average;
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;

/** Redis commands per request of `route`, by command name, from MONITOR. */
async function commandsPerRequest(
  inspector: Redis,
  server: Awaited<ReturnType<typeof startServer>>,
  route: Route,
): Promise<string> {
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
  for (const server of servers) await rps(`${server.url}/read`, server.cookie, 1); // warm-up
  for (let round = 0; round < ROUNDS; round++) {
    const order = round % 2 ? [...servers].reverse() : servers;
    for (const route of ROUTES) {
      for (const server of order) {
        results[server.kind][route].push(await rps(`${server.url}/${route}`, server.cookie, DURATION));
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
    console.log(`${route}: coatcheck ${ratio.toFixed(2)}× express-session + connect-redis`);
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
