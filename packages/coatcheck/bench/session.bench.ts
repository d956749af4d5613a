// Requests per second of a read-only and a writing route on an existing session: coatcheck vs
// express-session, both on their MemoryStore, with a bare Express route for scale. The servers
// run in child processes and take turns, round after round, so both see the same machine state.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const DURATION = Number(process.env.BENCH_SECONDS ?? 4);
const KINDS = ['bare', 'express-session', 'coatcheck'] as const;
type Kind = (typeof KINDS)[number];

async function startServer(kind: Kind) {
  const script = fileURLToPath(new URL('./session-server.ts', import.meta.url));
  const child = spawn(process.execPath, ['--conditions=coatcheck-source', '--import', 'tsx', script, kind], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, NODE_ENV: 'production' },
  });
  const [chunk] = (await once(child.stdout, 'data')) as [Buffer];
  return { url: chunk.toString().trim(), stop: () => child.kill() };
}

async function sessionCookie(url: string): Promise<string> {
  const response = await fetch(`${url}/write`);
  const cookie = response.headers.getSetCookie()[0]?.split(';')[0];
  return cookie ?? '';
}

async function rps(url: string, path: string, cookie: string): Promise<number> {
  const result = await autocannon({
    url: url + path,
    connections: 10,
    duration: DURATION,
    headers: cookie ? { cookie } : {},
  });
  if (result.non2xx > 0 || result.errors > 0) throw new Error(`${path}: ${result.non2xx} non-2xx, ${result.errors} errors`);
  return result.requests.average;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

const results: Record<Kind, { read: number[]; write: number[] }> = {
  bare: { read: [], write: [] },
  'express-session': { read: [], write: [] },
  coatcheck: { read: [], write: [] },
};

console.log(`session middleware, MemoryStore, ${ROUNDS} rounds × ${DURATION} s per route, 10 connections`);
for (let round = 1; round <= ROUNDS; round++) {
  const order = round % 2 ? KINDS : [...KINDS].reverse();
  for (const kind of order) {
    const server = await startServer(kind);
    try {
      const cookie = kind === 'bare' ? '' : await sessionCookie(server.url);
      await rps(server.url, '/read', cookie); // warm-up, not counted
      results[kind].read.push(await rps(server.url, '/read', cookie));
      results[kind].write.push(await rps(server.url, '/write', cookie));
    } finally {
      server.stop();
    }
  }
}

const table = KINDS.map((kind) => ({
  server: kind,
  'read req/s': Math.round(median(results[kind].read)),
  'write req/s': Math.round(median(results[kind].write)),
}));
console.table(table);
const ratio = (kind: Kind, than: Kind, route: 'read' | 'write') =>
  (median(results[kind][route]) / median(results[than][route])).toFixed(2);
console.log(`express-session vs bare Express: read ${ratio('express-session', 'bare', 'read')}×, write ${ratio('express-session', 'bare', 'write')}×`);
console.log(`coatcheck vs bare Express:       read ${ratio('coatcheck', 'bare', 'read')}×, write ${ratio('coatcheck', 'bare', 'write')}×`);
console.log(`coatcheck vs express-session:    read ${ratio('coatcheck', 'express-session', 'read')}×, write ${ratio('coatcheck', 'express-session', 'write')}× (target ≥ 1.5×)`);
