import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import session, { MemoryStore, type SessionEventName, type SessionOptions } from 'coatcheck';
import { BINDING_KEY } from 'coatcheck/device-bound';
import {
  challengeOf,
  DeviceKey,
  HttpsClient,
  listenHttps,
  type Registered,
  refresh,
  refreshWithAnotherKey,
  register,
  registrationOf,
  type TestHttpsServer,
} from '../helpers/device.js';
import { type AnyApp, EXPRESS, listen } from '../helpers/http.js';

const SECRET = 'a device-bound test secret, thirty-two bytes or more';
const BOUND = '__Host-coatcheck-bound';
const EVENTS: SessionEventName[] = [
  'deviceBound',
  'deviceRefreshed',
  'deviceRefreshFailed',
  'usedWithoutDeviceProof',
  'revoked',
];

type Req = {
  session: Record<string, unknown> & { rotate(): Promise<void>; regenerate(): Promise<void> };
  sessionID: string;
  headers: Record<string, string | undefined>;
};

async function boundApp(
  makeApp: () => AnyApp,
  deviceBound: NonNullable<SessionOptions['deviceBound']> = {},
  extra: Partial<SessionOptions> = {},
) {
  const store = new MemoryStore();
  const sessions = session({ secret: SECRET, store, userKey: 'userId', deviceBound, ...extra });
  const events: Array<{ event: SessionEventName; payload: Record<string, unknown> }> = [];
  for (const event of EVENTS)
    sessions.on(event, (payload) => events.push({ event, payload: payload as Record<string, unknown> }));
  const app = makeApp();
  app.use(sessions);
  app.post('/login', async (req: Req, res: AnyApp) => {
    await req.session.rotate();
    req.session.userId = 'alice';
    if (req.headers?.['x-bind-authorization'])
      sessions.bindDevice(req as never, { authorization: String(req.headers['x-bind-authorization']) });
    else if (req.headers?.['x-bind']) sessions.bindDevice(req as never);
    res.send('signed in');
  });
  app.post('/rotate', async (req: Req, res: AnyApp) => {
    await req.session.rotate();
    res.send('rotated');
  });
  app.post('/regenerate', async (req: Req, res: AnyApp) => {
    await req.session.regenerate();
    req.session.userId = 'alice';
    res.send('regenerated');
  });
  app.get('/me', (req: Req, res: AnyApp) => {
    const binding = sessions.deviceBinding(req as never);
    res.json({
      user: req.session.userId ?? null,
      ended: sessions.ended(req as never) ?? null,
      proven: binding?.proven ?? null,
      bound: binding !== undefined,
    });
  });
  const server = await listenHttps(app);
  const client = () => new HttpsClient(server.url, server.certificate.cert);
  return {
    sessions,
    store,
    events,
    server,
    client,
    of: (name: SessionEventName) => events.filter((e) => e.event === name).map((e) => e.payload),
  };
}

async function me(client: HttpsClient) {
  return JSON.parse((await client.request('/me')).body) as {
    user: string | null;
    ended: string | null;
    proven: boolean | null;
    bound: boolean;
  };
}

async function signInAndRegister(client: HttpsClient, device: DeviceKey): Promise<Registered> {
  const login = await client.request('/login', { method: 'POST' });
  assert.equal(login.status, 200);
  return register(client, device, login.headers['secure-session-registration']);
}

function sessionIdOf(client: HttpsClient): string {
  const raw = decodeURIComponent(client.jar.get('connect.sid') ?? '');
  return raw.slice(2, raw.lastIndexOf('.'));
}

const servers: TestHttpsServer[] = [];
after(async () => {
  for (const server of servers) await server.close();
});

