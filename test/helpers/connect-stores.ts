// The express-session stores coatcheck claims to run under (through its connect adapter), each on
// its real server under names no other test uses.
import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import { RedisStore as ConnectRedisStore } from 'connect-redis';
import expressSession from 'express-session';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { createClient } from 'redis';
import { SERVICES, serviceSkipReason } from './services.js';
import type { StoreTarget } from './stores.js';

const require = createRequire(import.meta.url);
type ConnectStoreClass = new (...args: unknown[]) => expressSession.Store & { close?: () => unknown };
const connectPgSimple = require('connect-pg-simple') as (session: unknown) => ConnectStoreClass;
const expressMySQLSession = require('express-mysql-session') as (session: unknown) => ConnectStoreClass;
const memorystore = require('memorystore') as (session: unknown) => ConnectStoreClass;

/** A connect store as the tests hand it to `session()`, and the way to read what it holds raw. */
export interface ConnectTarget extends Omit<StoreTarget, 'open'> {
  open(): Promise<{ store: expressSession.Store; release(): Promise<void> }>;
}

/** Reads session `sid` from a connect store with its own `get`, as express-session would. */
export function rawGet(store: expressSession.Store, sid: string): Promise<Record<string, unknown> | null> {
  return new Promise((resolve, reject) =>
    store.get(sid, (err, sess) =>
      err ? reject(err) : resolve((sess as unknown as Record<string, unknown>) ?? null),
    ),
  );
}

/** express-session's MemoryStore, connect-redis, connect-pg-simple, express-mysql-session, memorystore. */
export function connectTargets(label: string): ConnectTarget[] {
  const suffix = `${label}_${randomBytes(4).toString('hex')}`;
  return [
    {
      name: "express-session's MemoryStore",
      skip: async () => false,
      async open() {
        return { store: new expressSession.MemoryStore(), release: async () => {} };
      },
    },
    {
      name: 'memorystore',
      skip: async () => false,
      async open() {
        const MemoryStore = memorystore(expressSession);
        const store = new MemoryStore({ checkPeriod: 60_000 });
        return {
          store,
          release: async () => void (store as unknown as { stopInterval(): void }).stopInterval(),
        };
      },
    },
    {
      name: 'connect-redis',
      skip: () => serviceSkipReason(SERVICES.redis),
      async open() {
        const client = await createClient({ url: 'redis://127.0.0.1:6379' }).connect();
        const prefix = `coatcheck-${suffix}:sess:`;
        const store = new ConnectRedisStore({ client, prefix });
        return {
          store,
          async release() {
            for await (const keys of client.scanIterator({ MATCH: `${prefix}*`, COUNT: 500 })) {
              if (keys.length > 0) await client.unlink(keys);
            }
            client.destroy();
          },
        };
      },
    },
    {
      name: 'connect-pg-simple',
      skip: () => serviceSkipReason(SERVICES.postgres),
      async open() {
        const pool = new pg.Pool({ connectionString: 'postgres://postgres@127.0.0.1:5432/test', max: 3 });
        const tableName = `connect_${suffix}`;
        const PgStore = connectPgSimple(expressSession);
        const store = new PgStore({
          pool,
          tableName,
          createTableIfMissing: true,
          pruneSessionInterval: false,
        });
        return {
          store,
          async release() {
            await pool.query(`DROP TABLE IF EXISTS "${tableName}"`);
            await pool.end();
          },
        };
      },
    },
    {
      name: 'express-mysql-session',
      skip: () => serviceSkipReason(SERVICES.mysql),
      async open() {
        const pool = mysql.createPool({ uri: 'mysql://root@127.0.0.1:3306/test', connectionLimit: 3 });
        const tableName = `connect_${suffix}`;
        const MySQLStore = expressMySQLSession(expressSession);
        const store = new MySQLStore(
          {
            clearExpired: false,
            createDatabaseTable: true,
            endConnectionOnClose: false,
            schema: { tableName },
          },
          pool,
        ) as InstanceType<ConnectStoreClass> & { onReady(): Promise<void> };
        // Its operations do not wait for the table it creates.
        await store.onReady();
        return {
          store,
          async release() {
            await pool.query(`DROP TABLE IF EXISTS \`${tableName}\``);
            await pool.end();
          },
        };
      },
    },
  ];
}
