/** The default context, with `pool` a mysql2 pool on a database of the documentation's own. */
import mysql from 'mysql2/promise';

export * from './default.js';

const DATABASE = 'coatcheck_docs';
const connection = { host: '127.0.0.1', port: 3306, user: 'root' };
const setup = await mysql.createConnection(connection);
await setup.query(`CREATE DATABASE IF NOT EXISTS ${DATABASE}`);
await setup.end();

export const pool = mysql.createPool({ ...connection, database: DATABASE });
