/**
 * Device-bound sessions (DBSC) through a framework adapter, over HTTPS, driven by the
 * DBSC client of coatcheck's tests (a device key in node:crypto, as Chromium's key provider signs):
 * registration on sign-in, a copied session cookie refused without the bound cookie, the refresh
 * with a signed proof once the bound cookie expires, rotate() carrying the binding, and
 * `bindDevice()` with `start: 'manual'`. Each adapter's test gives an app serving `POST /login`
 * (rotate(), `userId` alice, `bindDevice()` when `x-bind` is sent), `POST /rotate` and `GET /me`.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { SessionInfo, SessionOptions } from 'coatcheck';
import {
  DeviceKey,
  type HttpsClient,
  type Registered,
  refresh,
  refreshWithAnotherKey,
  register,
} from '../../packages/coatcheck/test/helpers/device.js';

export const DEVICE_SECRET = 'a device-bound adapter test secret, thirty-two bytes or more';
const BOUND = '__Host-coatcheck-bound';

/** Starts the adapter's app with `deviceBound`; `unbound` collects `usedWithoutDeviceProof` reasons. */
export type BoundApp = (deviceBound?: NonNullable<SessionOptions['deviceBound']>) => Promise<{
  sessions: { listByUser(user: string): Promise<SessionInfo[]> };
  unbound: string[];
  client: () => HttpsClient;
}>;

async function me(client: HttpsClient) {
  return JSON.parse((await client.request('/me')).body) as Record<string, unknown>;
}

async function signInAndRegister(client: HttpsClient, device: DeviceKey): Promise<Registered> {
  const login = await client.request('/login', { method: 'POST' });
  assert.equal(login.status, 200);
  return register(client, device, login.headers['secure-session-registration']);
}

export function describeDeviceBound(label: string, boundApp: BoundApp): void {
  describe(`device-bound sessions on ${label}, over HTTPS`, () => {
    for (const alg of ['ES256', 'RS256'] as const) {
      it(`sign-in asks for a registration; a ${alg} key registers and the bound cookie is set`, async () => {
        const app = await boundApp();
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
      const app = await boundApp();
      const browser = app.client();
      await signInAndRegister(browser, new DeviceKey('ES256'));
      const thief = app.client();
      thief.jar.set('connect.sid', browser.jar.get('connect.sid') as string);
      assert.deepEqual(await me(thief), { user: null, ended: 'unbound', proven: null, bound: false });
      assert.deepEqual(app.unbound, ['missing']);
      assert.equal((await me(browser)).user, 'alice');
    });

    it('once the bound cookie expires, a copy is refused and the device refreshes with a signed proof', async () => {
      const app = await boundApp({ cookie: { maxAge: 1000 } });
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
      const { asked, forged } = await refreshWithAnotherKey(copy, registered);
      assert.equal(asked.status, 403);
      assert.equal(forged.status, 401);
      assert.equal(forged.setCookies.length, 0);
    });

    it('rotate() keeps the binding: the bound cookie follows the new ID and refresh goes on working', async () => {
      const app = await boundApp();
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

    it("start 'manual': only bindDevice() asks for a registration", async () => {
      const app = await boundApp({ start: 'manual' });
      const browser = app.client();
      const plain = await browser.request('/login', { method: 'POST' });
      assert.equal(plain.headers['secure-session-registration'], undefined);
      const asked = await browser.request('/login', { method: 'POST', headers: { 'x-bind': '1' } });
      await register(browser, new DeviceKey('ES256'), asked.headers['secure-session-registration']);
      assert.equal((await me(browser)).bound, true);
    });
  });
}
