// examples/koa over real HTTP: the walk every example passes (test/helpers/example-scenario.ts),
// on its SQLite store, served in this process and as `npm start` serves it.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { SQLiteStore } from '@coatcheck/sqlite';
import { listen } from '../../../packages/coatcheck/test/helpers/http.js';
import { startExampleServer, walkExample } from '../../../test/helpers/example-scenario.js';
import { createApp } from '../src/app.js';

const data = mkdtempSync(join(tmpdir(), 'coatcheck-example-koa-'));
after(() => rmSync(data, { recursive: true, force: true }));

it('walks through sign-in, devices and sign-out on SQLite', async () => {
  const store = new SQLiteStore({ path: join(data, 'walk.db') });
  const app = createApp({ store, secret: 'the koa example: a secret of 32 bytes or more' });
  const server = await listen(app.callback());
  try {
    await walkExample(server.url);
  } finally {
    await server.close();
    await store.close();
  }
});

it('serves the same walk from src/server.ts, as npm start runs it', async () => {
  const server = await startExampleServer(fileURLToPath(new URL('..', import.meta.url)), data);
  try {
    await walkExample(server.url);
  } finally {
    await server.stop();
  }
});
