/**
 * Device-bound sessions (DBSC) through `@coatcheck/koa`, in a real Koa 3 app over HTTPS, driven by
 * the DBSC client of coatcheck's tests (a device key in node:crypto, as Chromium's key provider
 * signs): registration on sign-in, a copied session cookie refused without the bound cookie, the
 * refresh with a signed proof once the bound cookie expires, rotate() carrying the binding, and
 * `bindDevice(ctx)` with `start: 'manual'`.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { MemoryStore, type SessionOptions } from 'coatcheck';
import Koa from 'koa';
import { describeDeviceBound } from '../../../test/adapters/device-bound.js';
import { HttpsClient, listenHttps, type TestHttpsServer } from '../../coatcheck/test/helpers/device.js';
import { session } from '../src/index.js';

const SECRET = 'a device-bound Koa test secret, thirty-two bytes or more';

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

describeDeviceBound('Koa 3', boundKoa);

describe('device binding options on Koa 3', () => {
  it('bindDevice() and deviceBinding() without deviceBound are TypeErrors', () => {
    const sessions = session({ secret: SECRET });
    assert.throws(() => sessions.deviceBinding({} as never), /need the session option deviceBound/);
    assert.throws(() => sessions.bindDevice({} as never), /need the session option deviceBound/);
  });
});
