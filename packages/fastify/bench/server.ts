// A server for session.bench.ts: `server.ts <kind>`, Fastify 5 with no session (`bare`), with
// @fastify/session (+ @fastify/cookie, its default MemoryStore) or @coatcheck/fastify's session
// (coatcheck's MemoryStore), or with the session in the cookie: @fastify/secure-session or
// @coatcheck/fastify's cookieSession. The routes are those of every session benchmark:
// /login stores a session of realistic size, /read reads it, /write changes one key. Prints its URL.

import { cookieSession, session } from '@coatcheck/fastify';
import fastifyCookie from '@fastify/cookie';
import fastifySecureSession from '@fastify/secure-session';
import fastifySession from '@fastify/session';
import Fastify, { type FastifyRequest } from 'fastify';

const secret = 'a benchmark secret that is at least thirty-two bytes long';
const kind = process.argv[2];
const KINDS = ['bare', 'fastify-session', 'coatcheck', 'secure-session', 'coatcheck-cookie'];
if (kind === undefined || !KINDS.includes(kind)) throw new Error(`unknown kind ${kind}`);

type Data = { name?: string; visits?: number; cart?: unknown[] };
const app = Fastify();
if (kind === 'fastify-session') {
  await app.register(fastifyCookie);
  await app.register(fastifySession, { secret, saveUninitialized: false, cookie: { secure: false } });
} else if (kind === 'coatcheck') {
  await app.register(session, { secret });
} else if (kind === 'secure-session') {
  await app.register(fastifySecureSession, {
    key: Buffer.alloc(32, 7),
    cookie: { path: '/', httpOnly: true },
  });
} else if (kind === 'coatcheck-cookie') {
  await app.register(cookieSession, { secret });
}
/** One key of the session, read and written the way each library offers. */
type Access = {
  get(request: FastifyRequest, key: keyof Data): unknown;
  set(request: FastifyRequest, key: keyof Data, value: unknown): void;
};
type Holder = { get(key: string): unknown; set(key: string, value: unknown): void };
const bare: Record<string, unknown> = {};
const sessionOf = (request: FastifyRequest) =>
  (request as unknown as { session: Record<string, unknown> }).session;
const access: Access =
  kind === 'bare'
    ? {
        get: (_r, key) => bare[key],
        set: (_r, key, value) => {
          bare[key] = value;
        },
      }
    : kind === 'secure-session'
      ? {
          get: (request, key) => (sessionOf(request) as unknown as Holder).get(key),
          set: (request, key, value) => (sessionOf(request) as unknown as Holder).set(key, value),
        }
      : {
          get: (request, key) => sessionOf(request)[key],
          set: (request, key, value) => {
            sessionOf(request)[key] = value;
          },
        };
app.get('/login', async (request) => {
  access.set(request, 'name', 'Ada Lovelace');
  access.set(request, 'visits', 0);
  access.set(
    request,
    'cart',
    Array.from({ length: 10 }, (_, n) => ({ sku: `sku-${n}`, qty: n })),
  );
  return 'ok';
});
app.get('/read', async (request) => String(access.get(request, 'name') ?? 'nobody'));
app.get('/write', async (request) => {
  const visits = Number(access.get(request, 'visits') ?? 0) + 1;
  access.set(request, 'visits', visits);
  return String(visits);
});
app.get('/__cpu', async () => {
  const { user, system } = process.cpuUsage();
  return { micros: user + system };
});
await app.listen({ port: 0, host: '127.0.0.1' });
const { port } = app.server.address() as { port: number };
process.stdout.write(`http://127.0.0.1:${port}\n`);
process.once('SIGTERM', () => void app.close());
