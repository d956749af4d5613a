// CPU per request of the session middleware alone, without HTTP: each request is a real
// IncomingMessage/ServerResponse pair writing to a sink, run one after another in this process, so
// the figure is the middleware's own cost (plus a small constant, shown as "bare"). coatcheck vs
// express-session, both on their MemoryStore, on an existing session; best of several rounds. Each
// middleware runs in a process of its own, as in an application: sharing one would let each
// middleware's object shapes slow down the others' JIT-compiled code.
//   npm run build && node --import tsx packages/coatcheck/bench/middleware.bench.ts
import { spawnSync } from 'node:child_process';
import { IncomingMessage, ServerResponse } from 'node:http';
import { Socket } from 'node:net';
import { Duplex } from 'node:stream';
import { fileURLToPath } from 'node:url';
import session from 'coatcheck';
import expressSession from 'express-session';
import { times } from '../../../scripts/lib/bench.js';

type Next = (err?: unknown) => void;
type Middleware = (req: IncomingMessage, res: ServerResponse, next: Next) => void;

const SECRET = 'a benchmark secret that is at least thirty-two bytes long';
const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 20_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const KINDS = ['bare', 'express-session', 'coatcheck'] as const;
const ROUTES = ['read', 'write'] as const;
type Kind = (typeof KINDS)[number];
type Route = (typeof ROUTES)[number];

function middlewareOf(kind: Kind): Middleware {
  if (kind === 'coatcheck') return session({ secret: SECRET }) as unknown as Middleware;
  if (kind === 'express-session') {
    return expressSession({
      secret: SECRET,
      resave: false,
      saveUninitialized: false,
    }) as unknown as Middleware;
  }
  return (_req, _res, next) => next();
}

/** One request through `middleware`; resolves with the first Set-Cookie pair once the response is sent. */
function request(
  middleware: Middleware,
  cookie: string | undefined,
  write: boolean,
): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const req = new IncomingMessage(new Socket());
    req.url = '/';
    req.method = 'GET';
    if (cookie) req.headers.cookie = cookie;
    const res = new ServerResponse(req);
    const sink = Object.assign(new Duplex({ write: (_chunk, _encoding, done) => done(), read() {} }), {
      setTimeout() {},
    });
    res.assignSocket(sink as unknown as Socket);
    res.on('finish', () =>
      resolve((res.getHeader('set-cookie') as string[] | undefined)?.[0]?.split(';')[0]),
    );
    middleware(req, res, (err) => {
      if (err) return reject(err);
      const data = ((req as { session?: Record<string, unknown> }).session ?? {}) as Record<string, unknown>;
      if (write) data.views = ((data.views as number | undefined) ?? 0) + 1;
      res.end('ok');
    });
  });
}

async function cpuPerRequest(kind: Kind, route: Route): Promise<number> {
  const middleware = middlewareOf(kind);
  const cookie = await request(middleware, undefined, true);
  for (let i = 0; i < 2_000; i++) await request(middleware, cookie, route === 'write');
  const start = process.cpuUsage();
  for (let i = 0; i < REQUESTS; i++) await request(middleware, cookie, route === 'write');
  const used = process.cpuUsage(start);
  return (used.user + used.system) / REQUESTS;
}

const only = process.argv[2] as Kind | undefined;
if (only) {
  // Child: measure one middleware, print JSON.
  const result: Record<Route, number> = { read: Number.POSITIVE_INFINITY, write: Number.POSITIVE_INFINITY };
  for (let round = 0; round < ROUNDS; round++) {
    for (const route of ROUTES) result[route] = Math.min(result[route], await cpuPerRequest(only, route));
  }
  process.stdout.write(`${JSON.stringify(result)}\n`);
} else {
  const best = {} as Record<Kind, Record<Route, number>>;
  for (const kind of KINDS) {
    const child = spawnSync(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), kind], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    if (child.status !== 0) throw new Error(`${kind} failed`);
    best[kind] = JSON.parse(child.stdout.trim().split('\n').pop() as string);
  }

  console.log(`session middleware alone, ${REQUESTS} requests per round, best of ${ROUNDS} rounds`);
  console.table(
    KINDS.map((kind) => ({
      middleware: kind,
      'read CPU µs/req': best[kind].read.toFixed(1),
      'write CPU µs/req': best[kind].write.toFixed(1),
    })),
  );
  for (const route of ROUTES) {
    const theirs = best['express-session'][route] - best.bare[route];
    const ours = best.coatcheck[route] - best.bare[route];
    console.log(
      `${route}: middleware cost over bare — coatcheck ${ours.toFixed(1)} µs, express-session ${theirs.toFixed(1)} µs (${times(theirs / Math.max(ours, 0.1))} less)`,
    );
  }
}
