/** The default context, with `pool` a pg pool on a schema of the documentation's own. */
import pg from 'pg';

export * from './default.js';

const SCHEMA = 'coatcheck_docs';
const connection = {
  host: '127.0.0.1',
  port: 5432,
  user: process.env.PGUSER ?? 'postgres',
  database: 'test',
};
const setup = new pg.Client(connection);
await setup.connect();
await setup.query(`CREATE SCHEMA IF NOT EXISTS ${SCHEMA}`);
await setup.end();

export const pool = new pg.Pool({ ...connection, options: `-c search_path=${SCHEMA}` });
