// The cost of the JWT middleware itself, without HTTP: each middleware is called with a minimal
// request and response, one request after another, awaiting `next`. This isolates what a protected
// route pays for authentication from Express and socket costs, which dominate route.bench timings
// and make them noisy on a shared machine. Run alone with:
//   node --conditions=coatcheck-source --import tsx packages/jwt/bench/middleware.bench.ts
// BENCH_MS (default 900 ms) per contestant and round, best of 3 rounds: about 25 s.
import { createPublicKey, createSecretKey, generateKeyPairSync } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import { expressjwt } from 'express-jwt';
import jsonwebtoken from 'jsonwebtoken';
import { jwt } from '../src/index.js';

const budget = Number(process.env.BENCH_MS ?? 900);
type Middleware = (req: Request, res: Response, next: NextFunction) => unknown;

/** Requests per second through `middleware`, each awaited before the next. */
async function requestsPerSecond(middleware: Middleware, authorization: string, ms: number): Promise<number> {
  const res = { headersSent: false, setHeader() {} } as unknown as Response;
  let runs = 0;
  const start = performance.now();
  let elapsed = 0;
  do {
    for (let i = 0; i < 50; i++) {
      const req = {
        method: 'GET',
        headers: { authorization },
        url: '/',
        originalUrl: '/',
      } as unknown as Request;
      const error = await new Promise((resolve) => middleware(req, res, resolve));
      if (error !== undefined) throw error;
    }
    runs += 50;
    elapsed = performance.now() - start;
  } while (elapsed < ms);
  return (runs / elapsed) * 1000;
}

const secret = 'a-shared-secret-long-enough-for-hs256!';
const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const pem = ec.publicKey.export({ format: 'pem', type: 'spki' }) as string;
const checks = { audience: 'api', issuer: 'bench' };
const rows = [];

for (const alg of ['HS256', 'ES256'] as const) {
  const key = alg === 'HS256' ? secret : pem;
  const keyObject = alg === 'HS256' ? createSecretKey(Buffer.from(secret)) : createPublicKey(pem);
  const token = jsonwebtoken.sign({ sub: 'user-1' }, alg === 'HS256' ? secret : ec.privateKey, {
    algorithm: alg,
    expiresIn: 3600,
    ...checks,
  });
  const contestants: Array<[string, Middleware]> = [
    [
      'express-jwt, string/PEM key',
      expressjwt({ secret: key, algorithms: [alg], ...checks }) as unknown as Middleware,
    ],
    [
      'express-jwt, KeyObject key',
      expressjwt({ secret: keyObject, algorithms: [alg], ...checks }) as unknown as Middleware,
    ],
    ['coatcheck jwt()', jwt({ secret: key, algorithms: [alg], ...checks })],
    ['coatcheck jwt({ cache: true })', jwt({ secret: key, algorithms: [alg], ...checks, cache: true })],
  ];
  const best = new Map<string, number>();
  for (const [, middleware] of contestants)
    await requestsPerSecond(middleware, `Bearer ${token}`, budget / 4);
  for (let round = 0; round < 3; round++) {
    for (const [name, middleware] of contestants) {
      best.set(
        name,
        Math.max(best.get(name) ?? 0, await requestsPerSecond(middleware, `Bearer ${token}`, budget)),
      );
    }
  }
  const keyObjectBaseline = best.get('express-jwt, KeyObject key')!;
  const readmeBaseline = best.get('express-jwt, string/PEM key')!;
  for (const [name] of contestants) {
    rows.push({
      alg,
      middleware: name,
      'req/s': Math.round(best.get(name)!),
      'vs express-jwt (KeyObject)': `${(best.get(name)! / keyObjectBaseline).toFixed(2)}x`,
      'vs express-jwt (README)': `${(best.get(name)! / readmeBaseline).toFixed(2)}x`,
    });
  }
}
console.log(
  `\nJWT middleware alone, one request at a time (Node ${process.version}, best of 3 × ${budget} ms)`,
);
console.table(rows);
