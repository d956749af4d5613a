// `npm start` in examples/fastify: the app on Fastify's server, sessions in SQLite under DATA_DIR.
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { SQLiteStore } from '@coatcheck/sqlite';
import { createApp } from './app.js';

const store = new SQLiteStore({ path: join(process.env.DATA_DIR ?? '.', 'sessions.db') });
// A fresh secret signs everyone out at each restart: set SESSION_SECRET to keep sessions.
const secret = process.env.SESSION_SECRET ?? randomBytes(32).toString('base64url');
const app = await createApp({ store, secret });

const url = await app.listen({ port: Number(process.env.PORT ?? 3000), host: '127.0.0.1' });
console.log(`listening on ${url}`);
process.once('SIGTERM', () => void app.close().then(() => store.close()));
