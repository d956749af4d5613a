// `npm start` in examples/fetch: the handler on Node.js through @hono/node-server, which turns each
// HTTP request into a Fetch Request (Deno.serve(handler) or Bun.serve({ fetch: handler }) would do
// the same); sessions in SQLite under DATA_DIR.
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { SQLiteStore } from '@coatcheck/sqlite';
import { serve } from '@hono/node-server';
import { createHandler } from './app.js';

const store = new SQLiteStore({ path: join(process.env.DATA_DIR ?? '.', 'sessions.db') });
// A fresh secret signs everyone out at each restart: set SESSION_SECRET to keep sessions.
const secret = process.env.SESSION_SECRET ?? randomBytes(32).toString('base64url');
const handler = createHandler({ store, secret });

const server = serve(
  { fetch: handler, port: Number(process.env.PORT ?? 3000), hostname: '127.0.0.1' },
  (info) => {
    console.log(`listening on http://127.0.0.1:${info.port}`);
  },
);
process.once('SIGTERM', () => server.close(() => void store.close()));
