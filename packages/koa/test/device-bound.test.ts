/**
 * Device-bound sessions (DBSC) through `@coatcheck/koa`, in a real Koa 3 app over HTTPS, driven by
 * the DBSC client of coatcheck's tests (a device key in node:crypto, as Chromium's key provider
 * signs): registration on sign-in, a copied session cookie refused without the bound cookie, the
 * refresh with a signed proof once the bound cookie expires, rotate() carrying the binding, and
 * `bindDevice(ctx)` with `start: 'manual'`.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { MemoryStore, type SessionOptions } from 'coatcheck';
import Koa from 'koa';
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
import { session } from '../src/index.js';

const SECRET = 'a device-bound Koa test secret, thirty-two bytes or more';
const BOUND = '__Host-coatcheck-bound';

const servers: TestHttpsServer[] = [];
after(async () => {
  for (const server of servers) await server.close();
});

async function boundKoa(deviceBound: NonNullable<SessionOptions['deviceBound']> = {}) {
  const sessions = session({ secret: SECRET, store: new MemoryStore(), userKey: 'userId', deviceBound });
  const unbound: string[] = [];
  sessions.on('usedWithoutDeviceProof', (payload) => unbound.push(payload.reason));
  const app = new Koa();
  app.use(sessions);
  app.use(async (ctx) => {
    switch (`${ctx.method} ${ctx.path}`) {
      case 'POST /login': {
        const held = ctx.session;
        await held.rotate();
        held.userId = 'alice';
        if (ctx.get('x-bind')) sessions.bindDevice(ctx);
        ctx.body = 'signed in';
        return;
      }
      case 'POST /rotate':
        await ctx.session.rotate();
        ctx.body = 'rotated';
        return;
      case 'GET /me': {
        const binding = sessions.deviceBinding(ctx);
        ctx.body = {
          user: ctx.session.userId ?? null,
          ended: sessions.ended(ctx) ?? null,
          proven: binding?.proven ?? null,
          bound: binding !== undefined,
        };
        return;
      }
      default:
        ctx.status = 404;
    }
  });
  const server = await listenHttps(app.callback());
  servers.push(server);
  return { sessions, unbound, client: () => new HttpsClient(server.url, server.certificate.cert) };
}

async function me(client: HttpsClient) {
  return JSON.parse((await client.request('/me')).body) as Record<string, unknown>;
}

async function signInAndRegister(client: HttpsClient, device: DeviceKey): Promise<Registered> {
  const login = await client.request('/login', { method: 'POST' });
  assert.equal(login.status, 200);
  return register(client, device, login.headers['secure-session-registration']);
}

describe('device-bound sessions on Koa 3, over HTTPS', () => {
  for (const alg of ['ES256', 'RS256'] as const) {
    it(`sign-in asks for a registration; a ${alg} key registers and the bound cookie is set`, async () => {
      const app = await boundKoa();
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
    const app = await boundKoa();
    const browser = app.client();
    await signInAndRegister(browser, new DeviceKey('ES256'));
    const thief = app.client();
    thief.jar.set('connect.sid', browser.jar.get('connect.sid') as string);
    assert.deepEqual(await me(thief), { user: null, ended: 'unbound', proven: null, bound: false });
    assert.deepEqual(app.unbound, ['missing']);
    assert.equal((await me(browser)).user, 'alice');
  });

  it('once the bound cookie expires, a copy is refused and the device refreshes with a signed proof', async () => {
    const app = await boundKoa({ cookie: { maxAge: 1000 } });
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
    const app = await boundKoa();
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

  it("start 'manual': only bindDevice(ctx) asks for a registration", async () => {
    const app = await boundKoa({ start: 'manual' });
    const browser = app.client();
    const plain = await browser.request('/login', { method: 'POST' });
    assert.equal(plain.headers['secure-session-registration'], undefined);
    const asked = await browser.request('/login', { method: 'POST', headers: { 'x-bind': '1' } });
    await register(browser, new DeviceKey('ES256'), asked.headers['secure-session-registration']);
    assert.equal((await me(browser)).bound, true);
  });

  it('bindDevice() and deviceBinding() without deviceBound are TypeErrors', () => {
    const sessions = session({ secret: SECRET });
    assert.throws(() => sessions.deviceBinding({} as never), /need the session option deviceBound/);
    assert.throws(() => sessions.bindDevice({} as never), /need the session option deviceBound/);
  });
});
