// Shared pieces of the HTTP benchmarks: servers in child processes, autocannon runs, medians.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';

export interface BenchServer {
  url: string;
  /** The cookies of a session the server has already stored, when asked to log in (all of them). */
  cookie: string;
  /** Server CPU time so far, in microseconds (from its `/__cpu` route). */
  cpu(): Promise<number>;
  stop(): void;
}

/**
 * Starts `script` (TypeScript, through tsx) in its own process with `args`; it prints its URL on
 * stdout. Workspace packages resolve to their compiled `dist/` (no `coatcheck-source` condition),
 * as in production: run `npm run build` (or `scripts/build.mjs`) first. With `login`, GETs it once,
 * keeps every cookie it sets, and checks that `/read` then finds the session.
 */
export async function startBenchServer(script: URL, args: string[], login?: string): Promise<BenchServer> {
  const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(script), ...args], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, NODE_ENV: 'production' },
  });
  const [chunk] = (await once(child.stdout, 'data')) as [Buffer];
  const url = chunk.toString().trim();
  let cookie = '';
  if (login) {
    const response = await fetch(url + login);
    await response.text();
    // Every cookie the login set, the last value of each name, as a browser keeps them: a signed
    // cookie session (koa-session) is two cookies, its value and its signature, and without the
    // second the library serves no session at all; hono-sessions sets its cookie twice, the
    // session before the route ran and then the one it stored.
    const jar = new Map<string, string>();
    for (const line of response.headers.getSetCookie()) {
      const pair = line.split(';')[0] ?? '';
      jar.set(pair.slice(0, pair.indexOf('=')), pair);
    }
    cookie = [...jar.values()].join('; ');
    // Each server's /read answers the stored name, or 'nobody' without a session: measuring a route
    // that found no session would compare nothing. A `bare` server (no session library, for scale)
    // sets no cookie and is not checked.
    if (args[0] !== 'bare') {
      const read = await fetch(`${url}/read`, { headers: cookie ? { cookie } : {} });
      const body = await read.text();
      if (!cookie || body === 'nobody' || read.status !== 200) {
        child.kill('SIGTERM');
        throw new Error(`${args.join(' ')}: /read found no session after ${login} (${read.status} ${body})`);
      }
    }
  }
  return {
    url,
    cookie,
    cpu: async () => ((await (await fetch(`${url}/__cpu`)).json()) as { micros: number }).micros,
    stop: () => child.kill('SIGTERM'),
  };
}

export interface Measure {
  rps: number;
  /** Server CPU microseconds per request: steadier than req/s on a machine doing other work. */
  cpu: number;
}

/** Requests per second (10 connections) and server CPU per request of one route. */
export async function measure(server: BenchServer, path: string, seconds: number): Promise<Measure> {
  const before = await server.cpu();
  const result = await autocannon({
    url: server.url + path,
    connections: Number(process.env.BENCH_CONNECTIONS ?? 10),
    duration: seconds,
    headers: server.cookie ? { cookie: server.cookie } : {},
  });
  if (result.non2xx > 0 || result.errors > 0) {
    throw new Error(`${path}: ${result.non2xx} non-2xx responses, ${result.errors} errors`);
  }
  const after = await server.cpu();
  return { rps: result.requests.average, cpu: (after - before) / Math.max(1, result.requests.total) };
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

/** `x.xx×` */
export const times = (ratio: number): string => `${ratio.toFixed(2)}×`;

/**
 * Starts `script` once per kind (logged in at `/login`), warms each up, then measures every route
 * on every kind round after round, reversing the kinds' order every other round so that none always
 * runs first; stops the servers. Returns the median of one field of one kind's route.
 */
export async function takeTurns<K extends string, R extends string>(
  script: URL,
  kinds: readonly K[],
  routes: readonly R[],
  rounds: number,
  seconds: number,
): Promise<(kind: K, route: R, field: keyof Measure) => number> {
  const servers = new Map<K, BenchServer>();
  const results = new Map<string, Measure[]>();
  try {
    for (const kind of kinds) servers.set(kind, await startBenchServer(script, [kind], '/login'));
    for (const server of servers.values()) await measure(server, `/${routes[0]}`, 1); // warm-up
    for (let round = 0; round < rounds; round++) {
      const order = round % 2 ? [...kinds].reverse() : kinds;
      for (const route of routes) {
        for (const kind of order) {
          const key = `${kind} ${route}`;
          const taken = await measure(servers.get(kind) as BenchServer, `/${route}`, seconds);
          results.set(key, [...(results.get(key) ?? []), taken]);
        }
      }
    }
  } finally {
    for (const server of servers.values()) server.stop();
  }
  return (kind, route, field) => median((results.get(`${kind} ${route}`) ?? []).map((m) => m[field]));
}

/** One table row per kind: req/s and server CPU per request of the read and write routes (medians). */
export function readWriteRows<K extends string>(
  kinds: readonly K[],
  med: (kind: K, route: 'read' | 'write', field: keyof Measure) => number,
): Array<Record<string, string | number>> {
  return kinds.map((kind) => ({
    server: kind,
    'read req/s': Math.round(med(kind, 'read', 'rps')),
    'write req/s': Math.round(med(kind, 'write', 'rps')),
    'read CPU µs/req': Math.round(med(kind, 'read', 'cpu')),
    'write CPU µs/req': Math.round(med(kind, 'write', 'cpu')),
  }));
}

/**
 * One line per route and pair: how many times the first kind's req/s the second's is, and the
 * second's server CPU per request over the first's (above 1× is better for the first either way).
 */
export function printRatios<K extends string, R extends string>(
  med: (kind: K, route: R, field: keyof Measure) => number,
  routes: readonly R[],
  pairs: ReadonlyArray<readonly [ours: K, theirs: K, label: string]>,
): void {
  for (const [ours, theirs, label] of pairs) {
    for (const route of routes) {
      console.log(
        `${label}, ${route}: ${ours} ${times(med(ours, route, 'rps') / med(theirs, route, 'rps'))} ${theirs} by req/s, ${times(med(theirs, route, 'cpu') / med(ours, route, 'cpu'))} by server CPU per request`,
      );
    }
  }
}
