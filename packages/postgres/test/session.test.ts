import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { SERVICES, serviceSkipReason } from '../../../test/helpers/services.js';
import { PostgresStore } from '../src/index.js';
import { type RunningApp, startApp } from './fixtures/app.js';

const connectionString = 'postgres://postgres@127.0.0.1:5432/test';
const skip = await serviceSkipReason(SERVICES.postgres);
const tableName = `sessions_http_${randomBytes(4).toString('hex')}`;

interface KeysResponse {
  pid: number;
  data: Record<string, number>;
}

/** Runs fixtures/app.ts as its own process and resolves once it listens. */
async function spawnApp(): Promise<{ url: string; child: ChildProcess }> {
  const script = fileURLToPath(new URL('./fixtures/app.ts', import.meta.url));
  const child = spawn(
    process.execPath,
    ['--conditions=coatcheck-source', '--import', 'tsx', script, connectionString, tableName],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const [line] = (await once(child.stdout as NonNullable<typeof child.stdout>, 'data')) as [Buffer];
  return { url: line.toString().trim(), child };
}

async function put(url: string, key: string, cookie: string): Promise<void> {
  const response = await fetch(`${url}/keys/${key}`, { method: 'PUT', headers: { cookie } });
  assert.equal(await response.text(), 'ok');
}

async function keys(url: string, cookie: string): Promise<KeysResponse> {
  return (await (await fetch(`${url}/keys`, { headers: { cookie } })).json()) as KeysResponse;
}

async function login(url: string): Promise<string> {
  const response = await fetch(`${url}/keys/first`, { method: 'PUT' });
  assert.equal(await response.text(), 'ok');
  return response.headers.get('set-cookie')?.split(';')[0] ?? assert.fail('no session cookie');
}

describe('PostgresStore under coatcheck session(), over HTTP', { skip }, () => {
  let pool: pg.Pool;
  let store: PostgresStore;
  let app: RunningApp;

  before(async () => {
    pool = new pg.Pool({ connectionString, max: 10 });
    store = new PostgresStore({ pool, tableName });
    app = await startApp(store);
  });
  after(async () => {
    await app.close();
    await store.close();
    await pool.query(`DROP TABLE IF EXISTS "${tableName}", "${tableName}_forwards"`);
    await pool.end();
  });

  it('keeps all 50 keys written by 50 overlapping requests', async () => {
    const cookie = await login(app.url);
    const names = Array.from({ length: 50 }, (_, i) => `key${i}`);
    await Promise.all(names.map((name) => put(app.url, name, cookie)));
    const { data } = await keys(app.url, cookie);
    assert.deepEqual(Object.keys(data).sort(), ['first', ...names].sort());
  });

  it('two app processes sharing the database serve the same sessions and keep each other’s writes', async () => {
    const [a, b] = await Promise.all([spawnApp(), spawnApp()]);
    try {
      const cookie = await login(a.url);
      const seenByB = await keys(b.url, cookie);
      assert.notEqual(seenByB.pid, a.child.pid, 'answered by the other process');
      assert.deepEqual(Object.keys(seenByB.data), ['first'], 'B reads the session A created');

      const names = Array.from({ length: 20 }, (_, i) => `key${i}`);
      await Promise.all(names.map((name, i) => put(i % 2 ? a.url : b.url, name, cookie)));
      const fromA = await keys(a.url, cookie);
      assert.deepEqual(Object.keys(fromA.data).sort(), ['first', ...names].sort());
      names.forEach((name, i) => {
        assert.equal(fromA.data[name], (i % 2 ? a : b).child.pid, `${name} written by its process`);
      });
    } finally {
      for (const { child } of [a, b]) {
        child.kill('SIGTERM');
        await once(child, 'exit');
      }
    }
  });
});
