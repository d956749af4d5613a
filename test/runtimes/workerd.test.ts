/**
 * coatcheck/fetch on an edge runtime with no `node:` modules (issue 17): Cloudflare's workerd, the
 * runtime under Cloudflare Workers, run with no compatibility flags (so no nodejs_compat: no
 * `node:crypto`, no Buffer, no process). test/runtimes/edge-worker.ts is bundled with esbuild for
 * the `workerd` export condition, as wrangler bundles for it, served on 127.0.0.1 and driven over
 * HTTP: a sealed session counting views, a tampered cookie, rotate(), CSRF, a MemoryStore session,
 * a Hono app with @coatcheck/hono, and sealed cookies moving between Node.js and workerd both ways. The binary comes from
 * tools/runtimes (the npm package of its official build); outside CI a missing one skips with a
 * line saying how to fetch it.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { seal, sealingKeys, unseal } from '../../packages/coatcheck/src/cookies/seal.js';
import { RUNTIMES, runtimePath } from '../../tools/runtimes/runtimes.mjs';
import { EDGE_SECRET, HONO_COOKIE, SEALED_COOKIE } from './edge-shared.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const inCI = process.env.CI === 'true' || process.env.CI === '1';
const binary = runtimePath('workerd');
const missing = existsSync(binary)
  ? undefined
  : `workerd ${RUNTIMES.workerd.version} is not here; fetch it with: node tools/runtimes/runtimes.mjs fetch`;
if (missing && inCI) throw new Error(missing);
if (missing) console.log(`# skipping: ${missing}`);

/** A port free on 127.0.0.1 a moment ago (workerd takes its address from the config). */
async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  server.close();
  await once(server, 'close');
  return port;
}

function config(port: number): string {
  return `using Workerd = import "/workerd/workerd.capnp";
const config :Workerd.Config = (
  services = [(name = "main", worker = .worker)],
  sockets = [(name = "http", address = "127.0.0.1:${port}", http = (), service = "main")],
);
const worker :Workerd.Worker = (
  modules = [(name = "worker.js", esModule = embed "worker.js")],
  compatibilityDate = "2025-01-01",
);
`;
}

/** The cookie `name` from a response's Set-Cookie lines, as `name=value` for the next request. */
function cookieOf(response: Response, name: string): string {
  const line = response.headers.getSetCookie().find((value) => value.startsWith(`${name}=`));
  assert.ok(line, `no ${name} cookie in ${JSON.stringify(response.headers.getSetCookie())}`);
  return line.split(';')[0] as string;
}

