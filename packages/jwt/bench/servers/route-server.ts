// A server for route.bench.ts, run in its own process so each contestant gets a fresh JIT:
//   tsx route-server.ts <bare|express-jwt|express-jwt-keyobject|jose-jwtverify|coatcheck|coatcheck-cache> <HS256|ES256>
// Keys come from the environment (JWT_BENCH_SECRET, JWT_BENCH_PUBLIC_PEM). Prints its URL once listening.
import { createPublicKey, createSecretKey } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import express, { type RequestHandler } from 'express';
import { expressjwt } from 'express-jwt';
import { importSPKI, jwtVerify } from 'jose';
import { jwt } from '../../src/index.js';

const [kind, alg] = process.argv.slice(2) as [string, 'HS256' | 'ES256'];
const key = alg === 'HS256' ? process.env.JWT_BENCH_SECRET! : process.env.JWT_BENCH_PUBLIC_PEM!;
const checks = { audience: 'api', issuer: 'bench' };

const middleware: Record<string, () => RequestHandler> = {
  bare: () => (_req, _res, next) => next(),
  // As express-jwt's README has it: the secret as a string (or the PEM as read from a file).
  'express-jwt': () => expressjwt({ secret: key, algorithms: [alg], ...checks }) as unknown as RequestHandler,
  // jsonwebtoken re-parses a string key on every call; a KeyObject is its fast path.
  'express-jwt-keyobject': () =>
    expressjwt({
      secret: alg === 'HS256' ? createSecretKey(Buffer.from(key)) : createPublicKey(key),
      algorithms: [alg],
      ...checks,
    }) as unknown as RequestHandler,
  // jose alone, as a hand-written middleware would use it: what coatcheck would cost on jwtVerify.
  'jose-jwtverify': () => {
    const joseKey = alg === 'HS256' ? Promise.resolve(new TextEncoder().encode(key)) : importSPKI(key, alg);
    return (req, _res, next) => {
      const token = req.headers.authorization?.slice(7) ?? '';
      joseKey
        .then((k) => jwtVerify(token, k, { algorithms: [alg], ...checks }))
        .then(({ payload }) => {
          (req as unknown as { auth: unknown }).auth = payload;
          next();
        }, next);
    };
  },
  coatcheck: () => jwt({ secret: key, algorithms: [alg], ...checks }),
  'coatcheck-cache': () => jwt({ secret: key, algorithms: [alg], ...checks, cache: true }),
};
if (!middleware[kind]) throw new Error(`unknown server kind ${kind}`);

const app = express();
// CPU time of this process (all threads), so the bench can count CPU per request: on a shared
// machine wall-clock throughput depends on the neighbours, CPU per request much less.
app.get('/__cpu', (_req, res) => {
  const { user, system } = process.cpuUsage();
  res.json({ micros: user + system });
});
app.get('/protected', middleware[kind](), (req, res) => {
  res.json({ sub: (req as unknown as { auth?: { sub?: string } }).auth?.sub ?? null });
});
app.use(((err, _req, res, _next) => {
  res.status(err.status ?? 500).json({ code: err.code });
}) as express.ErrorRequestHandler);

const server = app.listen(0, '127.0.0.1', () => {
  const { port } = server.address() as AddressInfo;
  process.stdout.write(`http://127.0.0.1:${port}\n`);
});
process.on('SIGINT', () => process.exit(0));