for (const [name, makeApp] of EXPRESS) {
  describe(`device-bound sessions on ${name}`, () => {
    for (const alg of ['ES256', 'RS256'] as const) {
      it(`sign-in asks for a registration; a ${alg} key registers and the bound cookie is set`, async () => {
        const app = await boundApp(makeApp);
        servers.push(app.server);
        const browser = app.client();
        const login = await browser.request('/login', { method: 'POST' });
        const header = String(login.headers['secure-session-registration']);
        assert.match(
          header,
          /^\(ES256 RS256\);path="\/\.coatcheck\/dbsc\/registration";challenge="[A-Za-z0-9_.-]+"$/,
        );
        const registered = await register(browser, new DeviceKey(alg), header);
        assert.deepEqual(Object.keys(registered.configuration).sort(), [
          'credentials',
          'refresh_url',
          'scope',
          'session_identifier',
        ]);
        assert.equal(registered.refreshUrl, '/.coatcheck/dbsc/refresh');
        assert.deepEqual(registered.configuration.credentials, [
          { type: 'cookie', name: BOUND, attributes: 'Path=/; Secure; HttpOnly; SameSite=Lax' },
        ]);
        const bound = registered.answer.setCookies.find((c) => c.startsWith(`${BOUND}=`));
        assert.match(
          String(bound),
          /^__Host-coatcheck-bound=[0-9a-z]+\.[A-Za-z0-9_-]{43}; Max-Age=600; Path=\/; HttpOnly; Secure; SameSite=Lax$/,
        );
        assert.equal(registered.answer.headers['cache-control'], 'no-store');
        assert.deepEqual(await me(browser), { user: 'alice', ended: null, proven: true, bound: true });
        const [boundEvent] = app.of('deviceBound');
        assert.equal(boundEvent?.user, 'alice');
        assert.equal(boundEvent?.handle, app.sessions.handleOf(sessionIdOf(browser)));
        // The record holds the key for the store to keep.
        const record = await app.store.read(sessionIdOf(browser));
        const stored = record?.data[BINDING_KEY] as {
          key: { alg: string; thumbprint: string; jwk: Record<string, string> };
        };
        assert.equal(stored.key.alg, alg);
        assert.equal(stored.key.jwk.kty, alg === 'ES256' ? 'EC' : 'RSA');
      });
    }

    it('a copied session cookie without the bound cookie gets no signed-in session; the device keeps its own', async () => {
      const app = await boundApp(makeApp);
      servers.push(app.server);
      const browser = app.client();
      await signInAndRegister(browser, new DeviceKey('ES256'));
      const thief = app.client();
      thief.jar.set('connect.sid', browser.jar.get('connect.sid') as string);
      assert.deepEqual(await me(thief), { user: null, ended: 'unbound', proven: null, bound: false });
      const [event] = app.of('usedWithoutDeviceProof');
      assert.deepEqual(event, {
        handle: app.sessions.handleOf(sessionIdOf(browser)),
        user: 'alice',
        reason: 'missing',
        enforced: true,
      });
      assert.equal((await me(browser)).user, 'alice');
      // A bound cookie from another session does not help either.
      const other = app.client();
      await signInAndRegister(other, new DeviceKey('ES256'));
      thief.jar.set(BOUND, other.jar.get(BOUND) as string);
      assert.equal((await me(thief)).user, null);
      assert.equal(app.of('usedWithoutDeviceProof').at(-1)?.reason, 'invalid');
      assert.ok(
        !JSON.stringify(app.events).includes(sessionIdOf(browser)),
        'events carry handles, never IDs',
      );
    });

    it('once the bound cookie expires, a copy of both cookies is refused and the device refreshes with a signed proof', async () => {
      const app = await boundApp(makeApp, { cookie: { maxAge: 1000 } });
      servers.push(app.server);
      const browser = app.client();
      const device = new DeviceKey('ES256');
      const registered = await signInAndRegister(browser, device);
      const copy = app.client();
      for (const [k, v] of browser.jar) copy.jar.set(k, v);
      assert.equal((await me(copy)).user, 'alice', 'a copy works until the bound cookie expires');
      await sleep(1200); // its lifetime and the allowance of a tenth of it
      assert.equal((await me(copy)).user, null);
      assert.equal(app.of('usedWithoutDeviceProof').at(-1)?.reason, 'expired');
      const refreshed = await refresh(browser, device, registered);
      assert.equal(refreshed.status, 200);
      assert.deepEqual(JSON.parse(refreshed.body), registered.configuration);
      assert.deepEqual(await me(browser), { user: 'alice', ended: null, proven: true, bound: true });
      assert.equal(app.of('deviceRefreshed').length, 1);
      // The 200 carries the next challenge: the following refresh needs one round trip.
      const next = challengeOf(refreshed.headers['secure-session-challenge']);
      assert.equal(next.id, registered.id);
      const again = await browser.request(registered.refreshUrl, {
        method: 'POST',
        headers: {
          'sec-secure-session-id': registered.id,
          'secure-session-response': device.proof(next.challenge),
        },
      });
      assert.equal(again.status, 200);
      // The thief still has nothing: it cannot sign.
      copy.jar.delete(BOUND);
      const { asked: stolen, forged } = await refreshWithAnotherKey(copy, registered);
      assert.equal(stolen.status, 403);
      assert.equal(forged.status, 401);
      assert.equal(forged.setCookies.length, 0);
      assert.equal((await me(copy)).user, null);
    });

    it('browsers that never register keep an ordinary session', async () => {
      const app = await boundApp(makeApp);
      servers.push(app.server);
      const plain = app.client();
      const login = await plain.request('/login', { method: 'POST' });
      assert.ok(login.headers['secure-session-registration']);
      for (let i = 0; i < 3; i++)
        assert.deepEqual(await me(plain), { user: 'alice', ended: null, proven: null, bound: false });
      const [info] = await app.sessions.listByUser('alice');
      assert.equal(info?.deviceBound, false);
      assert.ok(!(BINDING_KEY in (info?.data ?? {})), 'the binding is not session data');
    });
  });
}