describe(`coatcheck/fetch on workerd ${RUNTIMES.workerd.version}, no compatibility flags, over HTTP`, {
  skip: missing,
}, () => {
  let dir: string;
  let base: string;
  let child: ReturnType<typeof spawn>;
  let stderr = '';
  const get = (path: string, cookie?: string, init: RequestInit = {}) =>
    fetch(`${base}${path}`, { ...init, headers: { ...(cookie ? { cookie } : {}), ...(init.headers ?? {}) } });

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'coatcheck-workerd-'));
    const bundle = await build({
      entryPoints: [join(ROOT, 'test/runtimes/edge-worker.ts')],
      bundle: true,
      format: 'esm',
      platform: 'neutral',
      // What wrangler resolves with, and coatcheck's sources instead of its build.
      conditions: ['workerd', 'worker', 'browser', 'coatcheck-source'],
      outfile: join(dir, 'worker.js'),
      metafile: true,
      logLevel: 'silent',
    });
    // Nothing may reach for node: — workerd without nodejs_compat would refuse to load the module.
    const nodeImports = Object.entries(bundle.metafile.inputs).flatMap(([file, input]) =>
      input.imports
        .filter((entry) => entry.path.startsWith('node:'))
        .map((entry) => `${file} → ${entry.path}`),
    );
    assert.deepEqual(nodeImports, []);
    const port = await freePort();
    writeFileSync(join(dir, 'config.capnp'), config(port));
    child = spawn(binary, ['serve', 'config.capnp'], { cwd: dir, stdio: ['ignore', 'inherit', 'pipe'] });
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    base = `http://127.0.0.1:${port}`;
    const deadline = Date.now() + 30_000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`workerd exited (${child.exitCode}): ${stderr}`);
      try {
        await fetch(`${base}/runtime`);
        break;
      } catch (err) {
        if (Date.now() > deadline)
          throw new Error(`workerd did not answer on ${base}: ${stderr}`, { cause: err });
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
  });

  after(async () => {
    if (child && child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      await once(child, 'exit');
    }
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('runs with no Buffer and no process: only what a Worker without nodejs_compat has', async () => {
    assert.deepEqual(await (await get('/runtime')).json(), { buffer: 'undefined', process: 'undefined' });
  });

  it('deviceBound is refused at construction with a TypeError: the proofs need node:crypto', async () => {
    const answer = (await (await get('/device-bound')).json()) as { refused: boolean; message: string };
    assert.equal(answer.refused, true);
    assert.match(answer.message, /deviceBound needs node:crypto/);
  });

  it('a sealed session counts views across requests', async () => {
    let cookie: string | undefined;
    for (const expected of [1, 2, 3]) {
      const response = await get('/sealed/views', cookie);
      assert.equal(response.status, 200);
      assert.equal(((await response.json()) as { views: number }).views, expected);
      cookie = cookieOf(response, SEALED_COOKIE);
    }
  });

  it('a tampered sealed cookie gives a fresh session, not an error', async () => {
    const first = await get('/sealed/views');
    const cookie = cookieOf(first, SEALED_COOKIE);
    const second = await get('/sealed/views', cookie);
    const good = cookieOf(second, SEALED_COOKIE);
    // One character of the ciphertext changed: the seal no longer authenticates.
    const at = good.length - 10;
    const tampered = good.slice(0, at) + (good[at] === 'A' ? 'B' : 'A') + good.slice(at + 1);
    const response = await get('/sealed/views', tampered);
    assert.equal(response.status, 200);
    assert.equal(((await response.json()) as { views: number }).views, 1);
  });

  it('rotate() gives the session a new ID and keeps its data', async () => {
    const first = await get('/sealed/views');
    const { id } = (await first.json()) as { id: string };
    const rotated = await get('/sealed/rotate', cookieOf(first, SEALED_COOKIE));
    const after = (await rotated.json()) as { id: string; views: number };
    assert.notEqual(after.id, id);
    assert.equal(after.views, 1);
    const next = await get('/sealed/views', cookieOf(rotated, SEALED_COOKIE));
    assert.deepEqual(await next.json(), { views: 2, id: after.id });
  });

  it('CSRF refuses a POST without its token and takes one with it', async () => {
    const issued = await get('/sealed/token');
    const { token } = (await issued.json()) as { token: string };
    const cookie = cookieOf(issued, SEALED_COOKIE);
    // Same-origin, as a browser's form post says: the Origin check passes, the token decides.
    const post = (headers: Record<string, string> = {}) =>
      get('/sealed/submit', cookie, { method: 'POST', headers: { origin: base, ...headers } });
    const refused = await post();
    assert.equal(refused.status, 403);
    assert.deepEqual(await refused.json(), { reason: 'token-missing' });
    const wrong = await post({ 'x-csrf-token': 'A'.repeat(86) });
    assert.equal(wrong.status, 403);
    const accepted = await post({ 'x-csrf-token': token });
    assert.equal(accepted.status, 200);
    assert.deepEqual(await accepted.json(), { saved: true });
  });

  it('a MemoryStore session (fetchSessions) counts views, and a forged signature starts afresh', async () => {
    const first = await get('/stored/views');
    assert.equal(first.status, 200, await first.clone().text());
    const cookie = cookieOf(first, 'edge.sid');
    assert.equal(((await first.json()) as { views: number }).views, 1);
    const second = await get('/stored/views', cookie);
    assert.equal(((await second.json()) as { views: number }).views, 2);
    const forged = `${cookie.slice(0, -3)}${cookie.endsWith('AAA') ? 'BBB' : 'AAA'}`;
    const fresh = await get('/stored/views', forged);
    assert.equal(fresh.status, 200);
    assert.equal(((await fresh.json()) as { views: number }).views, 1);
  });

  it('@coatcheck/hono on a Hono app: a sealed session across requests, rotate() on the object held, CSRF', async () => {
    const first = await get('/hono/views');
    assert.equal(first.status, 200, await first.clone().text());
    let cookie = cookieOf(first, HONO_COOKIE);
    const before = (await first.json()) as { views: number; id: string };
    assert.equal(before.views, 1);
    const second = await get('/hono/views', cookie);
    assert.equal(((await second.json()) as { views: number }).views, 2);
    cookie = cookieOf(second, HONO_COOKIE);
    // Handing out a token keeps its secret in the session: the sealed cookie is sent again.
    const issued = await get('/hono/token', cookie);
    const { token } = (await issued.json()) as { token: string };
    cookie = cookieOf(issued, HONO_COOKIE);
    // Same-origin, as a browser's form post says: the Origin check passes, the token decides.
    const post = (headers: Record<string, string> = {}) =>
      get('/hono/rotate', cookie, { method: 'POST', headers: { origin: base, ...headers } });
    const refused = await post();
    assert.equal(refused.status, 403, 'a POST without its CSRF token');
    const rotated = await post({ 'x-csrf-token': token });
    assert.equal(rotated.status, 200, await rotated.clone().text());
    const moved = (await rotated.json()) as { views: number; id: string };
    assert.equal(moved.views, 2);
    assert.notEqual(moved.id, before.id);
    const third = await get('/hono/views', cookieOf(rotated, HONO_COOKIE));
    assert.deepEqual(await third.json(), { views: 3, id: moved.id });
  });

  it('a session sealed on Node.js opens on workerd, and one sealed there opens on Node.js', async () => {
    const keys = sealingKeys(EDGE_SECRET, { purpose: 'session' });
    const now = Date.now();
    const record = {
      i: 'sealed-on-node-session-id-0123',
      d: { views: 41 },
      c: now,
      t: now,
      e: now + 3_600_000,
    };
    const fromNode = seal(JSON.stringify(record), keys, { name: SEALED_COOKIE, expires: record.e });
    const response = await get('/sealed/views', `${SEALED_COOKIE}=${fromNode}`);
    assert.deepEqual(await response.json(), { views: 42, id: record.i });
    const fromWorkerd = decodeURIComponent(cookieOf(response, SEALED_COOKIE).slice(SEALED_COOKIE.length + 1));
    const opened = unseal(fromWorkerd, keys, { name: SEALED_COOKIE });
    assert.ok(opened.valid);
    assert.equal(JSON.parse(opened.value).d.views, 42);
  });
});
