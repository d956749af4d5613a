/**
 * The README's first example as a user runs it: started as its own process (`node app.mjs`) in an
 * empty folder, then used over real HTTP as a browser would. Shared by the in-repository test of
 * docs/examples/ and by the test that installs the packed tarballs into a fresh app.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { Client } from '../../packages/coatcheck/test/helpers/http.js';

export interface RunningApp {
  url: string;
  output(): string;
  stop(): Promise<void>;
}

/** A port nothing listens on right now. */
export async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Starts `node <args>` in `cwd` with `PORT` set, resolving once it prints "listening on". */
export async function startApp(
  args: string[],
  {
    cwd,
    env = {},
    timeout = 20_000,
  }: { cwd: string; env?: Record<string, string | undefined>; timeout?: number },
): Promise<RunningApp> {
  const port = await freePort();
  const environment: Record<string, string | undefined> = { ...process.env, NODE_OPTIONS: '', ...env };
  for (const [name, value] of Object.entries(environment)) if (value === undefined) delete environment[name];
  const child: ChildProcess = spawn(process.execPath, args, {
    cwd,
    env: { ...environment, PORT: String(port) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk) => {
    output += chunk;
  });
  child.stderr?.on('data', (chunk) => {
    output += chunk;
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`no "listening on" within ${timeout} ms:\n${output}`)),
      timeout,
    );
    const check = () => {
      if (output.includes(`listening on http://localhost:${port}`)) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout?.on('data', check);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`exited with ${code} before listening:\n${output}`));
    });
  });
  return {
    url: `http://127.0.0.1:${port}`,
    output: () => output,
    stop: async () => {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}

const sameOrigin = { 'sec-fetch-site': 'same-origin', 'content-type': 'application/x-www-form-urlencoded' };

/**
 * Everything the README says the first example does: counts visits in a session, signs in with a
 * new session ID (the old one dead), escapes the name, refuses a cross-site post, signs out.
 * Returns the signed-in browser, for a caller that restarts the app and checks it still knows it.
 */
export async function exerciseFirstApp(url: string, cwd: string): Promise<Client> {
  const browser = new Client(url);
  const first = await browser.fetch('/');
  assert.equal(first.status, 200);
  assert.match(await first.text(), /Not signed in\. Visits: 1\./);
  const cookie = first.setCookies.find((line) => line.startsWith('connect.sid='));
  assert.ok(cookie, 'the first visit sets the session cookie');
  assert.match(cookie, /; HttpOnly/);
  assert.match(cookie, /; SameSite=Lax/);
  assert.match(await browser.text('/'), /Visits: 2\./);
  assert.ok(existsSync(join(cwd, 'data', 'sessions.db')), 'sessions are in data/sessions.db, folder created');

  const before = browser.jar.get('connect.sid');
  const login = await browser.fetch('/login', {
    method: 'POST',
    headers: sameOrigin,
    body: 'user=<b>ada</b>',
  });
  assert.equal(login.status, 302);
  assert.notEqual(browser.jar.get('connect.sid'), before, 'login rotates the session ID');
  assert.match(await browser.text('/'), /Signed in as &#60;b&#62;ada&#60;\/b&#62;\. Visits: 3\./);
  const stale = await new Client(url).text('/', { cookie: `connect.sid=${before}` });
  assert.match(stale, /Not signed in\. Visits: 1\./, 'the ID from before the login is dead');

  const forged = await browser.fetch('/logout', {
    method: 'POST',
    headers: { ...sameOrigin, 'sec-fetch-site': 'cross-site', origin: 'https://evil.example' },
  });
  assert.equal(forged.status, 403, 'csrf() refuses a cross-site post');
  assert.match(await browser.text('/'), /Signed in as .*Visits: 4\./);

  const other = new Client(url);
  await other.fetch('/');
  await other.fetch('/login', { method: 'POST', headers: sameOrigin, body: 'user=grace' });
  const logout = await other.fetch('/logout', { method: 'POST', headers: sameOrigin });
  assert.equal(logout.status, 302);
  assert.equal(other.jar.has('connect.sid'), false, 'logout clears the cookie');
  return browser;
}

/** The same browser, pointed at the app again after a restart on another port. */
export function sameBrowser(browser: Client, url: string): Client {
  const again = new Client(url);
  for (const [name, value] of browser.jar) again.jar.set(name, value);
  return again;
}
