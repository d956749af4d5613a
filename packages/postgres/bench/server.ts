// One benchmark server: `server.ts <coatcheck|express-session> <connectionString> <table>`. Prints its
// URL. coatcheck runs session() on a PostgresStore, the other express-session on connect-pg-simple,
// each on its own pg pool, whose queries are counted (GET /__queries) to report round trips.

import { createRequire } from 'node:module';
import { PostgresStore } from '@coatcheck/postgres';
import session from 'coatcheck';
import expressSession from 'express-session';
import pg from 'pg';
import { serveBenchApp } from '../../../scripts/lib/bench-app.js';

const [kind, connectionString, table] = process.argv.slice(2) as [string, string, string];
const secret = 'a benchmark secret of at least 32 bytes';
const pool = new pg.Pool({ connectionString, max: 10 });
let queries = 0;
const query = pool.query.bind(pool) as (...args: unknown[]) => unknown;
pool.query = ((...args: unknown[]) => {
  queries++;
  return query(...args);
}) as typeof pool.query;

// connect-pg-simple ships no types: this is the slice of its API used here.
const connectPgSimple = createRequire(import.meta.url)('connect-pg-simple') as (
  session: typeof expressSession,
) => new (options: {
  pool: pg.Pool;
  tableName: string;
  createTableIfMissing: boolean;
}) => expressSession.Store;
const PgStore = connectPgSimple(expressSession);
const middleware =
  kind === 'coatcheck'
    ? session({ secret, store: new PostgresStore({ pool, tableName: table }) })
    : expressSession({
        secret,
        store: new PgStore({ pool, tableName: table, createTableIfMissing: true }),
        resave: false,
        saveUninitialized: false,
      });

serveBenchApp(middleware, {
  onClose: () => pool.end(),
  routes: (app) => app.get('/__queries', (_req, res) => res.json({ queries })),
});
