// Requests per second of a JWT-protected Express 5 route: coatcheck's jwt() (with and without its
// verified-token cache) against express-jwt, for HS256 and ES256, in one run. Each server runs in
// its own process (one core); autocannon drives it from this one. Run alone with:
//   node --conditions=coatcheck-source --import tsx packages/jwt/bench/route.bench.ts
// BENCH_ROUNDS (default 2) rounds of BENCH_SECONDS (default 2) per contestant; under 60 s in all.
import { spawn } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import jsonwebtoken from 'jsonwebtoken';

const seconds = Number(process.env.BENCH_SECONDS ?? 2);
const script = fileURLToPath(new URL('./servers/route-server.ts', import.meta.url));
const secret = 'a-shared-secret-long-enough-for-hs256!';
const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const env = {
  ...process.env,
  JWT_BENCH_SECRET: secret,
  JWT_BENCH_PUBLIC_PEM: ec.publicKey.export({ format: 'pem', type: 'spki' }) as string,
};

interface Running {
  url: string;
  stop(): Promise<void>;
}

async function startServer(kind: string, alg: 'HS256' | 'ES256'): Promise<Running> {
  const child = spawn(
    process.execPath,
    ['--conditions=coatcheck-source', '--import', 'tsx', script, kind, alg],
    {
      env,
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  const [chunk] = (await once(child.stdout, 'data')) as [Buffer];
  return {
    url: `${chunk.toString().trim()}/protected`,
    async stop() {
      child.kill('SIGINT');
      await once(child, 'exit');
    },
  };
}

async function requestsPerSecond(
  url: string,
  headers: Record<string, string>,
  duration: number,
): Promise<number> {
  const result = await autocannon({ url, headers, connections: 32, duration });
  if (result.non2xx > 0 || result.errors > 0)
    throw new Error(`${url}: ${result.non2xx} non-2xx, ${result.errors} errors`);
  return result.requests.average;
}

const rounds = Number(process.env.BENCH_ROUNDS ?? 2);
const labels: Record<string, string> = {
  bare: 'no auth (ceiling)',
  'express-jwt': 'express-jwt, string/PEM key',
  'express-jwt-keyobject': 'express-jwt, KeyObject',
  'jose-jwtverify': 'jose jwtVerify middleware',
  coatcheck: 'coatcheck jwt()',
  'coatcheck-cache': 'coatcheck jwt(), cache',
};
const rows = [];
for (const alg of ['HS256', 'ES256'] as const) {
  // The no-auth ceiling does not depend on the algorithm: measured once.
  const kinds = [
    ...(alg === 'HS256' ? ['bare'] : []),
    'express-jwt',
    'express-jwt-keyobject',
    'coatcheck',
    'coatcheck-cache',
  ];
  const signKey = alg === 'HS256' ? secret : ec.privateKey;
  const token = jsonwebtoken.sign({ sub: 'user-1', scope: 'read' }, signKey, {
    algorithm: alg,
    expiresIn: 3600,
    audience: 'api',
    issuer: 'bench',
  });
  const headers = { authorization: `Bearer ${token}` };
  const servers = await Promise.all(kinds.map((kind) => startServer(kind, alg)));
  try {
    for (const server of servers) {
      const check = await fetch(server.url, { headers });
      if (check.status !== 200) throw new Error(`${server.url} answered ${check.status}`);
      await autocannon({ url: server.url, headers, connections: 32, amount: 3000 }); // warm-up
    }
    // Contestants alternate within each round and keep their best round: the machine is shared,
    // and a slow spell should not land on one contestant only.
    const best = new Map<string, number>();
    for (let round = 0; round < rounds; round++) {
      for (const [i, kind] of kinds.entries()) {
        best.set(
          kind,
          Math.max(best.get(kind) ?? 0, await requestsPerSecond(servers[i]!.url, headers, seconds)),
        );
      }
    }
    const readme = best.get('express-jwt')!;
    const keyObject = best.get('express-jwt-keyobject')!;
    for (const [kind, rps] of best) {
      rows.push({
        alg,
        server: labels[kind],
        'req/s': Math.round(rps),
        'vs express-jwt (KeyObject)': `${(rps / keyObject).toFixed(2)}x`,
        'vs express-jwt (README)': `${(rps / readme).toFixed(2)}x`,
      });
    }
  } finally {
    await Promise.all(servers.map((server) => server.stop()));
  }
}
console.log(
  `\nJWT-protected Express 5 route, autocannon 32 connections, best of ${rounds} × ${seconds} s, each server in its own process (Node ${process.version})`,
);
console.table(rows);
