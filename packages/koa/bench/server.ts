// A server for session.bench.ts: `server.ts <kind>`, Koa 3 with no session (`bare`), koa-session
// with the session in its signed cookie (`koa-session`) or in an in-memory store it is given
// (`koa-session-store`), or @coatcheck/koa's cookieSession() (`coatcheck-cookie`) or session() on
// coatcheck's MemoryStore (`coatcheck`). The routes are those of every session benchmark: /login
// stores a session of realistic size, /read reads it, /write changes one key. Prints its URL.
import type { AddressInfo } from 'node:net';
import { cookieSession, session } from '@coatcheck/koa';
import Koa from 'koa';
import koaSession from 'koa-session';

const secret = 'a benchmark secret that is at least thirty-two bytes long';
const KINDS = ['bare', 'koa-session', 'koa-session-store', 'coatcheck-cookie', 'coatcheck'];
const kind = process.argv[2] as string;
if (!KINDS.includes(kind)) throw new Error(`unknown kind ${kind}`);

type Data = { name?: string; visits?: number; cart?: unknown[] };
const app = new Koa();
app.keys = [secret];
/** koa-session's external store, as its README writes one: a Map with the session's lifetime. */
const memory = new Map<string, unknown>();
const external = {
  get: async (key: string) => memory.get(key),
  set: async (key: string, value: unknown) => void memory.set(key, value),
  destroy: async (key: string) => void memory.delete(key),
};
if (kind === 'koa-session') app.use(koaSession({ signed: true }, app));
else if (kind === 'koa-session-store') app.use(koaSession({ signed: true, store: external }, app));
else if (kind === 'coatcheck-cookie') app.use(cookieSession({ secret }));
else if (kind === 'coatcheck') app.use(session({ secret }));

const bare: Data = {};
app.use(async (ctx) => {
  const s = kind === 'bare' ? bare : ((ctx as unknown as { session: Data }).session as Data);
  switch (ctx.path) {
    case '/login':
      s.name = 'Ada Lovelace';
      s.visits = 0;
      s.cart = Array.from({ length: 10 }, (_, n) => ({ sku: `sku-${n}`, qty: n }));
      ctx.body = 'ok';
      return;
    case '/read':
      ctx.body = s.name ?? 'nobody';
      return;
    case '/write':
      s.visits = (s.visits ?? 0) + 1;
      ctx.body = String(s.visits);
      return;
    case '/__cpu': {
      const { user, system } = process.cpuUsage();
      ctx.body = { micros: user + system };
      return;
    }
    default:
      ctx.status = 404;
  }
});
const server = app.listen(0, '127.0.0.1', () => {
  process.stdout.write(`http://127.0.0.1:${(server.address() as AddressInfo).port}\n`);
});
process.once('SIGTERM', () => server.close());
