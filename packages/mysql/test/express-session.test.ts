import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { Server } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import expressSession from 'express-session';
import mysql from 'mysql2/promise';
import { SERVICES, serviceSkipReason } from '../../../test/helpers/services.js';
import { MySQLStore } from '../src/index.js';

// Express 4 is what most express-session apps still run; it ships no types, and its API here is 5's.
const express4 = createRequire(import.meta.url)('express4') as typeof import('express');

const skip = await serviceSkipReason(SERVICES.mysql);
const tableName = `sessions_express_${randomBytes(4).toString('hex')}`;

describe('MySQLStore under express-session on Express 4, over HTTP', { skip }, () => {
  let pool: mysql.Pool;
  let store: MySQLStore;
  let server: Server;
  let base: string;

  before(async () => {
    pool = mysql.createPool({ uri: 'mysql://root@127.0.0.1:3306/test', connectionLimit: 2 });
    store = new MySQLStore({ pool, tableName });
    const app = express4();
    // The cast bridges coatcheck's narrower `regenerate(req)` typing; at run time the store is used as is.
    app.use(
      expressSession({
        secret: 'test secret',
        store: store as unknown as expressSession.Store,
        resave: false,
        saveUninitialized: false,
        rolling: true,
        cookie: { maxAge: 60_000 },
      }),
    );
    app.put('/cart/:item', (req, res) => {
      const session = req.session as unknown as { cart?: string[] };
      session.cart = [...(session.cart ?? []), req.params.item];
      res.json(session.cart);
    });
    app.get('/cart', (req, res) => res.json((req.session as unknown as { cart?: string[] }).cart ?? []));
    await new Promise<void>((resolve) => {
      server = app.listen(0, '127.0.0.1', () => resolve());
    });
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    await new Promise((resolve) => server.close(resolve));
    await store.close();
    await pool.query(`DROP TABLE IF EXISTS \`${tableName}\`, \`${tableName}_forwards\``);
    await pool.end();
  });

  it('keeps data across requests with the cookie, and touch moves the row’s expiry', async () => {
    const first = await fetch(`${base}/cart/apple`, { method: 'PUT' });
    assert.deepEqual(await first.json(), ['apple']);
    const headers = { cookie: first.headers.get('set-cookie')?.split(';')[0] ?? '' };
    assert.match(headers.cookie, /^connect\.sid=s%3A/);
    // express-session saves while the body goes out: reading the body is what waits for the save.
    assert.deepEqual(await (await fetch(`${base}/cart/pear`, { method: 'PUT', headers })).json(), [
      'apple',
      'pear',
    ]);
    assert.deepEqual(await (await fetch(`${base}/cart`, { headers })).json(), ['apple', 'pear']);
    assert.deepEqual(await (await fetch(`${base}/cart`)).json(), [], 'no cookie, no cart');

    const expiry = async () => {
      const [rows] = await pool.query<mysql.RowDataPacket[]>(`SELECT expires FROM \`${tableName}\``);
      assert.equal(rows.length, 1, 'one session row');
      return Number(rows[0]?.expires);
    };
    const before = await expiry();
    await new Promise((resolve) => setTimeout(resolve, 20));
    // A read-only request with `rolling` makes express-session call touch(): our refresh().
    await (await fetch(`${base}/cart`, { headers })).json();
    assert.ok((await expiry()) > before, 'touch pushed the expiry');
  });
});
