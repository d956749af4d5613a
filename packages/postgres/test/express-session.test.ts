import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import express from 'express';
import expressSession from 'express-session';
import pg from 'pg';
import { SERVICES, serviceSkipReason } from '../../../test/helpers/services.js';
import { PostgresStore } from '../src/index.js';

const skip = await serviceSkipReason(SERVICES.postgres);
const tableName = `sessions_express_${randomBytes(4).toString('hex')}`;

describe('PostgresStore under express-session, over HTTP', { skip }, () => {
  let pool: pg.Pool;
  let store: PostgresStore;
  let server: ReturnType<ReturnType<typeof express>['listen']>;
  let base: string;

  before(async () => {
    pool = new pg.Pool({ connectionString: 'postgres://postgres@127.0.0.1:5432/test', max: 2 });
    store = new PostgresStore({ pool, tableName });
    const app = express();
    // At run time the store is express-session's as is; the cast only bridges coatcheck's `Store`
    // typing of `regenerate(req)`, which is narrower than @types/express-session's Request.
    const connectStore = store as unknown as expressSession.Store;
    app.use(
      expressSession({ secret: 'test secret', store: connectStore, resave: false, saveUninitialized: false }),
    );
    app.post('/visit/:name', (req, res) => {
      const session = req.session as unknown as Record<string, unknown>;
      session.name = req.params.name;
      session.visits = Number(session.visits ?? 0) + 1;
      res.json({ visits: session.visits });
    });
    app.get('/me', (req, res) => {
      const { name, visits } = req.session as unknown as Record<string, unknown>;
      res.json({ name: name ?? null, visits: visits ?? 0 });
    });
    app.post('/logout', (req, res, next) => req.session.destroy((err) => (err ? next(err) : res.end())));
    await new Promise<void>((resolve) => {
      server = app.listen(0, '127.0.0.1', () => resolve());
    });
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    await new Promise((resolve) => server.close(resolve));
    await store.close();
    await pool.query(`DROP TABLE IF EXISTS "${tableName}", "${tableName}_forwards"`);
    await pool.end();
  });

  it('keeps data across requests with the cookie, in the table, until the session is destroyed', async () => {
    const first = await fetch(`${base}/visit/ada`, { method: 'POST' });
    assert.deepEqual(await first.json(), { visits: 1 });
    const cookie = first.headers.get('set-cookie')?.split(';')[0];
    assert.match(cookie ?? '', /^connect\.sid=/);
    const headers = { cookie: cookie as string };

    // express-session saves while the body goes out: reading the body is what waits for the save.
    assert.deepEqual(await (await fetch(`${base}/visit/ada`, { method: 'POST', headers })).json(), {
      visits: 2,
    });
    assert.deepEqual(await (await fetch(`${base}/me`, { headers })).json(), { name: 'ada', visits: 2 });
    assert.deepEqual(
      await (await fetch(`${base}/me`)).json(),
      { name: null, visits: 0 },
      'no cookie, no data',
    );

    const { rows } = await pool.query(`SELECT data->>'name' AS name FROM "${tableName}"`);
    assert.deepEqual(rows, [{ name: 'ada' }], 'the session is a row of the table');

    await (await fetch(`${base}/logout`, { method: 'POST', headers })).text();
    assert.deepEqual(await (await fetch(`${base}/me`, { headers })).json(), { name: null, visits: 0 });
    assert.equal(await store.count(), 0);
  });
});
