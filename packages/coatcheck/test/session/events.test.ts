import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import session, { cookieSession, MemoryStore, type SessionEvents, type SessionManager } from 'coatcheck';
import express from 'express';
import expressSession from 'express-session';
import { idFromCookie, sessionApp, sessionAppWith } from '../helpers/app.js';
import { Client, EXPRESS } from '../helpers/http.js';
import { assertKeptAlive } from '../helpers/idle.js';

type Logged = { [E in keyof SessionEvents]: [E, SessionEvents[E]] }[keyof SessionEvents];

describe('session events and management', () => {
  const servers: Array<{ close(): Promise<void> }> = [];
  after(() => Promise.all(servers.map((s) => s.close())));

  async function observed(options: Parameters<typeof sessionApp>[1] = {}) {
    const store = new MemoryStore();
    const server = await sessionApp(express, { store, userKey: 'userId', ...options });
    servers.push(server);
    const events: Logged[] = [];
    for (const name of [
      'created',
      'rotated',
      'destroyed',
      'expired',
      'revoked',
      'tampered',
      'unknown',
    ] as const) {
      server.middleware.on(name, (payload) => events.push([name, payload] as Logged));
    }
    return { server, store, events, sessions: server.middleware };
  }

  it('reports created, rotated and destroyed with handles, never IDs', async () => {
    const { server, events, sessions } = await observed();
    const client = new Client(server.url);
    await client.fetch('/views');
    const firstId = idFromCookie(client.jar.get('connect.sid')) as string;
    const secondId = await client.text('/login/ada', { method: 'POST' });
    await client.fetch('/logout', { method: 'POST' });
    assert.deepEqual(events, [
      ['created', { handle: sessions.handleOf(firstId) }],
      [
        'rotated',
        { handle: sessions.handleOf(secondId), previous: sessions.handleOf(firstId), user: undefined },
      ],
      ['destroyed', { handle: sessions.handleOf(secondId), reason: 'destroy', user: 'ada' }],
    ]);
    const serialized = JSON.stringify(events);
    assert.equal(serialized.includes(firstId), false);
    assert.equal(serialized.includes(secondId), false);
    assert.match(sessions.handleOf(firstId), /^[A-Za-z0-9_-]{22}$/);
    assert.notEqual(sessions.handleOf(firstId), sessions.handleOf(secondId));
  });

  it('reports tampered cookies by reason, and correctly signed unknown IDs', async () => {
    const { server, events } = await observed();
    const client = new Client(server.url);
    await client.fetch('/views');
    const good = client.jar.get('connect.sid') as string;
    // Change the signature's first character, not its end: the end may be part of an escape (%2F).
    const signed = decodeURIComponent(good);
    const dot = signed.lastIndexOf('.') + 1;
    const forged = `${signed.slice(0, dot)}${signed[dot] === 'A' ? 'B' : 'A'}${signed.slice(dot + 1)}`;
    await client.fetch('/read', { cookie: `connect.sid=${encodeURIComponent(forged)}` });
    await client.fetch('/read', { cookie: 'connect.sid=plain-value' });
    await client.fetch('/read', { cookie: `connect.sid=s%3A${'a'.repeat(2000)}` });
    await client.fetch('/logout', { method: 'POST', cookie: `connect.sid=${good}` });
    await client.fetch('/read', { cookie: `connect.sid=${good}` });
    assert.deepEqual(
      events
        .filter(([name]) => name === 'tampered' || name === 'unknown')
        .map(([name, p]) => [name, 'reason' in p ? p.reason : 'handle' in p]),
      [
        ['tampered', 'signature'],
        ['tampered', 'malformed'],
        ['tampered', 'oversized'],
        ['unknown', true],
      ],
    );
  });

  it('reports an absolute expiry', async () => {
    const { server, events } = await observed({ absoluteTimeout: 200, idleTimeout: 60_000 });
    const client = new Client(server.url);
    await client.fetch('/views');
    await sleep(250);
    await client.fetch('/views');
    assert.deepEqual(events.find(([name]) => name === 'expired')?.[1], {
      handle: (events[0] as [string, { handle: string }])[1].handle,
      reason: 'absolute',
      user: undefined,
    });
  });

  it('lists a user’s devices, revokes one by handle, and all but the current one', async () => {
    const { server, sessions, events } = await observed();
    const [laptop, phone, tablet] = [new Client(server.url), new Client(server.url), new Client(server.url)];
    const ids: string[] = [];
    for (const device of [laptop, phone, tablet])
      ids.push(await device.text('/login/grace', { method: 'POST' }));
    const listed = await sessions.listByUser('grace');
    assert.deepEqual(listed.map((s) => s.handle).sort(), ids.map((id) => sessions.handleOf(id)).sort());
    for (const info of listed) {
      assert.equal(info.data.userId, 'grace');
      assert.ok(info.created instanceof Date && info.lastSeen instanceof Date && info.expires > new Date());
    }
    assert.equal(await sessions.revoke('grace', sessions.handleOf(ids[1] as string)), true);
    assert.equal(await sessions.revoke('grace', sessions.handleOf(ids[1] as string)), false, 'already gone');
    assert.equal(
      await sessions.revoke('someone-else', sessions.handleOf(ids[0] as string)),
      false,
      'only the user’s own',
    );
    assert.deepEqual(await (await phone.fetch('/read')).json(), {});
    assert.equal(await sessions.revokeAll('grace', { except: ids[0] }), 1);
    assert.deepEqual(await (await tablet.fetch('/read')).json(), {});
    assert.equal(((await (await laptop.fetch('/read')).json()) as { userId: string }).userId, 'grace');
    assert.deepEqual(
      events.filter(([name]) => name === 'revoked').map(([, p]) => p),
      [
        { handles: [sessions.handleOf(ids[1] as string)], user: 'grace' },
        { handles: [sessions.handleOf(ids[2] as string)], user: 'grace' },
      ],
    );
  });

  it('info(req) reports the session’s idle and absolute deadlines', async () => {
    const { server } = await observed({ idleTimeout: 60_000, absoluteTimeout: 3_600_000 });
    const { middleware } = server;
    const extra = await sessionApp(express, { idleTimeout: 60_000, absoluteTimeout: 3_600_000 }, (app) =>
      app.get('/info', (req: unknown, res: { json(b: unknown): void }) => res.json(middlewareInfo(req))),
    );
    servers.push(extra);
    const middlewareInfo = (req: unknown) => extra.middleware.info(req as never);
    const client = new Client(extra.url);
    await client.fetch('/views');
    const info = (await (await client.fetch('/info')).json()) as Record<string, string | number>;
    const created = Date.parse(info.created as string);
    assert.equal(Date.parse(info.absoluteExpires as string) - created, 3_600_000);
    const idleLeft = Date.parse(info.idleExpires as string) - Date.now();
    assert.ok(idleLeft > 50_000 && idleLeft <= 60_000, `idle left ${idleLeft}`);
    assert.equal(info.idleTimeout, 60_000);
    assert.equal(typeof middleware.info, 'function');
  });

  it('ended(req) tells why the cookie’s session was not used, and info(req) is undefined until stored', async () => {
    const store = new MemoryStore();
    let sessions: { ended(req: unknown): string | undefined; info(req: unknown): unknown } | undefined;
    const server = await sessionApp(express, { store, absoluteTimeout: 300 }, (app) =>
      app.get('/why', (req: unknown, res: { json(b: unknown): void }) =>
        res.json({ ended: sessions?.ended(req) ?? 'none', stored: sessions?.info(req) !== undefined }),
      ),
    );
    sessions = server.middleware as never;
    servers.push(server);
    const client = new Client(server.url);
    const why = async (cookie?: string) =>
      (await client.fetch('/why', cookie === undefined ? {} : { cookie })).json();
    assert.deepEqual(await why(''), { ended: 'none', stored: false });
    await client.fetch('/views');
    const good = client.jar.get('connect.sid') as string;
    assert.deepEqual(await why(`connect.sid=${good}`), { ended: 'none', stored: true });
    assert.deepEqual(await why(`connect.sid=${good}x`), { ended: 'tampered', stored: false });
    await sleep(350);
    assert.deepEqual(await why(`connect.sid=${good}`), { ended: 'expired', stored: false });
    assert.deepEqual(
      await why(`connect.sid=${good}`),
      { ended: 'unknown', stored: false },
      'removed once expired',
    );
  });

  it('a throwing listener does not break the request', async () => {
    const { server } = await observed();
    server.middleware.on('created', () => {
      throw new Error('listener bug');
    });
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(w.message);
    process.on('warning', onWarning);
    const response = await new Client(server.url).fetch('/views');
    await sleep(10);
    process.off('warning', onWarning);
    assert.equal(response.status, 200);
    assert.ok(warnings.some((w) => w.includes('listener threw')));
  });
});

