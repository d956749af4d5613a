/**
 * Device-bound sessions (DBSC) through `@coatcheck/fastify`, in a real Fastify 5 app over HTTPS,
 * driven by the DBSC client of coatcheck's tests (a device key in node:crypto, as Chromium's key
 * provider signs): registration on sign-in, a copied session cookie refused without the bound
 * cookie, the refresh with a signed proof once the bound cookie expires, rotate() carrying the
 * binding, and `fastify.sessions.bindDevice(request)` with `start: 'manual'`.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { MemoryStore, type SessionOptions } from 'coatcheck';
import Fastify from 'fastify';
import {
  challengeOf,
  DeviceKey,
  HttpsClient,
  listenHttps,
  type Registered,
  refresh,
  register,
  type TestHttpsServer,
} from '../../coatcheck/test/helpers/device.js';
import { cookieSession, session } from '../src/index.js';

const SECRET = 'a device-bound Fastify test secret, thirty-two bytes or more';
const BOUND = '__Host-coatcheck-bound';

const servers: TestHttpsServer[] = [];
after(async () => {
  for (const server of servers) await server.close();
});

type Data = Record<string, unknown>;

async function boundFastify(deviceBound: NonNullable<SessionOptions['deviceBound']> = {}) {
  const app = Fastify();
  await app.register(session, { secret: SECRET, store: new MemoryStore(), userKey: 'userId', deviceBound });
  const unbound: string[] = [];
  app.sessions.on('usedWithoutDeviceProof', (payload) => unbound.push(payload.reason));
  app.post('/login', async (request) => {
    const held = request.session;
    await held.rotate();
    (held as unknown as Data).userId = 'alice';
    if (request.headers['x-bind']) app.sessions.bindDevice(request);
    return 'signed in';
  });
  app.post('/rotate', async (request) => {
    await request.session.rotate();
    return 'rotated';
  });
  app.get('/me', async (request) => {
    const binding = app.sessions.deviceBinding(request);
    return {
      user: (request.session as unknown as Data).userId ?? null,
      ended: app.sessions.ended(request) ?? null,
      proven: binding?.proven ?? null,
      bound: binding !== undefined,
    };
  });
  await app.ready();
  const server = await listenHttps((req, res) => app.routing(req, res));
  servers.push(server);
  return {
    sessions: app.sessions,
    unbound,
    client: () => new HttpsClient(server.url, server.certificate.cert),
  };
}

async function me(client: HttpsClient) {
  return JSON.parse((await client.request('/me')).body) as Record<string, unknown>;
}

async function signInAndRegister(client: HttpsClient, device: DeviceKey): Promise<Registered> {
  const login = await client.request('/login', { method: 'POST' });
  assert.equal(login.status, 200);
  return register(client, device, login.headers['secure-session-registration']);
}

describe('device-bound sessions on Fastify 5, over HTTPS', () => {
  for (const alg of ['ES256', 'RS256'] as const) {
    it(`sign-in asks for a registration; a ${alg} key registers and the bound cookie is set`, async () => {
      const app = await boundFastify();
      const browser = app.client();
      const registered = await signInAndRegister(browser, new DeviceKey(alg));
      assert.equal(registered.refreshUrl, '/.coatcheck/dbsc/refresh');
      const bound = registered.answer.setCookies.find((line) => line.startsWith(`${BOUND}=`));
      assert.match(String(bound), /; Max-Age=600; Path=\/; HttpOnly; Secure; SameSite=Lax$/);
      assert.equal(registered.answer.headers['cache-control'], 'no-store');
      assert.match(String(registered.answer.headers['content-type']), /^application\/json(;|$)/);
      assert.deepEqual(await me(browser), { user: 'alice', ended: null, proven: true, bound: true });
      const [info] = await app.sessions.listByUser('alice');
      assert.equal(info?.deviceBound, true);
    });
  }

  it('a copied session cookie without the bound cookie gets no signed-in session; the device keeps its own', async () => {
    const app = await boundFastify();
    const browser = app.client();
    await signInAndRegister(browser, new DeviceKey('ES256'));
    const thief = app.client();
    thief.jar.set('connect.sid', browser.jar.get('connect.sid') as string);
    assert.deepEqual(await me(thief), { user: null, ended: 'unbound', proven: null, bound: false });
    assert.deepEqual(app.unbound, ['missing']);
    assert.equal((await me(browser)).user, 'alice');
  });

  it('once the bound cookie expires, a copy is refused and the device refreshes with a signed proof', async () => {
    const app = await boundFastify({ cookie: { maxAge: 1000 } });
    const browser = app.client();
    const device = new DeviceKey('ES256');
    const registered = await signInAndRegister(browser, device);
    const copy = app.client();
    for (const [name, value] of browser.jar) copy.jar.set(name, value);
    assert.equal((await me(copy)).user, 'alice', 'a copy works until the bound cookie expires');
    await sleep(1200); // its lifetime and the allowance of a tenth of it
    assert.equal((await me(copy)).user, null);
    const refreshed = await refresh(browser, device, registered);
    assert.equal(refreshed.status, 200);
    assert.deepEqual(JSON.parse(refreshed.body), registered.configuration);
    assert.ok(refreshed.setCookies.some((line) => line.startsWith(`${BOUND}=`)));
    assert.deepEqual(await me(browser), { user: 'alice', ended: null, proven: true, bound: true });
    // The thief cannot sign: a proof by another key is refused, with no cookie.
    copy.jar.delete(BOUND);
    const asked = await copy.request(registered.refreshUrl, {
      method: 'POST',
      headers: { 'sec-secure-session-id': registered.id },
    });
    assert.equal(asked.status, 403);
    const { challenge } = challengeOf(asked.headers['secure-session-challenge']);
    const forged = await copy.request(registered.refreshUrl, {
      method: 'POST',
      headers: {
        'sec-secure-session-id': registered.id,
        'secure-session-response': new DeviceKey('ES256').proof(challenge),
      },
    });
    assert.equal(forged.status, 401);
    assert.equal(forged.setCookies.length, 0);
  });

  it('rotate() keeps the binding: the bound cookie follows the new ID and refresh goes on working', async () => {
    const app = await boundFastify();
    const browser = app.client();
    const device = new DeviceKey('ES256');
    const registered = await signInAndRegister(browser, device);
    const before = browser.jar.get('connect.sid');
    const rotated = await browser.request('/rotate', { method: 'POST' });
    assert.ok(rotated.setCookies.some((line) => line.startsWith(`${BOUND}=`)));
    assert.notEqual(browser.jar.get('connect.sid'), before);
    assert.deepEqual(await me(browser), { user: 'alice', ended: null, proven: true, bound: true });
    assert.equal((await refresh(browser, device, registered)).status, 200);
  });

  it("start 'manual': only sessions.bindDevice(request) asks for a registration", async () => {
    const app = await boundFastify({ start: 'manual' });
    const browser = app.client();
    const plain = await browser.request('/login', { method: 'POST' });
    assert.equal(plain.headers['secure-session-registration'], undefined);
    const asked = await browser.request('/login', { method: 'POST', headers: { 'x-bind': '1' } });
    await register(browser, new DeviceKey('ES256'), asked.headers['secure-session-registration']);
    assert.equal((await me(browser)).bound, true);
  });

  it('bindDevice() and deviceBinding() without deviceBound, or under cookieSession, are TypeErrors', async () => {
    for (const [plugin, options] of [
      [session, { secret: SECRET }],
      [cookieSession, { secret: SECRET }],
    ] as const) {
      const app = Fastify();
      await app.register(plugin as typeof session, options);
      await app.ready();
      assert.throws(() => app.sessions.deviceBinding({} as never), TypeError);
      assert.throws(() => app.sessions.bindDevice({} as never), TypeError);
      await app.close();
    }
  });
});
