/**
 * What the documentation's code blocks take as given: a block that uses `app`, `secret` or `store`
 * without declaring it gets it from here (test/docs/blocks.ts imports every name a block uses but
 * does not declare). Real objects throughout — an Express app, a MemoryStore, a request that went
 * through `session()` — so a block runs as it would in an application.
 */
import { once } from 'node:events';
import { createServer } from 'node:http';
import { MongoDBStore } from '@coatcheck/mongodb';
import { MySQLStore } from '@coatcheck/mysql';
import { PostgresStore } from '@coatcheck/postgres';
import { RedisStore } from '@coatcheck/redis';
import { SQLiteStore } from '@coatcheck/sqlite';
import session, { cookieSession, cookies, csrf, MemoryStore } from 'coatcheck';
import express, { type Request } from 'express';
import { createClient } from 'redis';
import type { Logger, Metrics } from '../../../docs/examples/session-events.js';

export {
  cookieSession,
  cookies,
  csrf,
  express,
  MongoDBStore,
  MySQLStore,
  PostgresStore,
  RedisStore,
  SQLiteStore,
  session,
};

// The environment the blocks read, as an application would have it.
Object.assign(process.env, {
  SESSION_SECRET: 'the documentation examples: a session secret of 32 bytes or more',
  OLD_SESSION_SECRET: 'the documentation examples: the previous session secret',
  COOKIE_SECRET: 'the documentation examples: a cookie secret of 32 bytes or more',
  OLD_COOKIE_SECRET: 'the documentation examples: the previous cookie secret',
  JWT_SECRET: 'the documentation examples: a JWT secret of 32 bytes or more',
  REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
});

export const app = express();
export const secret = process.env.SESSION_SECRET as string;
export const store = new MemoryStore();

/** A node-redis client, not connected: the blocks only hand it to a store. */
export const client = createClient({ url: process.env.REDIS_URL as string });

export const userId = 'user-1';
export const user = { id: userId, name: 'Ada' };

/** The application's own password check. */
export async function checkPassword(_body: unknown): Promise<typeof user> {
  return user;
}

/** The application's users table, as far as "log out everywhere" needs it. */
export const users = {
  loggedOut: new Map<string, number>(),
  async loggedOutEverywhereAt(id: string): Promise<number | undefined> {
    return this.loggedOut.get(id);
  },
  async setLoggedOutEverywhereAt(id: string, time: number): Promise<void> {
    this.loggedOut.set(id, time);
  },
};

/** Lines logged by the blocks, in pino's `(fields, message)` shape. */
export const logged: Array<{ level: string; fields: Record<string, unknown>; message: string }> = [];
export const logger: Logger = {
  info: (fields, message) => logged.push({ level: 'info', fields, message }),
  warn: (fields, message) => logged.push({ level: 'warn', fields, message }),
  error: (fields, message) => logged.push({ level: 'error', fields, message }),
};
export const counted = new Map<string, number>();
export const metrics: Metrics = {
  increment: (name) => counted.set(name, (counted.get(name) ?? 0) + 1),
};

/** A request that went through `session()`, as a route handler sees it. */
export const req: Request = await (async () => {
  const capture = express();
  let seen: Request | undefined;
  capture.use(session({ secret, store }));
  capture.get('/', (request, response) => {
    seen = request;
    response.end();
  });
  const server = createServer(capture).listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  await (await fetch(`http://127.0.0.1:${port}/`)).arrayBuffer();
  server.close();
  return seen as Request;
})();
export const id = req.sessionID;
export const sessions = session({ secret, store, userKey: 'userId' });
export const handle = sessions.handleOf(id);
