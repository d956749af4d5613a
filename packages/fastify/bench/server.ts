// A server for session.bench.ts: `server.ts <bare|fastify-session|coatcheck>`, Fastify 5 with no
// session, with @fastify/session (+ @fastify/cookie, its default MemoryStore) or with
// @coatcheck/fastify (coatcheck's MemoryStore). The routes are those of every session benchmark:
// /login stores a session of realistic size, /read reads it, /write changes one key. Prints its URL.

import { session } from '@coatcheck/fastify';
import fastifyCookie from '@fastify/cookie';
import fastifySession from '@fastify/session';
import Fastify, { type FastifyRequest } from 'fastify';

const secret = 'a benchmark secret that is at least thirty-two bytes long';
const kind = process.argv[2];
if (kind !== 'bare' && kind !== 'fastify-session' && kind !== 'coatcheck')
  throw new Error(`unknown kind ${kind}`);

type Data = { name?: string; visits?: number; cart?: unknown[] };
const app = Fastify();
if (kind === 'fastify-session') {
  await app.register(fastifyCookie);
  await app.register(fastifySession, { secret, saveUninitialized: false, cookie: { secure: false } });
} else if (kind === 'coatcheck') {
  await app.register(session, { secret });
}
// Both libraries put the session on request.session; the bare server has a plain object.
const data = (request: FastifyRequest) => ((request as { session?: Data }).session ?? {}) as Data;
app.get('/login', async (request) => {
  const s = data(request);
  s.name = 'Ada Lovelace';
  s.visits = 0;
  s.cart = Array.from({ length: 10 }, (_, n) => ({ sku: `sku-${n}`, qty: n }));
  return 'ok';
});
app.get('/read', async (request) => data(request).name ?? 'nobody');
app.get('/write', async (request) => {
  const s = data(request);
  s.visits = (s.visits ?? 0) + 1;
  return String(s.visits);
});
app.get('/__cpu', async () => {
  const { user, system } = process.cpuUsage();
  return { micros: user + system };
});
await app.listen({ port: 0, host: '127.0.0.1' });
const { port } = app.server.address() as { port: number };
process.stdout.write(`http://127.0.0.1:${port}\n`);
process.once('SIGTERM', () => void app.close());
