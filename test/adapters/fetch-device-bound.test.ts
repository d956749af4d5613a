/**
 * Device-bound sessions (DBSC) through `coatcheck/fetch`: a wrapped Fetch handler served over HTTPS
 * (test/helpers/fetch-server.ts), driven by the DBSC client of coatcheck's tests, through the cases
 * every adapter shares (test/adapters/device-bound.ts); then what is the Fetch layer's own: the
 * endpoints answered by `open()` for an adapter that calls it, and the calls it refuses.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { MemoryStore, type SessionOptions } from 'coatcheck';
import { type FetchSessions, fetchSessions } from 'coatcheck/fetch';
import {
  DeviceKey,
  HttpsClient,
  listenHttps,
  register,
  type TestHttpsServer,
} from '../../packages/coatcheck/test/helpers/device.js';
import { fetchListener } from '../helpers/fetch-server.js';
import { DEVICE_SECRET, describeDeviceBound } from './device-bound.js';

const servers: TestHttpsServer[] = [];
after(async () => {
  for (const server of servers) await server.close();
});

function boundSessions(deviceBound: NonNullable<SessionOptions['deviceBound']>): FetchSessions {
  return fetchSessions({ secret: DEVICE_SECRET, store: new MemoryStore(), userKey: 'userId', deviceBound });
}

async function serve(handler: (request: Request) => Promise<Response>) {
  const server = await listenHttps(fetchListener(handler, 'https'));
  servers.push(server);
  return () => new HttpsClient(server.url, server.certificate.cert);
}

async function boundFetch(deviceBound: NonNullable<SessionOptions['deviceBound']> = {}) {
  const sessions = boundSessions(deviceBound);
  const unbound: string[] = [];
  sessions.on('usedWithoutDeviceProof', (payload) => unbound.push(payload.reason));
  const handler = sessions.wrap(async (request, context) => {
    switch (`${request.method} ${new URL(request.url).pathname}`) {
      case 'POST /login': {
        const held = context.session;
        await held.rotate();
        held.userId = 'alice';
        if (request.headers.has('x-bind')) sessions.bindDevice(request);
        return new Response('signed in');
      }
      case 'POST /rotate':
        await context.session.rotate();
        return new Response('rotated');
      case 'GET /me': {
        const binding = sessions.deviceBinding(request);
        return Response.json({
          user: context.session.userId ?? null,
          ended: sessions.ended(request) ?? null,
          proven: binding?.proven ?? null,
          bound: binding !== undefined,
        });
      }
      default:
        return new Response('not found', { status: 404 });
    }
  });
  return { sessions, unbound, client: await serve(handler) };
}

describeDeviceBound('a Fetch API handler', boundFetch);

describe('device binding through coatcheck/fetch', () => {
  it('open() gives the endpoint answer for an adapter to send, and the handler never runs', async () => {
    const sessions = boundSessions({});
    let handled = 0;
    const client = await serve(async (request) => {
      const opened = await sessions.open(request);
      if (opened.deviceAnswer) return opened.respond(opened.deviceAnswer);
      handled++;
      if (new URL(request.url).pathname === '/login') {
        await opened.session.rotate();
        opened.session.userId = 'alice';
      }
      return opened.respond(new Response('ok', { headers: { 'cache-control': 'private' } }));
    });
    const browser = client();
    const login = await browser.request('/login', { method: 'POST' });
    assert.equal(handled, 1);
    const registered = await register(
      browser,
      new DeviceKey('ES256'),
      login.headers['secure-session-registration'],
    );
    assert.equal(handled, 1, 'the registration was answered by open(), not the handler');
    assert.equal(registered.answer.status, 200);
    assert.match(String(registered.answer.headers['content-type']), /^application\/json(;|$)/);
    const refused = await client().request('/.coatcheck/dbsc/registration', { method: 'POST' });
    assert.equal(refused.status, 401);
    assert.equal(refused.body, 'Unauthorized');
    assert.equal(handled, 1);
  });

  it("a handler's own Cache-Control stays on a response that carries the bound cookie", async () => {
    const sessions = boundSessions({});
    const client = await serve(
      sessions.wrap(async (request, { session }) => {
        const path = new URL(request.url).pathname;
        if (path === '/login') {
          await session.rotate();
          session.userId = 'alice';
        }
        if (path === '/rotate') await session.rotate();
        return new Response('ok', { headers: { 'cache-control': 'private, max-age=0' } });
      }),
    );
    const browser = client();
    const login = await browser.request('/login', { method: 'POST' });
    await register(browser, new DeviceKey('ES256'), login.headers['secure-session-registration']);
    const rotated = await browser.request('/rotate', { method: 'POST' });
    assert.ok(rotated.setCookies.some((line) => line.startsWith('__Host-coatcheck-bound=')));
    assert.ok(rotated.setCookies.some((line) => line.startsWith('connect.sid=')));
    assert.equal(rotated.headers['cache-control'], 'private, max-age=0');
  });

  it('bindDevice() and deviceBinding() are TypeErrors without deviceBound, or for a request not being handled', () => {
    const plain = fetchSessions({ secret: DEVICE_SECRET });
    const request = new Request('https://app.test/');
    assert.throws(() => plain.bindDevice(request), /bindDevice\(\) needs the session option deviceBound/);
    assert.throws(
      () => plain.deviceBinding(request),
      /deviceBinding\(\) needs the session option deviceBound/,
    );
    const bound = boundSessions({});
    assert.throws(() => bound.bindDevice(request), /takes a request being handled/);
    assert.throws(() => bound.deviceBinding(request), /takes a request being handled/);
  });
});
