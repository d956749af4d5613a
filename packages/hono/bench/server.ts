// A server for session.bench.ts: `server.ts <kind>`, Hono on @hono/node-server with no session
// (`bare`), hono-sessions on its MemoryStore (`hono-sessions`) or its CookieStore
// (`hono-sessions-cookie`), or @coatcheck/hono's session() on coatcheck's MemoryStore (`coatcheck`)
// or cookieSession() (`coatcheck-cookie`). The routes are those of every session benchmark: /login
// stores a session of realistic size, /read reads it, /write changes one key. Prints its URL.
import { cookieSession, session } from '@coatcheck/hono';
import { serve } from '@hono/node-server';
import { type Context, Hono, type MiddlewareHandler } from 'hono';
import { CookieStore, MemoryStore, sessionMiddleware } from 'hono-sessions';

const secret = 'a benchmark secret that is at least thirty-two bytes long';
const KINDS = ['bare', 'hono-sessions', 'hono-sessions-cookie', 'coatcheck', 'coatcheck-cookie'];
const kind = process.argv[2] as string;
if (!KINDS.includes(kind)) throw new Error(`unknown kind ${kind}`);

/** One key of the session, read and written the way each library offers. */
interface Access {
  get(c: Context, key: string): unknown;
  set(c: Context, key: string, value: unknown): void;
}
type Holder = { get(key: string): unknown; set(key: string, value: unknown): void };
const theirs: Access = {
  get: (c, key) => (c.get('session' as never) as Holder).get(key),
  set: (c, key, value) => (c.get('session' as never) as Holder).set(key, value),
};
const ours: Access = {
  get: (c, key) => (c.get('session' as never) as Record<string, unknown>)[key],
  set: (c, key, value) => {
    (c.get('session' as never) as Record<string, unknown>)[key] = value;
  },
};
const bareData: Record<string, unknown> = {};
const bare: Access = {
  get: (_c, key) => bareData[key],
  set: (_c, key, value) => {
    bareData[key] = value;
  },
};

const app = new Hono();
const cookieOptions = { sameSite: 'Lax', path: '/', httpOnly: true } as const;
let access = bare;
if (kind === 'hono-sessions' || kind === 'hono-sessions-cookie') {
  const store = kind === 'hono-sessions' ? new MemoryStore() : new CookieStore();
  app.use(
    sessionMiddleware({
      store,
      encryptionKey: secret,
      expireAfterSeconds: 900,
      cookieOptions,
    }) as MiddlewareHandler,
  );
  access = theirs;
} else if (kind === 'coatcheck') {
  app.use(session({ secret }) as unknown as MiddlewareHandler);
  access = ours;
} else if (kind === 'coatcheck-cookie') {
  app.use(cookieSession({ secret }) as unknown as MiddlewareHandler);
  access = ours;
}

app.get('/login', (c) => {
  access.set(c, 'name', 'Ada Lovelace');
  access.set(c, 'visits', 0);
  access.set(
    c,
    'cart',
    Array.from({ length: 10 }, (_, n) => ({ sku: `sku-${n}`, qty: n })),
  );
  return c.text('ok');
});
app.get('/read', (c) => c.text(String(access.get(c, 'name') ?? 'nobody')));
app.get('/write', (c) => {
  const visits = Number(access.get(c, 'visits') ?? 0) + 1;
  access.set(c, 'visits', visits);
  return c.text(String(visits));
});
app.get('/__cpu', (c) => {
  const { user, system } = process.cpuUsage();
  return c.json({ micros: user + system });
});
const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, (info) => {
  process.stdout.write(`http://127.0.0.1:${info.port}\n`);
});
process.once('SIGTERM', () => server.close());
