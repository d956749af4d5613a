// `npm start` in examples/koa: the app on node:http, sessions in SQLite under DATA_DIR.
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { SQLiteStore } from '@coatcheck/sqlite';
import { createApp } from './app.js';

const store = new SQLiteStore({ path: join(process.env.DATA_DIR ?? '.', 'sessions.db') });
// A fresh secret signs everyone out at each restart: set SESSION_SECRET to keep sessions.
const secret = process.env.SESSION_SECRET ?? randomBytes(32).toString('base64url');

const server = createApp({ store, secret }).listen(Number(process.env.PORT ?? 3000), '127.0.0.1', () => {
  console.log(`listening on http://127.0.0.1:${(server.address() as AddressInfo).port}`);
});
process.once('SIGTERM', () => server.close(() => void store.close()));
