// Shared by route-hs256.bench.ts and route-es256.bench.ts: starts one server process per
// contestant (servers/route-server.ts), drives them in turn with autocannon, prints the table.
import { spawn } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import jsonwebtoken from 'jsonwebtoken';

const script = fileURLToPath(new URL('./route-server.ts', import.meta.url));

const labels: Record<string, string> = {
  bare: 'no auth (ceiling)',
  'express-jwt': 'express-jwt, string/PEM key (its README)',
  'express-jwt-keyobject': 'express-jwt, KeyObject key',
  'jose-jwtverify': 'jose jwtVerify middleware',
  coatcheck: 'coatcheck jwt()',
  'coatcheck-cache': 'coatcheck jwt({ cache: true })',
};
const kinds = Object.keys(labels);

interface Running {
  url: string;
  stop(): Promise<void>;
}

async function startServer(kind: string, alg: string, env: NodeJS.ProcessEnv): Promise<Running> {
  const args = ['--conditions=coatcheck-source', '--import', 'tsx', script, kind, alg];
  const child = spawn(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'inherit'] });
  const [chunk] = (await once(child.stdout, 'data')) as [Buffer];
  return {
    url: `${chunk.toString().trim()}/protected`,
    async stop() {
      child.kill('SIGINT');
      await once(child, 'exit');
    },
  };
}

interface Sample {
  /** Requests per wall-clock second. */
  wall: number;
  /** Requests per second of server CPU time. */
  perCpuSecond: number;
}

async function cpuMicros(url: string): Promise<number> {
  const response = await fetch(new URL('/__cpu', url));
  return ((await response.json()) as { micros: number }).micros;
}

async function sample(url: string, headers: Record<string, string>, duration: number): Promise<Sample> {
  const before = await cpuMicros(url);
  const result = await autocannon({ url, headers, connections: 32, duration });
  const cpu = (await cpuMicros(url)) - before;
  if (result.non2xx > 0 || result.errors > 0)
    throw new Error(`${url}: ${result.non2xx} non-2xx, ${result.errors} errors`);
  // Total over elapsed time: the per-second samples autocannon averages are too few for short runs.
  return { wall: result.requests.total / result.duration, perCpuSecond: (result.requests.total / cpu) * 1e6 };
}

/**
 * Measures every contestant for `alg`. Contestants take turns, round after round, and each keeps
 * its best round: the machine may be shared, and a busy spell should not land on one contestant.
 */
export async function runRouteBench(alg: 'HS256' | 'ES256'): Promise<void> {
  const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
  const seconds = Number(process.env.BENCH_SECONDS ?? 1.25);
  const secret = 'a-shared-secret-long-enough-for-hs256!';
  const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const env = {
    ...process.env,
    JWT_BENCH_SECRET: secret,
    JWT_BENCH_PUBLIC_PEM: ec.publicKey.export({ format: 'pem', type: 'spki' }) as string,
  };
  const token = jsonwebtoken.sign(
    { sub: 'user-1', scope: 'read' },
    alg === 'HS256' ? secret : ec.privateKey,
    {
      algorithm: alg,
      expiresIn: 3600,
      audience: 'api',
      issuer: 'bench',
    },
  );
  const headers = { authorization: `Bearer ${token}` };
  const servers = await Promise.all(kinds.map((kind) => startServer(kind, alg, env)));
  const best = new Map<string, Sample>();
  try {
    for (const server of servers) {
      const check = await fetch(server.url, { headers });
      if (check.status !== 200) throw new Error(`${server.url} answered ${check.status}`);
      await autocannon({ url: server.url, headers, connections: 32, amount: 1000 }); // warm-up
    }
    for (let round = 0; round < rounds; round++) {
      for (const [i, kind] of kinds.entries()) {
        const now = await sample(servers[i]!.url, headers, seconds);
        const kept = best.get(kind);
        best.set(kind, {
          wall: Math.max(kept?.wall ?? 0, now.wall),
          perCpuSecond: Math.max(kept?.perCpuSecond ?? 0, now.perCpuSecond),
        });
      }
    }
  } finally {
    await Promise.all(servers.map((server) => server.stop()));
  }
  const keyObject = best.get('express-jwt-keyobject')!.perCpuSecond;
  const readme = best.get('express-jwt')!.perCpuSecond;
  console.log(
    `\n${alg}-protected Express 5 route: autocannon, 32 connections, best of ${rounds} × ${seconds} s; each server in its own process (Node ${process.version})`,
  );
  console.log(
    'req/CPU-s: requests served per second of server CPU time (ratios use it); req/s: wall clock, which a busy machine skews.',
  );
  console.table(
    kinds.map((kind) => {
      const { wall, perCpuSecond } = best.get(kind)!;
      return {
        server: labels[kind],
        'req/CPU-s': Math.round(perCpuSecond),
        'req/s': Math.round(wall),
        'vs express-jwt (KeyObject)': `${(perCpuSecond / keyObject).toFixed(2)}x`,
        'vs express-jwt (README)': `${(perCpuSecond / readme).toFixed(2)}x`,
      };
    }),
  );
}
