/**
 * Hostile load on the default MemoryStore (issue 11, item 15), over real HTTP:
 *
 * - 10 000 anonymous requests to a page that calls `req.csrfToken()` (each makes and stores a
 *   session) log no signed-in user out: anonymous sessions are evicted first;
 * - 3 000 anonymous requests storing 95 kB each leave the server's heap bounded by the store's
 *   `maxBytes` (64 MiB by default), measured with forced collections in a child process; the same
 *   flood on a store without a byte bound grows the heap by more than 200 MiB, so the check can fail.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { Agent, createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import session, { csrf, type MemoryStore } from 'coatcheck';
import express from 'express';
import { Client } from '../../packages/coatcheck/test/helpers/http.js';

const SECRET = 'flood test: a secret of at least thirty-two bytes';
const MiB = 1024 * 1024;
const figures: string[] = [];

/** A GET on a keep-alive agent: its status, and whether it set a cookie. */
function get(url: string, agent: Agent): Promise<{ status: number; setCookie: boolean }> {
  return new Promise((resolve, reject) => {
    request(url, { agent }, (response) => {
      response.resume();
      response.on('end', () =>
        resolve({
          status: response.statusCode ?? 0,
          setCookie: (response.headers['set-cookie'] ?? []).length > 0,
        }),
      );
    })
      .on('error', reject)
      .end();
  });
}

/** Runs `count` calls of `task`, `concurrency` at a time. */
async function pool(count: number, concurrency: number, task: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) await task(next++);
    }),
  );
}

describe('a flood of anonymous sessions on the default MemoryStore', () => {
  const servers: Array<{ close(): Promise<void> }> = [];
  after(() => Promise.all(servers.map((s) => s.close())));

  it('10 000 anonymous requests to a page calling req.csrfToken() keep every signed-in user signed in', async () => {
    const sessions = session({ secret: SECRET, userKey: 'userId' });
    const store = sessions.store as MemoryStore;
    const app = express();
    app.use(sessions);
    // Signing in is not what is under test: its route comes before the CSRF check.
    app.post('/login/:user', (req, res) => {
      (req.session as unknown as Record<string, unknown>).userId = req.params.user;
      res.send('ok');
    });
    app.use(csrf({ token: { field: '_csrf' } }));
    app.get('/form', (req, res) => {
      res.send(`<input type="hidden" name="_csrf" value="${req.csrfToken()}">`);
    });
    app.get('/me', (req, res) => {
      res.json({ userId: (req.session as unknown as Record<string, unknown>).userId ?? null });
    });
    // Node's default keep-alive timeout (the shared test helper closes idle connections at once).
    const http = createServer(app);
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    const server = {
      url: `http://127.0.0.1:${(http.address() as AddressInfo).port}`,
      close: () =>
        new Promise<void>((resolve) => {
          http.closeAllConnections();
          http.close(() => resolve());
        }),
    };
    servers.push(server);

    const users = Array.from({ length: 200 }, (_, i) => ({
      name: `user-${i}`,
      client: new Client(server.url),
    }));
    for (const { name, client } of users) {
      const response = await client.fetch(`/login/${name}`, { method: 'POST' });
      assert.equal(response.status, 200);
    }
    const started = performance.now();
    let withCookie = 0;
    // Keep-alive connections, as a bot would use: the flood is the sessions, not the handshakes.
    const agent = new Agent({ keepAlive: true, maxSockets: 16 });
    await pool(10_000, 16, async () => {
      const { status, setCookie } = await get(`${server.url}/form`, agent);
      assert.equal(status, 200);
      if (setCookie) withCookie++;
    });
    agent.destroy();
    const seconds = (performance.now() - started) / 1000;
    assert.equal(withCookie, 10_000, 'every anonymous request stored a session');
    let signedIn = 0;
    for (const { name, client } of users) {
      const me = (await (await client.fetch('/me')).json()) as { userId: string | null };
      if (me.userId === name) signedIn++;
    }
    const count = await store.count();
    figures.push(
      `10 000 anonymous requests in ${seconds.toFixed(1)} s: ${signedIn} of ${users.length} signed-in users still signed in, ${count} sessions held (max ${store.max})`,
    );
    assert.equal(signedIn, users.length, 'every signed-in user is still signed in');
    assert.ok(count <= store.max, `${count} sessions held`);
    assert.ok(count > store.max / 2, 'anonymous sessions are kept up to the bound, not dropped wholesale');
  });

  async function floodHeap(kind: 'default' | 'unbounded') {
    const child = spawn(
      process.execPath,
      [
        '--expose-gc',
        '--conditions=coatcheck-source',
        '--import',
        'tsx',
        fileURLToPath(new URL('./fixtures/flood-server.ts', import.meta.url)),
        kind,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, NODE_ENV: 'production' } },
    );
    try {
      const [chunk] = (await once(child.stdout, 'data')) as [Buffer];
      const url = chunk.toString().trim();
      const heap = async () =>
        (await (await fetch(`${url}/__heap`)).json()) as { heap: number; bytes: number; count: number };
      const note = (i: number) => `${i}:`.padEnd(95_000, 'n');
      // Warm up (code loaded, JIT, first buffers), then measure from there.
      await pool(20, 4, async (i) => {
        await (
          await fetch(`${url}/note`, {
            method: 'POST',
            body: note(i),
            headers: { 'content-type': 'text/plain' },
          })
        ).text();
      });
      const before = await heap();
      await pool(3_000, 8, async (i) => {
        const response = await fetch(`${url}/note`, {
          method: 'POST',
          body: note(i),
          headers: { 'content-type': 'text/plain' },
        });
        assert.equal(response.status, 200);
        await response.text();
      });
      const afterFlood = await heap();
      return { growth: afterFlood.heap - before.heap, ...afterFlood };
    } finally {
      child.kill('SIGKILL');
    }
  }

  it('3 000 anonymous requests storing 95 kB each grow the heap by at most 1.5 × maxBytes (64 MiB)', async () => {
    const result = await floodHeap('default');
    figures.push(
      `3 000 × 95 kB anonymous: heap +${(result.growth / MiB).toFixed(1)} MiB, store holds ${(result.bytes / MiB).toFixed(1)} MiB in ${result.count} sessions`,
    );
    assert.ok(result.bytes <= 64 * MiB, `the store holds ${result.bytes} bytes`);
    assert.ok(result.growth < 96 * MiB, `the heap grew by ${(result.growth / MiB).toFixed(1)} MiB`);
  });

  it('control: the same flood on a store without a byte bound grows the heap by more than 200 MiB', async () => {
    const result = await floodHeap('unbounded');
    figures.push(`control, maxBytes Infinity: heap +${(result.growth / MiB).toFixed(1)} MiB`);
    assert.ok(result.growth > 200 * MiB, `the heap grew by ${(result.growth / MiB).toFixed(1)} MiB`);
  });
});

after(() => {
  if (figures.length > 0) console.log(`# flood figures\n${figures.map((line) => `#   ${line}`).join('\n')}`);
});
