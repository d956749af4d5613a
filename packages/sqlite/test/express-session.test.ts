import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import express from 'express';
import expressSession from 'express-session';
import { SQLiteStore } from '../src/index.js';

const dir = mkdtempSync(join(tmpdir(), 'coatcheck-sqlite-express-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** An app on a fresh SQLiteStore over `path`, as a server process would start. */
async function start(path: string): Promise<{ base: string; stop: () => Promise<void> }> {
  const store = new SQLiteStore({ path });
  const app = express();
  // The cast bridges coatcheck's narrower `regenerate(req)` typing; at run time the store is used as is.
  const connectStore = store as unknown as expressSession.Store;
  app.use(
    expressSession({ secret: 'test secret', store: connectStore, resave: false, saveUninitialized: false }),
  );
  app.post('/login/:user', (req, res) => {
    (req.session as unknown as { user: string }).user = req.params.user;
    res.send('ok');
  });
  app.get('/whoami', (req, res) => {
    res.send((req.session as unknown as { user?: string }).user ?? 'nobody');
  });
  const server = await new Promise<Server>((resolve) => {
    const listening: Server = app.listen(0, '127.0.0.1', () => resolve(listening));
  });
  return {
    base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    stop: async () => {
      await new Promise((resolve) => server.close(resolve));
      await store.close();
    },
  };
}

describe('SQLiteStore under express-session, over HTTP', () => {
  it('serves the session on the next request, and again after the app restarts', async () => {
    const path = join(dir, 'sessions.db');
    const first = await start(path);
    const login = await fetch(`${first.base}/login/ada`, { method: 'POST' });
    // express-session saves while the body goes out: reading the body is what waits for the save.
    assert.equal(await login.text(), 'ok');
    const headers = { cookie: login.headers.get('set-cookie')?.split(';')[0] ?? '' };
    assert.equal(await (await fetch(`${first.base}/whoami`, { headers })).text(), 'ada');
    assert.equal(await (await fetch(`${first.base}/whoami`)).text(), 'nobody');
    await first.stop();

    const restarted = await start(path);
    assert.equal(await (await fetch(`${restarted.base}/whoami`, { headers })).text(), 'ada');
    await restarted.stop();
  });
});
