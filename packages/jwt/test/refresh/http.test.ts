// The refresh flow of the README over real HTTP: login, use the access token, rotate the refresh
// cookie, replay a stolen one.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { MemoryStore } from 'coatcheck';
import type { CookieOptions } from 'express';
import { jwt, refreshTokens, signToken } from '../../src/index.js';
import { cookieParser, json, serve, versions } from '../express/apps.js';
import { type Listening, secret } from '../helpers.js';

const refreshCookieOf = (response: Response) =>
  /refresh_token=([^;]*)/.exec(response.headers.get('set-cookie') ?? '')?.[1];

for (const [version, createApp] of versions) {
  describe(`refresh rotation over HTTP on ${version}`, () => {
    let server: Listening;
    before(async () => {
      const refresh = refreshTokens({ store: new MemoryStore(), ttl: '14d' });
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
      server = await serve(app);
    });
    after(() => server.close());

    const post = (path: string, refreshToken?: string) =>
      fetch(`${server.url}${path}`, {
        method: 'POST',
        headers: refreshToken ? { cookie: `refresh_token=${refreshToken}` } : {},
      });

    it('rotates the cookie on every refresh and revokes the family when an old one comes back', async () => {
      const login = await post('/login');
      const first = refreshCookieOf(login)!;
      assert.match(login.headers.get('set-cookie')!, /HttpOnly/);
      const me = await fetch(`${server.url}/me`, {
        headers: { authorization: `Bearer ${(await json(login)).access}` },
      });
      assert.equal((await json(me)).role, 'admin');

      const refreshed = await post('/token', first);
      assert.equal(refreshed.status, 200);
      const second = refreshCookieOf(refreshed)!;
      assert.notEqual(second, first);
      assert.equal((await json(refreshed)).access.split('.').length, 3);

      // A copy of the first cookie, replayed: the family is revoked.
      const replay = await post('/token', first);
      assert.equal(replay.status, 401);
      assert.equal((await json(replay)).code, 'revoked_token');
      const legitimate = await post('/token', second);
      assert.equal(legitimate.status, 401);
      assert.equal((await json(legitimate)).code, 'invalid_token');
    });

    it('refuses a refresh without a cookie', async () => {
      const response = await post('/token');
      assert.equal(response.status, 401);
      assert.equal((await json(response)).code, 'invalid_token');
    });
  });
}