// An idle timeout is reported as what it is: `expired` with reason 'idle', by ended(req) and the
// event, for as long as the store keeps the record (one more idle timeout); then `unknown`.
for (const [framework, makeApp] of EXPRESS) {
  const middlewares: Array<[string, (options: Record<string, unknown>) => SessionManager]> = [
    ['session() on MemoryStore', (o) => session({ ...o, store: new MemoryStore() } as never)],
    [
      'session() on an express-session store',
      (o) => session({ ...o, store: new expressSession.MemoryStore() } as never),
    ],
    ['cookieSession()', (o) => cookieSession(o as never)],
  ];
  for (const [label, make] of middlewares) {
    describe(`idle expiry reporting, ${label} on ${framework}`, () => {
      const servers: Array<{ close(): Promise<void> }> = [];
      after(() => Promise.all(servers.map((s) => s.close())));

      it('ended(req) and the expired event say "idle" for a session left alone past its idle timeout', async () => {
        let sessions: SessionManager | undefined;
        const server = await sessionAppWith(
          makeApp,
          make,
          { idleTimeout: 800, touchAfter: 0, userKey: 'userId' },
          (app) =>
            app.get('/why', (req: unknown, res: { json(b: unknown): void }) =>
              res.json({ ended: sessions?.ended(req as never) ?? 'none' }),
            ),
        );
        sessions = server.middleware;
        servers.push(server);
        const expired: unknown[] = [];
        const unknown: unknown[] = [];
        sessions.on('expired', (payload) => expired.push(payload));
        sessions.on('unknown', (payload) => unknown.push(payload));
        const client = new Client(server.url);
        const id = await client.text('/login/ada', { method: 'POST' });
        const cookie = client.cookieHeader();
        assert.deepEqual(await (await client.fetch('/why', { cookie })).json(), { ended: 'none' });
        await sleep(1000);
        assert.deepEqual(await (await client.fetch('/why', { cookie })).json(), { ended: 'expired' });
        assert.deepEqual(expired, [{ handle: sessions.handleOf(id), reason: 'idle', user: 'ada' }]);
        assert.deepEqual(unknown, []);
      });

      it('a session still in use is not reported, and past the grace an idle one is unknown', async () => {
        let sessions: SessionManager | undefined;
        const server = await sessionAppWith(makeApp, make, { idleTimeout: 800, touchAfter: 0 }, (app) =>
          app.get('/why', (req: unknown, res: { json(b: unknown): void }) =>
            res.json({ ended: sessions?.ended(req as never) ?? 'none' }),
          ),
        );
        sessions = server.middleware;
        servers.push(server);
        const client = await assertKeptAlive({ idleTimeout: 800, every: 250, count: 4 }, async () => {
          const client = new Client(server.url);
          await client.fetch('/views');
          const check = async () =>
            assert.deepEqual(await (await client.fetch('/why')).json(), { ended: 'none' });
          return { state: client, check };
        });
        const cookie = client.cookieHeader();
        // Past the idle deadline and the grace of one more idle timeout: the store has let it go.
        await sleep(1800);
        const why = (await (await client.fetch('/why', { cookie })).json()) as { ended: string };
        assert.ok(why.ended === (label === 'cookieSession()' ? 'none' : 'unknown'), `${label}: ${why.ended}`);
      });
    });
  }
}
