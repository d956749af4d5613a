// examples/fastify over real HTTP: the walk every example passes (test/helpers/example-scenario.ts),
// on its SQLite store, served in this process and as `npm start` serves it.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { SQLiteStore } from '@coatcheck/sqlite';
import { startExampleServer, walkExample } from '../../../test/helpers/example-scenario.js';
import { createApp } from '../src/app.js';

const data = mkdtempSync(join(tmpdir(), 'coatcheck-example-fastify-'));
after(() => rmSync(data, { recursive: true, force: true }));

it('walks through sign-in, devices and sign-out on SQLite', async () => {
  const store = new SQLiteStore({ path: join(data, 'walk.db') });
  const app = await createApp({ store, secret: 'the fastify example: a secret of 32 bytes or more' });
  try {
    await walkExample(await app.listen({ port: 0, host: '127.0.0.1' }));
  } finally {
    await app.close();
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
