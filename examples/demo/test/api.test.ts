import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { RunningDemo } from '../src/app.js';
import { Client, csrfTokenIn, type Reply } from './helpers/http.js';
import { startInProcess, tempDataDir } from './helpers/server.js';

const PASSWORD = 'correct horse battery';

interface TokenPair {
  access_token: string;
  refresh_token: string;
  token_type: string;
  expires_in: number;
}

const json = <T>(reply: Reply) => JSON.parse(reply.body) as T;
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

describe('the JSON API', () => {
  const data = tempDataDir();
  let demo: RunningDemo;
  let api: Client;

  async function login(username = 'ada'): Promise<TokenPair> {
    const reply = await api.send('POST', '/api/token', { json: { username, password: PASSWORD } });
    assert.equal(reply.status, 200, reply.body);
    return json<TokenPair>(reply);
  }
  const refresh = (token: string) => api.send('POST', '/api/refresh', { json: { refresh_token: token } });

  before(async () => {
    demo = await startInProcess(data.path, { ACCESS_TOKEN_TTL: '120' });
    api = new Client(demo.url);
    // An account made through the pages, with a cart in its browser session.
    const browser = new Client(demo.url);
    const form = await browser.get('/signup');
    await browser.post('/signup', { _csrf: csrfTokenIn(form.body), username: 'ada', password: PASSWORD });
    const home = await browser.get('/');
    await browser.post('/cart/add', { _csrf: csrfTokenIn(home.body), product: 'gloves' });
  });
  after(async () => {
    await demo.close();
    data.remove();
  });

  it('answers 401 with a Bearer challenge without a token, and 200 with one', async () => {
    const anonymous = await api.get('/api/me');
    assert.equal(anonymous.status, 401);
    assert.match(String(anonymous.headers['www-authenticate']), /^Bearer realm="coatcheck-demo"/);
    assert.equal(json<{ error: string }>(anonymous).error, 'credentials_required');

    const pair = await login();
    assert.equal(pair.token_type, 'Bearer');
    assert.equal(pair.expires_in, 120);
    const me = await api.get('/api/me', bearer(pair.access_token));
    assert.equal(me.status, 200);
    assert.equal(json<{ username: string }>(me).username, 'ada');
    assert.equal(me.headers['cache-control'], 'no-store');
  });

  it("reads the cart of the user's browser session", async () => {
    const { access_token } = await login();
    const cart = json<{ items: Array<{ id: string; quantity: number }>; total: number }>(
      await api.get('/api/cart', bearer(access_token)),
    );
    assert.deepEqual(
      cart.items.map((i) => [i.id, i.quantity]),
      [['gloves', 1]],
    );
    assert.equal(cart.total, 2900);
  });

  const badTokens: Array<[string, (valid: string) => string]> = [
    ['a tampered signature', (t) => `${t.slice(0, -4)}AAAA`],
    [
      'a tampered payload',
      (t) => t.replace(/\.[^.]+\./, `.${Buffer.from('{"sub":"x"}').toString('base64url')}.`),
    ],
    ['alg none', (t) => `${Buffer.from('{"alg":"none"}').toString('base64url')}.${t.split('.')[1]}.`],
    ['garbage', () => 'not-a-jwt'],
  ];
  for (const [name, forge] of badTokens) {
    it(`refuses ${name} with 401`, async () => {
      const { access_token } = await login();
      const reply = await api.get('/api/me', bearer(forge(access_token)));
      assert.equal(reply.status, 401);
      assert.equal(json<{ error: string }>(reply).error, 'invalid_token');
    });
  }

  it('refuses wrong credentials alike for known and unknown users', async () => {
    const replies = await Promise.all(
      [
        { username: 'ada', password: 'wrong password' },
        { username: 'nobody', password: PASSWORD },
        { username: 'ada' },
        { username: ['ada'], password: PASSWORD },
      ].map((body) => api.send('POST', '/api/token', { json: body })),
    );
    for (const reply of replies) {
      assert.equal(reply.status, 401);
      assert.equal(json<{ error: string }>(reply).error, 'invalid_grant');
    }
  });

  it('rotates refresh tokens: each works once, and reusing one revokes its whole family', async () => {
    const first = await login();
    const second = json<TokenPair>(await refresh(first.refresh_token));
    assert.notEqual(second.refresh_token, first.refresh_token);
    assert.equal((await api.get('/api/me', bearer(second.access_token))).status, 200);

    const reuse = await refresh(first.refresh_token);
    assert.equal(reuse.status, 401);
    assert.equal(json<{ error: string }>(reuse).error, 'revoked_token');
    assert.equal((await refresh(second.refresh_token)).status, 401, 'the family is gone');

    const other = await login();
    assert.equal((await refresh(other.refresh_token)).status, 200, 'other logins are untouched');
  });

  it('logout revokes the refresh token', async () => {
    const pair = await login();
    assert.equal(
      (await api.send('POST', '/api/logout', { json: { refresh_token: pair.refresh_token } })).status,
      204,
    );
    assert.equal((await refresh(pair.refresh_token)).status, 401);
  });

  const badRequests: Array<[string, () => Promise<Reply>, number]> = [
    [
      'malformed JSON',
      () =>
        api.send('POST', '/api/token', {
          headers: { 'content-type': 'application/json' },
          form: new URLSearchParams('{'),
        }),
      400,
    ],
    ['a refresh without a token', () => api.send('POST', '/api/refresh', { json: {} }), 400],
    ['an unknown refresh token', () => refresh('A'.repeat(43)), 401],
    ['an unknown endpoint', () => api.get('/api/nothing'), 404],
  ];
  for (const [name, send, status] of badRequests) {
    it(`answers ${name} with ${status} JSON`, async () => {
      const reply = await send();
      assert.equal(reply.status, status);
      assert.match(String(reply.headers['content-type']), /application\/json/);
      assert.equal(typeof json<{ message: string }>(reply).message, 'string');
    });
  }

  it('keeps tokens valid across a restart: keys and refresh tokens live in the data folder', async () => {
    const pair = await login();
    await demo.close();
    demo = await startInProcess(data.path, { ACCESS_TOKEN_TTL: '120' });
    api = new Client(demo.url);
    assert.equal((await api.get('/api/me', bearer(pair.access_token))).status, 200);
    assert.equal((await refresh(pair.refresh_token)).status, 200);
  });
});
