/**
 * Device-bound sessions (DBSC) through `@coatcheck/hono`, in a real Hono app served over HTTPS by
 * @hono/node-server, driven by the DBSC client of coatcheck's tests through the cases every adapter
 * shares (test/adapters/device-bound.ts): registration on sign-in, a copied session cookie refused
 * without the bound cookie, the refresh with a signed proof, rotate() carrying the binding, and
 * `bindDevice(c)` with `start: 'manual'`.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { getRequestListener } from '@hono/node-server';
import { MemoryStore, type SessionOptions } from 'coatcheck';
import { Hono } from 'hono';
import { DEVICE_SECRET, describeDeviceBound } from '../../../test/adapters/device-bound.js';
import { HttpsClient, listenHttps, type TestHttpsServer } from '../../coatcheck/test/helpers/device.js';
import { type SessionEnv, session } from '../src/index.js';

const servers: TestHttpsServer[] = [];
after(async () => {
  for (const server of servers) await server.close();
});

async function boundHono(deviceBound: NonNullable<SessionOptions['deviceBound']> = {}) {
  const sessions = session({
    secret: DEVICE_SECRET,
    store: new MemoryStore(),
    userKey: 'userId',
    deviceBound,
  });
  const unbound: string[] = [];
  sessions.on('usedWithoutDeviceProof', (payload) => unbound.push(payload.reason));
  const app = new Hono<SessionEnv>();
  app.use(sessions);
  app.post('/login', async (c) => {
    const held = c.get('session');
    await held.rotate();
    held.userId = 'alice';
    if (c.req.header('x-bind')) sessions.bindDevice(c);
    return c.text('signed in');
  });
  app.post('/rotate', async (c) => {
    await c.get('session').rotate();
    return c.text('rotated');
  });
  app.get('/me', (c) => {
    const binding = sessions.deviceBinding(c);
    return c.json({
      user: c.get('session').userId ?? null,
      ended: sessions.ended(c) ?? null,
      proven: binding?.proven ?? null,
      bound: binding !== undefined,
    });
  });
  const server = await listenHttps(getRequestListener(app.fetch));
  servers.push(server);
  return { sessions, unbound, client: () => new HttpsClient(server.url, server.certificate.cert) };
}

describeDeviceBound('Hono', boundHono);

describe('device binding options on Hono', () => {
  it('bindDevice() and deviceBinding() without deviceBound are TypeErrors', () => {
    const sessions = session({ secret: DEVICE_SECRET });
    const c = { req: { raw: new Request('https://app.test/') } } as never;
    assert.throws(() => sessions.deviceBinding(c), /needs the session option deviceBound/);
    assert.throws(() => sessions.bindDevice(c), /needs the session option deviceBound/);
  });
});
