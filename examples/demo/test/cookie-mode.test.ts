import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { RunningDemo } from '../src/app.js';
import { SESSION_COOKIE } from '../src/app.js';
import { Client, csrfTokenIn } from './helpers/http.js';
import { startInProcess, tempDataDir } from './helpers/server.js';

const PASSWORD = 'correct horse battery';
const MODE = { SESSION_MODE: 'cookie' };

describe('SESSION_MODE=cookie: sealed cookie sessions', () => {
  const data = tempDataDir();
  let demo: RunningDemo;
  before(async () => {
    demo = await startInProcess(data.path, MODE);
  });
  after(async () => {
    await demo.close();
    data.remove();
  });

  async function login(client: Client, path: '/signup' | '/login', username: string) {
    const form = await client.get(path);
    const reply = await client.post(path, { _csrf: csrfTokenIn(form.body), username, password: PASSWORD });
    assert.equal(reply.status, 303, reply.body);
  }

  it('keeps the cart in a sealed cookie, through login and a restart, with no session table', async () => {
    assert.equal(demo.demo.store, undefined);
    const client = new Client(demo.url);
    const home = await client.get('/');
    await client.post('/cart/add', { _csrf: csrfTokenIn(home.body), product: 'scarf' });
    const sealed = client.jar.get(SESSION_COOKIE) as string;
    assert.match(sealed, /^cc1\./, 'a seal, not a signed ID');
    await login(client, '/signup', 'sealy');
    assert.notEqual(client.jar.get(SESSION_COOKIE), sealed);

    const port = new URL(demo.url).port;
    await demo.close();
    demo = await startInProcess(data.path, { ...MODE, PORT: port });
    const cart = await client.get('/cart');
    assert.match(cart.body, /data-product="scarf"/);
    assert.match(cart.body, /Signed in as <strong data-testid="username">sealy/);
    assert.match(cart.body, /Sessions in sealed cookies/);
    const session = await client.get('/session');
    assert.match(session.body, /sealed \(AES-256-GCM\)/);
    assert.match(session.body, /data-testid="idle-left">(29|30) min/);
  });

  it('a forged seal is a new, empty session', async () => {
    const reply = await new Client(demo.url).get('/cart', {
      cookie: `${SESSION_COOKIE}=cc1.AAAAAAAA.${'A'.repeat(80)}`,
    });
    assert.equal(reply.status, 200);
    assert.match(reply.body, /Your cart is empty/);
  });

  it('"log out everywhere" refuses every older seal of the user, and a new login works', async () => {
    const laptop = new Client(demo.url);
    const phone = new Client(demo.url);
    await login(laptop, '/signup', 'everywhere');
    await login(phone, '/login', 'everywhere');
    const devices = await laptop.get('/devices');
    assert.equal(devices.status, 200);
    assert.equal(devices.body.match(/data-testid="device"/g)?.length, 1, 'only this browser is known');
    const reply = await laptop.post('/devices/logout-everywhere', { _csrf: csrfTokenIn(devices.body) });
    assert.equal(reply.status, 303);
    assert.equal((await phone.get('/devices')).status, 401);
    assert.equal((await laptop.get('/devices')).status, 401);

    await login(phone, '/login', 'everywhere');
    assert.equal((await phone.get('/devices')).status, 200);
  });

  it('the API still works; it has no server-side cart to read', async () => {
    const api = new Client(demo.url);
    const token = await api.send('POST', '/api/token', { json: { username: 'sealy', password: PASSWORD } });
    const { access_token } = JSON.parse(token.body) as { access_token: string };
    const cart = await api.get('/api/cart', { authorization: `Bearer ${access_token}` });
    assert.equal(cart.status, 200);
    assert.equal((JSON.parse(cart.body) as { available: boolean }).available, false);
  });
});
