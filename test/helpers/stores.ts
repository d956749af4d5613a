// Every store coatcheck ships, opened on its real server (or file) under names no other test uses,
// for the suites that run the same checks on each store.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';
import { MongoDBStore } from '@coatcheck/mongodb';
import { MySQLStore } from '@coatcheck/mysql';
import { PostgresStore } from '@coatcheck/postgres';
import { RedisStore } from '@coatcheck/redis';
import { SQLiteStore } from '@coatcheck/sqlite';
import { MemoryStore, type SessionStore } from 'coatcheck';
import { MongoClient } from 'mongodb';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { createClient } from 'redis';
import { SERVICES, serviceSkipReason } from './services.js';

/**
 * Why the MongoDB store cannot run: `MONGODB_URI` is unset (scripts/test.mjs sets it to a FerretDB
 * it starts when that is built). Outside CI one line says how to build it; in CI it fails.
 */
export function mongodbSkipReason(): string | false {
  if (process.env.MONGODB_URI) return false;
  if (process.env.CI === 'true' || process.env.CI === '1') {
    throw new Error(
      'MONGODB_URI is not set, and CI requires a MongoDB server (FerretDB, started by scripts/test.mjs)',
    );
  }
  const reason = 'MONGODB_URI is not set; build FerretDB with: node tools/ferretdb/ferretdb.mjs build';
  console.log(`# skipping MongoDB tests: ${reason}`);
  return reason;
}

export interface StoreTarget {
  name: string;
  /** Why the store cannot run here (outside CI), or `false`. */
  skip: () => Promise<string | false>;
  open(): Promise<{ store: SessionStore; release(): Promise<void> }>;
  /**
   * Another store on the data `open()`'s store uses, with its own client, as another process would
   * open it; its `release` closes only what it opened. Absent where no other process could share
   * the store (MemoryStore).
   */
  openAnother?(): Promise<{ store: SessionStore; release(): Promise<void> }>;
}

/** How {@link storeTargets} opens the stores; the defaults suit a functional suite. */
export interface StoreTargetOptions {
  /** Connections per PostgreSQL or MariaDB pool. Default 3. */
  poolSize?: number;
  /** The stores' own prune timers; `0` turns them off. Default: each store's default. */
  pruneInterval?: number;
  /** MemoryStore's bound. Default: MemoryStore's default. */
  memoryMax?: number;
}

/** The stores, with keys, tables and files named after `label`; temporary files go after the suite. */
export function storeTargets(label: string, options: StoreTargetOptions = {}): StoreTarget[] {
  const { poolSize = 3, pruneInterval, memoryMax } = options;
  const suffix = `${label}_${randomBytes(4).toString('hex')}`;
  const sqliteDir = mkdtempSync(join(tmpdir(), `coatcheck-${label}-`));
  after(() => rmSync(sqliteDir, { recursive: true, force: true }));
  return [
    {
      name: 'MemoryStore',
      skip: async () => false,
      async open() {
        const store = new MemoryStore({ max: memoryMax, pruneInterval });
        return { store, release: () => store.close() };
      },
    },
    {
      name: 'SQLiteStore',
      skip: async () => false,
      async open() {
        const store = new SQLiteStore({ path: join(sqliteDir, `${label}.db`), pruneInterval });
        return { store, release: () => store.close() };
      },
      async openAnother() {
        const store = new SQLiteStore({ path: join(sqliteDir, `${label}.db`), pruneInterval });
        return { store, release: () => store.close() };
      },
    },
    {
      name: 'RedisStore',
      skip: () => serviceSkipReason(SERVICES.redis),
      async open() {
        const client = await createClient({ url: 'redis://127.0.0.1:6379' }).connect();
        const store = new RedisStore({ client, prefix: `coatcheck-${suffix}:` });
        return {
          store,
          async release() {
            try {
              await store.purge();
            } catch (err) {
              // A test that closed the store itself purged it first; a closed store refuses to.
              if ((err as { code?: string }).code !== 'ERR_STORE_CLOSED') throw err;
            } finally {
              await store.close();
              client.destroy();
            }
          },
        };
      },
      async openAnother() {
        const client = await createClient({ url: 'redis://127.0.0.1:6379' }).connect();
        const store = new RedisStore({ client, prefix: `coatcheck-${suffix}:` });
        return {
          store,
          async release() {
            await store.close();
            client.destroy();
          },
        };
      },
    },
    {
      name: 'PostgresStore',
      skip: () => serviceSkipReason(SERVICES.postgres),
      async open() {
        const pool = new pg.Pool({
          connectionString: 'postgres://postgres@127.0.0.1:5432/test',
          max: poolSize,
        });
        const tableName = `sessions_${suffix}`;
        const store = new PostgresStore({ pool, tableName, pruneInterval });
        return {
          store,
          async release() {
            await store.close();
            await pool.query(`DROP TABLE IF EXISTS "${tableName}", "${tableName}_forwards"`);
            await pool.end();
          },
        };
      },
      async openAnother() {
        const pool = new pg.Pool({
          connectionString: 'postgres://postgres@127.0.0.1:5432/test',
          max: poolSize,
        });
        const store = new PostgresStore({ pool, tableName: `sessions_${suffix}`, pruneInterval });
        return {
          store,
          async release() {
            await store.close();
            await pool.end();
          },
        };
      },
    },
    {
      name: 'MongoDBStore (FerretDB)',
      skip: async () => mongodbSkipReason(),
      async open() {
        const client = new MongoClient(process.env.MONGODB_URI as string, { maxPoolSize: poolSize });
        const store = new MongoDBStore({ client, collection: `sessions_${suffix}`, pruneInterval });
        return {
          store,
          async release() {
            await store.close();
            await store.collection.drop().catch(() => undefined);
            await store.forwards.drop().catch(() => undefined);
            await client.close();
          },
        };
      },
      async openAnother() {
        const client = new MongoClient(process.env.MONGODB_URI as string, { maxPoolSize: poolSize });
        const store = new MongoDBStore({ client, collection: `sessions_${suffix}`, pruneInterval });
        return {
          store,
          async release() {
            await store.close();
            await client.close();
          },
        };
      },
    },
    {
      name: 'MySQLStore (MariaDB)',
      skip: () => serviceSkipReason(SERVICES.mysql),
      async open() {
        const pool = mysql.createPool({ uri: 'mysql://root@127.0.0.1:3306/test', connectionLimit: poolSize });
        const tableName = `sessions_${suffix}`;
        const store = new MySQLStore({ pool, tableName, pruneInterval });
        return {
          store,
          async release() {
            await store.close();
            await pool.query(`DROP TABLE IF EXISTS \`${tableName}\`, \`${tableName}_forwards\``);
            await pool.end();
          },
        };
      },
      async openAnother() {
        const pool = mysql.createPool({ uri: 'mysql://root@127.0.0.1:3306/test', connectionLimit: poolSize });
        const store = new MySQLStore({ pool, tableName: `sessions_${suffix}`, pruneInterval });
        return {
          store,
          async release() {
            await store.close();
            await pool.end();
          },
        };
      },
    },
  ];
}
