// JWT verification throughput, one token after another on one thread: coatcheck against
// jsonwebtoken (what express-jwt runs), jose's jwtVerify and fast-jwt (with and without its cache),
// for HS256 and ES256, in one run. Run alone with:
//   node --conditions=coatcheck-source --import tsx packages/jwt/bench/verify.bench.ts
// Each contestant gets BENCH_MS / 3 (default 500 ms) per round, best of three rounds, after a
// warm-up: about 35 s in all.
import { createSecretKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { createVerifier as fastJwtVerifier } from 'fast-jwt';
import { importJWK, jwtVerify } from 'jose';
import jsonwebtoken from 'jsonwebtoken';
import { createVerifier } from '../src/verify.js';

const budget = Number(process.env.BENCH_MS ?? 1500);

type Verify = () => unknown;

/** Operations per second over `ms`: sync functions in batches, async ones awaited one at a time. */
async function opsPerSecond(fn: Verify, ms: number): Promise<number> {
  const first = fn();
  const isAsync = first instanceof Promise;
  if (isAsync) await first;
  let runs = 0;
  const start = performance.now();
  let elapsed = 0;
  do {
    if (isAsync) for (let i = 0; i < 50; i++) await fn();
    else for (let i = 0; i < 50; i++) fn();
    runs += 50;
    elapsed = performance.now() - start;
  } while (elapsed < ms);
  return (runs / elapsed) * 1000;
}

interface Contestant {
  name: string;
  verify: Verify;
}

async function bestOfThree(contestants: Contestant[]): Promise<Map<string, number>> {
  for (const c of contestants) await opsPerSecond(c.verify, budget / 4);
  const best = new Map<string, number>();
  for (let round = 0; round < 3; round++) {
    for (const c of contestants)
      best.set(c.name, Math.max(best.get(c.name) ?? 0, await opsPerSecond(c.verify, budget / 3)));
  }
  return best;
}

async function scenario(alg: 'HS256' | 'ES256', signKey: KeyObject, verifyKey: KeyObject) {
  const token = jsonwebtoken.sign({ sub: 'user-1', scope: 'read write', aud: 'api' }, signKey, {
    algorithm: alg,
    expiresIn: 3600,
    issuer: 'bench',
  });
  const joseKey = await importJWK(verifyKey.export({ format: 'jwk' }) as never, alg);
  const options = { algorithms: [alg], audience: 'api', issuer: 'bench' };
  const fastKey =
    alg === 'HS256' ? verifyKey.export() : (verifyKey.export({ format: 'pem', type: 'spki' }) as string);
  const fast = fastJwtVerifier({ key: fastKey, algorithms: [alg], allowedAud: 'api', allowedIss: 'bench' });
  const fastCached = fastJwtVerifier({
    key: fastKey,
    algorithms: [alg],
    allowedAud: 'api',
    allowedIss: 'bench',
    cache: true,
  });
  const ours = createVerifier({ key: verifyKey, ...options });
  const oursCached = createVerifier({ key: verifyKey, ...options, cache: true });

  const contestants: Contestant[] = [
    {
      name: 'jsonwebtoken (KeyObject)',
      verify: () => jsonwebtoken.verify(token, verifyKey, options as jsonwebtoken.VerifyOptions),
    },
    { name: 'jose jwtVerify', verify: () => jwtVerify(token, joseKey, options) },
    // jose 6 is WebCrypto-only: a KeyObject is turned into a CryptoKey, and the signature still
    // goes through crypto.subtle.
    { name: 'jose jwtVerify, KeyObject', verify: () => jwtVerify(token, verifyKey, options) },
    { name: 'fast-jwt', verify: () => fast(token) },
    { name: 'fast-jwt, cache', verify: () => fastCached(token) },
    { name: 'coatcheck verify()', verify: () => ours.verify(token) },
    { name: 'coatcheck verify(), cache', verify: () => oursCached.verify(token) },
  ];
  // Every contestant must accept the token, or the numbers mean nothing.
  for (const c of contestants) await c.verify();
  const results = await bestOfThree(contestants);
  const baseline = results.get('jsonwebtoken (KeyObject)')!;
  const jose = results.get('jose jwtVerify')!;
  return contestants.map((c) => ({
    alg,
    verifier: c.name,
    'ops/s': Math.round(results.get(c.name)!),
    'vs jsonwebtoken': `${(results.get(c.name)! / baseline).toFixed(2)}x`,
    'vs jose': `${(results.get(c.name)! / jose).toFixed(2)}x`,
  }));
}

const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const secret = createSecretKey(Buffer.from('a-shared-secret-long-enough-for-hs256!'));
const rows = [
  ...(await scenario('HS256', secret, secret)),
  ...(await scenario('ES256', ec.privateKey, ec.publicKey)),
];

console.log(
  `\nJWT verification, one at a time on one thread (Node ${process.version}, best of 3 × ${Math.round(budget / 3)} ms)`,
);
console.table(rows);
