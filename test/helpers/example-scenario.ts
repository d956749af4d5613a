// The walk every framework's example app (examples/*) is tested with, over HTTP: a guest's page
// views, a CSRF token required to sign in, rotation on sign-in that keeps the data, the devices
// list, "log out everywhere else", and signing out.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { SQLiteStore } from '@coatcheck/sqlite';
import { Client } from '../../packages/coatcheck/test/helpers/http.js';

/**
 * The two tests of an example app: the walk on an app `serve` starts in this process on a SQLite
 * store (resolving its URL and how to close it), then the same walk on `src/server.ts` as
 * `npm start` runs it. `exampleDir` is the example's folder URL.
 */
export function testExample(
  name: string,
  exampleDir: URL,
  serve: (store: SQLiteStore, secret: string) => Promise<{ url: string; close(): Promise<unknown> }>,
): void {
  const data = mkdtempSync(join(tmpdir(), `coatcheck-example-${name}-`));
  after(() => rmSync(data, { recursive: true, force: true }));

  it('walks through sign-in, devices and sign-out on SQLite', async () => {
    const store = new SQLiteStore({ path: join(data, 'walk.db') });
    const server = await serve(store, `the ${name} example: a secret of 32 bytes or more`);
    try {
      await walkExample(server.url);
    } finally {
      await server.close();
      await store.close();
    }
  });

  it('serves the same walk from src/server.ts, as npm start runs it', async () => {
    const server = await startExampleServer(fileURLToPath(exampleDir), data);
    try {
      await walkExample(server.url);
    } finally {
      await server.stop();
    }
  });
}

/** Runs the walk against an example app served at `url`. */
export async function walkExample(url: string): Promise<void> {
  const laptop = new Client(url);
  assert.equal(await laptop.text('/'), 'hello guest, 1 views');
  const before = laptop.cookieHeader();

  // Unsafe requests need the session's CSRF token: an old browser sends an Origin, no Sec-Fetch-Site.
  const origin = { origin: new URL(url).origin };
  const refused = await laptop.fetch('/login', { method: 'POST', headers: origin });
  assert.equal(refused.status, 403, 'no CSRF token');
  const token = await laptop.text('/csrf');
  const login = await laptop.fetch('/login', {
    method: 'POST',
    headers: { ...origin, 'x-csrf-token': token },
  });
  assert.equal(login.status, 200);
  assert.equal(await login.text(), 'signed in as ada');
  assert.notEqual(laptop.cookieHeader(), before, 'a new session ID on sign-in');
  assert.equal(await laptop.text('/'), 'hello ada, 2 views', 'the guest’s data is kept');

  const phone = new Client(url);
  const phoneToken = await phone.text('/csrf');
  await phone.fetch('/login', { method: 'POST', headers: { ...origin, 'x-csrf-token': phoneToken } });
  const devices = (await (await laptop.fetch('/devices')).json()) as Array<{ current: boolean }>;
  assert.deepEqual(devices.map((device) => device.current).sort(), [false, true]);

  const stale = await laptop.fetch('/logout-everywhere-else', {
    method: 'POST',
    headers: { ...origin, 'x-csrf-token': token },
  });
  assert.equal(stale.status, 403, 'a token from before sign-in no longer works');
  const fresh = await laptop.text('/csrf');
  const everywhere = await laptop.fetch('/logout-everywhere-else', {
    method: 'POST',
    headers: { ...origin, 'x-csrf-token': fresh },
  });
  assert.deepEqual(await everywhere.json(), { ended: 1 });
  assert.equal(await phone.text('/'), 'hello guest, 1 views', 'the phone is signed out');

  const logout = await laptop.fetch('/logout', {
    method: 'POST',
    headers: { 'sec-fetch-site': 'same-origin' },
  });
  assert.equal(logout.status, 200);
  assert.equal(laptop.jar.size, 0, 'the session cookie is cleared');
}

/**
 * Starts an example's `src/server.ts` as `npm start` does, on a free port with its sessions in
 * `dataDir`, and resolves its URL once it says where it listens; `stop()` ends it.
 */
export function startExampleServer(exampleDir: string, dataDir: string): Promise<ListeningProcess> {
  return startListening(
    process.execPath,
    ['--conditions=coatcheck-source', '--import', 'tsx', 'src/server.ts'],
    {
      cwd: exampleDir,
      env: { PORT: '0', DATA_DIR: dataDir },
    },
  );
}

export interface ListeningProcess {
  url: string;
  stop(): Promise<void>;
}

/** Runs `command` until it prints `listening on http://127.0.0.1:<port>`, and resolves that URL. */
export async function startListening(
  command: string,
  args: string[],
  { cwd, env = {} }: { cwd: string; env?: Record<string, string> },
): Promise<ListeningProcess> {
  const child = spawn(command, args, {
    cwd,
    env: { ...process.env, NODE_OPTIONS: '', ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  child.stdout.setEncoding('utf8');
  let output = '';
  const url = await new Promise<string>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) =>
      reject(new Error(`${command} exited (${code}) before listening: ${output}`)),
    );
    child.stdout.on('data', (chunk: string) => {
      output += chunk;
      const match = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(output);
      if (match) resolve(match[1] as string);
    });
  });
  return {
    url,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      await once(child, 'exit');
    },
  };
}
