/**
 * Device-bound sessions (DBSC) through `@coatcheck/fastify`, in a real Fastify 5 app over HTTPS,
 * driven by the DBSC client of coatcheck's tests (a device key in node:crypto, as Chromium's key
 * provider signs): registration on sign-in, a copied session cookie refused without the bound
 * cookie, the refresh with a signed proof once the bound cookie expires, rotate() carrying the
 * binding, and `fastify.sessions.bindDevice(request)` with `start: 'manual'`.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { MemoryStore, type SessionOptions } from 'coatcheck';
import Fastify from 'fastify';
import { describeDeviceBound } from '../../../test/adapters/device-bound.js';
import { HttpsClient, listenHttps, type TestHttpsServer } from '../../coatcheck/test/helpers/device.js';
import { cookieSession, session } from '../src/index.js';

const SECRET = 'a device-bound Fastify test secret, thirty-two bytes or more';

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

describeDeviceBound('Fastify 5', boundFastify);

describe('device binding options on Fastify 5', () => {
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