describe('device-bound sessions: refusals at the endpoints', async () => {
  const { default: express } = await import('express');
  const makeApp = () => express();

  async function bound(options: NonNullable<SessionOptions['deviceBound']> = {}) {
    const app = await boundApp(makeApp, options);
    servers.push(app.server);
    const browser = app.client();
    const device = new DeviceKey('ES256');
    const registered = await signInAndRegister(browser, device);
    const ask = async () => {
      const answer = await browser.request(registered.refreshUrl, {
        method: 'POST',
        headers: { 'sec-secure-session-id': registered.id },
      });
      assert.equal(answer.status, 403);
      return challengeOf(answer.headers['secure-session-challenge']).challenge;
    };
    const send = (proof: string, id = registered.id) =>
      browser.request(registered.refreshUrl, {
        method: 'POST',
        headers: { 'sec-secure-session-id': id, 'secure-session-response': proof },
      });
    return {
      app,
      browser,
      device,
      registered,
      ask,
      send,
      lastFailure: () => app.of('deviceRefreshFailed').at(-1),
    };
  }

  it('refresh: a replayed proof gets a 403 and a new challenge, not a cookie', async () => {
    const t = await bound();
    const proof = t.device.proof(await t.ask());
    assert.equal((await t.send(proof)).status, 200);
    const replay = await t.send(proof);
    assert.equal(replay.status, 403);
    assert.equal(replay.setCookies.length, 0);
    assert.ok(replay.headers['secure-session-challenge']);
    assert.equal(t.lastFailure()?.reason, 'challenge-replayed');
  });

  it('refresh: a jti this server never issued', async () => {
    const t = await bound();
    assert.equal((await t.send(t.device.proof('made-up'))).status, 403);
    assert.equal(t.lastFailure()?.reason, 'challenge-unknown');
  });

  it('refresh: an expired challenge', async () => {
    const t = await bound({ challengeTimeout: 400 });
    const challenge = await t.ask();
    await sleep(450);
    assert.equal((await t.send(t.device.proof(challenge))).status, 403);
    assert.equal(t.lastFailure()?.reason, 'challenge-expired');
  });

  const refused: Array<
    [string, (t: Awaited<ReturnType<typeof bound>>, challenge: string) => string, string]
  > = [
    ['a proof signed by another key', (_t, c) => new DeviceKey('ES256').proof(c), 'signature'],
    [
      'a header key that is not the registered one',
      (_t, c) => new DeviceKey('ES256').proof(c, { withJwk: true }),
      'key-mismatch',
    ],
    ['typ JWT', (t, c) => t.device.proof(c, { header: { typ: 'JWT' } }), 'typ'],
    [
      'alg none',
      (_t, c) =>
        `${Buffer.from('{"alg":"none","typ":"dbsc+jwt"}').toString('base64url')}.${Buffer.from(JSON.stringify({ jti: c })).toString('base64url')}.AA`,
      'alg',
    ],
    ['an RS256 proof for an ES256 key', (_t, c) => new DeviceKey('RS256').proof(c), 'alg'],
    ['a malformed token', () => 'not.a-token', 'malformed'],
    ['an oversized token', () => 'a'.repeat(9000), 'oversized'],
  ];
  for (const [name, make, reason] of refused) {
    it(`refresh: ${name} gets a 401 and an event`, async () => {
      const t = await bound();
      const answer = await t.send(make(t, await t.ask()));
      assert.equal(answer.status, 401);
      assert.equal(answer.setCookies.length, 0);
      assert.equal(t.lastFailure()?.reason, reason);
      assert.equal(t.lastFailure()?.step, 'refresh');
    });
  }

  it('refresh: another session identifier, or none, or no session', async () => {
    const t = await bound();
    assert.equal((await t.send(t.device.proof(await t.ask()), 'another')).status, 401);
    assert.equal(t.lastFailure()?.reason, 'identifier');
    const anonymous = t.app.client();
    const answer = await anonymous.request(t.registered.refreshUrl, {
      method: 'POST',
      headers: { 'sec-secure-session-id': t.registered.id },
    });
    assert.equal(answer.status, 401);
    assert.equal(t.lastFailure()?.reason, 'no-session');
  });

  async function started(
    options: NonNullable<SessionOptions['deviceBound']> = {},
    headers: Record<string, string> = {},
  ) {
    const app = await boundApp(makeApp, options);
    servers.push(app.server);
    const browser = app.client();
    const login = await browser.request('/login', { method: 'POST', headers });
    const header = String(login.headers['secure-session-registration']);
    const { path, challenge } = registrationOf(header);
    const send = (proof: string) =>
      browser.request(path, { method: 'POST', headers: { 'secure-session-response': proof } });
    return { app, browser, header, challenge, send, lastFailure: () => app.of('deviceRefreshFailed').at(-1) };
  }

  it('registration: a missing jwk, a wrong typ, an unknown jti, an expired challenge', async () => {
    const device = new DeviceKey('ES256');
    const t = await started();
    assert.equal((await t.send(device.proof(t.challenge))).status, 401);
    assert.equal(t.lastFailure()?.reason, 'jwk-missing');
    assert.equal(
      (await t.send(device.proof(t.challenge, { withJwk: true, header: { typ: 'jwt' } }))).status,
      401,
    );
    assert.equal(t.lastFailure()?.reason, 'typ');
    assert.equal((await t.send(device.proof('unknown', { withJwk: true }))).status, 401);
    assert.equal(t.lastFailure()?.reason, 'challenge-unknown');
    const late = await started({ challengeTimeout: 50 });
    await sleep(80);
    assert.equal((await late.send(device.proof(late.challenge, { withJwk: true }))).status, 401);
    assert.equal(late.lastFailure()?.reason, 'challenge-expired');
    assert.equal(t.app.of('deviceBound').length + late.app.of('deviceBound').length, 0);
  });

  it('registration: the challenge is single-use, and a bound session cannot be bound again', async () => {
    const device = new DeviceKey('ES256');
    const t = await started();
    const proof = device.proof(t.challenge, { withJwk: true });
    assert.equal((await t.send(proof)).status, 200);
    assert.equal((await t.send(proof)).status, 401);
    assert.equal(t.lastFailure()?.reason, 'already-bound');
    const attacker = new DeviceKey('ES256');
    assert.equal((await t.send(attacker.proof(t.challenge, { withJwk: true }))).status, 401);
    assert.equal((await me(t.browser)).user, 'alice');
  });

  it('registration: an authorization value must come back in the proof', async () => {
    const device = new DeviceKey('ES256');
    const t = await started({}, { 'x-bind-authorization': 'code-123' });
    assert.match(t.header, /;authorization="code-123"$/);
    assert.equal(
      (await t.send(device.proof(t.challenge, { withJwk: true, authorization: 'other' }))).status,
      401,
    );
    assert.equal(t.lastFailure()?.reason, 'authorization');
    assert.equal((await t.send(device.proof(t.challenge, { withJwk: true }))).status, 401);
    assert.equal(
      (await t.send(device.proof(t.challenge, { withJwk: true, authorization: 'code-123' }))).status,
      200,
    );
  });

  it("enforcement 'report' keeps the session for a copy and reports it", async () => {
    const t = await bound({ enforcement: 'report' });
    const copy = t.app.client();
    copy.jar.set('connect.sid', t.browser.jar.get('connect.sid') as string);
    assert.equal((await me(copy)).user, 'alice');
    assert.deepEqual(t.app.of('usedWithoutDeviceProof').at(-1), {
      handle: t.app.sessions.handleOf(sessionIdOf(t.browser)),
      user: 'alice',
      reason: 'missing',
      enforced: false,
    });
  });

  it('rotate() keeps the binding: the bound cookie follows the new ID and refresh goes on working', async () => {
    const t = await bound();
    const before = sessionIdOf(t.browser);
    const rotated = await t.browser.request('/rotate', { method: 'POST' });
    assert.ok(rotated.setCookies.some((c) => c.startsWith(`${BOUND}=`)));
    assert.notEqual(sessionIdOf(t.browser), before);
    assert.deepEqual(await me(t.browser), { user: 'alice', ended: null, proven: true, bound: true });
    assert.equal((await refresh(t.browser, t.device, t.registered)).status, 200);
    const [info] = await t.app.sessions.listByUser('alice');
    assert.equal(info?.deviceBound, true);
  });

  it('regenerate() ends the binding: a new session starts unbound', async () => {
    const t = await bound();
    const regenerated = await t.browser.request('/regenerate', { method: 'POST' });
    assert.ok(regenerated.headers['secure-session-registration'], 'the new sign-in asks again');
    assert.deepEqual(await me(t.browser), { user: 'alice', ended: null, proven: null, bound: false });
  });

  it('revoking a session ends its binding: no session, and refresh is refused', async () => {
    const t = await bound();
    const [info] = await t.app.sessions.listByUser('alice');
    assert.equal(info?.deviceBound, true);
    assert.equal(await t.app.sessions.revoke('alice', info?.handle as string), true);
    assert.equal((await me(t.browser)).user, null);
    const answer = await t.browser.request(t.registered.refreshUrl, {
      method: 'POST',
      headers: { 'sec-secure-session-id': t.registered.id },
    });
    assert.equal(answer.status, 401);
  });

  it("start 'manual': only bindDevice() asks for a registration", async () => {
    const app = await boundApp(makeApp, { start: 'manual' });
    servers.push(app.server);
    const browser = app.client();
    assert.equal(
      (await browser.request('/login', { method: 'POST' })).headers['secure-session-registration'],
      undefined,
    );
    const asked = await browser.request('/login', { method: 'POST', headers: { 'x-bind': '1' } });
    assert.ok(asked.headers['secure-session-registration']);
  });

  it('plain HTTP never asks for a registration (the bound cookie needs Secure)', async () => {
    const sessions = session({ secret: SECRET, userKey: 'userId', deviceBound: {} });
    const app = express();
    app.use(sessions);
    app.post('/login', (req, res) => {
      (req as unknown as Req).session.userId = 'alice';
      res.send('ok');
    });
    const server = await listen(app);
    try {
      const answer = await fetch(`${server.url}/login`, { method: 'POST' });
      assert.equal(answer.status, 200);
      assert.equal(answer.headers.get('secure-session-registration'), null);
    } finally {
      await server.close();
    }
  });

  it('bad options are TypeErrors at construction', () => {
    const bad: Array<Record<string, unknown>> = [
      { registrationPath: 'no-slash' },
      { refreshPath: '/same', registrationPath: '/same' },
      { cookie: { maxAge: 0 } },
      { cookie: { name: 'bad name' } },
      { enforcement: 'off' },
      { algorithms: ['HS256'] },
      { algorithms: [] },
      { start: 'always' },
      { typo: true },
    ];
    for (const deviceBound of bad) {
      assert.throws(
        () => session({ secret: SECRET, userKey: 'userId', deviceBound: deviceBound as never }),
        TypeError,
        JSON.stringify(deviceBound),
      );
    }
    assert.throws(() => session({ secret: SECRET, deviceBound: { start: 'sign-in' } }), TypeError);
    assert.throws(() => session({ secret: SECRET }).bindDevice({} as never), TypeError);
  });
});
