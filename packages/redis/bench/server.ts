// One benchmark server: `server.ts <coatcheck|express-session> <redisUrl> <prefix>`. Prints its URL.
// Both kinds use one node-redis client; coatcheck runs session() on a RedisStore, the other
// express-session on connect-redis, as an application migrating today would have it.
import type { AddressInfo } from 'node:net';
import session from 'coatcheck';
import { RedisStore as ConnectRedisStore } from 'connect-redis';
import express, { type RequestHandler } from 'express';
import expressSession from 'express-session';
import { createClient } from 'redis';
import { RedisStore } from '../src/index.js';

const [kind, redisUrl, prefix] = process.argv.slice(2) as [string, string, string];
const secret = 'a benchmark secret of at least 32 bytes';
const client = await createClient({ url: redisUrl }).connect();

const middleware: RequestHandler =
  kind === 'coatcheck'
    ? session({ secret, store: new RedisStore({ client, prefix }) })
    : expressSession({
        secret,
        store: new ConnectRedisStore({ client, prefix }),
        resave: false,
        saveUninitialized: false,
      });

type Data = { name?: string; visits?: number; cart?: unknown[] };
const app = express();
app.use(middleware);
app.get('/login', (req, res) => {
  const data = req.session as unknown as Data;
  data.name = 'Ada Lovelace';
  data.visits = 0;
  data.cart = Array.from({ length: 10 }, (_, n) => ({ sku: `sku-${n}`, qty: n }));
  res.send('ok');
});
app.get('/read', (req, res) => {
  res.send((req.session as unknown as Data).name ?? 'nobody');
});
app.get('/write', (req, res) => {
  const data = req.session as unknown as Data;
  data.visits = (data.visits ?? 0) + 1;
  res.send(String(data.visits));
});
const server = app.listen(0, '127.0.0.1', () => {
  process.stdout.write(`http://127.0.0.1:${(server.address() as AddressInfo).port}\n`);
});
process.once('SIGTERM', () => {
  server.closeAllConnections();
  server.close(() => void client.quit());
});
