// The refresh flow of the README over real HTTP: login, use the access token, rotate the refresh
// cookie, replay a stolen one; also with the store flooded by other sessions, and across a restart.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { SQLiteStore } from '@coatcheck/sqlite';
import { MemoryStore, type SessionStore } from 'coatcheck';
import type { CookieOptions, Express } from 'express';
import { jwt, refreshTokens, signToken } from '../../src/index.js';
import { cookieParser, json, serve, versions } from '../express/apps.js';
import { type Listening, secret } from '../helpers.js';

const refreshCookieOf = (response: Response) =>
  /refresh_token=([^;]*)/.exec(response.headers.get('set-cookie') ?? '')?.[1];

/** The README's app: /login issues, /token rotates, /me needs the access token. */
function refreshApp(createApp: () => Express, store: SessionStore): Express {
  const refresh = refreshTokens({ store, ttl: '14d' });
  const cookie: CookieOptions = { httpOnly: true, sameSite: 'strict', path: '/token' };
  const access = (sub: string, role: unknown) =>
    signToken({ sub, role }, { key: secret, algorithm: 'HS256', expiresIn: '5m' });
  const app = createApp();
  app.use(cookieParser());
  app.post('/login', async (_req, res) => {
    const { token } = await refresh.issue('user-1', { role: 'admin' });
    res.cookie('refresh_token', token, cookie);
    res.json({ access: await access('user-1', 'admin') });
  });
  app.post('/token', async (req, res, next) => {
    try {
      const rotated = await refresh.rotate(req.cookies.refresh_token);
      res.cookie('refresh_token', rotated.token, cookie);
      res.json({ access: await access(rotated.subject, rotated.data.role) });
    } catch (error) {
      next(error);
    }
  });
  app.get('/me', jwt({ secret, algorithms: ['HS256'] }), (req, res) => {
    res.json((req as unknown as { auth: unknown }).auth);
  });
  return app;
}

const post = (server: Listening, path: string, refreshToken?: string) =>
  fetch(`${server.url}${path}`, {
    method: 'POST',
    headers: refreshToken ? { cookie: `refresh_token=${refreshToken}` } : {},
  });

for (const [version, createApp] of versions) {
  describe(`refresh rotation over HTTP on ${version}`, () => {
    let server: Listening;
    before(async () => {
      server = await serve(refreshApp(createApp, new MemoryStore()));
    });
    after(() => server.close());

    it('rotates the cookie on every refresh and revokes the family when an old one comes back', async () => {
      const login = await post(server, '/login');
      const first = refreshCookieOf(login)!;
      assert.match(login.headers.get('set-cookie')!, /HttpOnly/);
      const me = await fetch(`${server.url}/me`, {
        headers: { authorization: `Bearer ${(await json(login)).access}` },
      });
      assert.equal((await json(me)).role, 'admin');

      const refreshed = await post(server, '/token', first);
      assert.equal(refreshed.status, 200);
      const second = refreshCookieOf(refreshed)!;
      assert.notEqual(second, first);
      assert.equal((await json(refreshed)).access.split('.').length, 3);

      // A copy of the first cookie, replayed: the family is revoked.
      const replay = await post(server, '/token', first);
      assert.equal(replay.status, 401);
      assert.equal((await json(replay)).code, 'revoked_token');
      const legitimate = await post(server, '/token', second);
      assert.equal(legitimate.status, 401);
      assert.equal((await json(legitimate)).code, 'invalid_token');
    });

    it('refuses a refresh without a cookie', async () => {
      const response = await post(server, '/token');
      assert.equal(response.status, 401);
      assert.equal((await json(response)).code, 'invalid_token');
    });
  });

  describe(`refresh reuse detection over HTTP on ${version}, under eviction and across a restart`, () => {
    it('detects the reuse of a stolen token after a flood of other sessions evicted everything it wrote', async () => {
      const store = new MemoryStore({ max: 50, pruneInterval: 0 });
      const server = await serve(refreshApp(createApp, store));
      try {
        const first = refreshCookieOf(await post(server, '/login'))!;
        // The thief refreshes first, and keeps refreshing while other users fill the store.
        let stolen = refreshCookieOf(await post(server, '/token', first))!;
        for (let round = 0; round < 20; round++) {
          for (let i = 0; i < 10; i++) {
            const at = Date.now();
            await store.write(`flood-${round}-${i}`, {
              data: { cart: [i] },
              expires: at + 60_000,
              created: at,
              touched: at,
              user: `someone-${round}-${i}`,
            });
          }
          const response = await post(server, '/token', stolen);
          assert.equal(response.status, 200);
          stolen = refreshCookieOf(response)!;
        }
        assert.ok((await store.count()) <= 50);
        const victim = await post(server, '/token', first);
        assert.equal(victim.status, 401);
        assert.equal((await json(victim)).code, 'revoked_token');
        const thief = await post(server, '/token', stolen);
        assert.equal(thief.status, 401);
        assert.equal((await json(thief)).code, 'invalid_token');
      } finally {
        await server.close();
        await store.close();
      }
    });

    it('detects the reuse after the server restarts on the same SQLite file', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'coatcheck-jwt-refresh-'));
      const path = join(dir, 'refresh.db');
      try {
        const before = new SQLiteStore({ path, pruneInterval: 0 });
        let server = await serve(refreshApp(createApp, before));
        const first = refreshCookieOf(await post(server, '/login'))!;
        const stolen = refreshCookieOf(await post(server, '/token', first))!;
        await server.close();
        await before.close();

        const afterRestart = new SQLiteStore({ path, pruneInterval: 0 });
        server = await serve(refreshApp(createApp, afterRestart));
        try {
          const victim = await post(server, '/token', first);
          assert.equal(victim.status, 401);
          assert.equal((await json(victim)).code, 'revoked_token');
          const thief = await post(server, '/token', stolen);
          assert.equal((await json(thief)).code, 'invalid_token');
        } finally {
          await server.close();
          await afterRestart.close();
        }
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });
}
