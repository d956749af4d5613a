import assert from 'node:assert/strict';
import { createSecretKey } from 'node:crypto';
import { after, describe, it } from 'node:test';
import session, { MemoryStore, type SessionRecord, type SessionStore } from 'coatcheck';
import express from 'express';
import expressSession from 'express-session';
import { KeyedLock } from '../../src/lib/keyed-lock.js';
import { RotationTrail, TRAIL_LIMIT, TRAIL_TTL } from '../../src/lib/rotation-trail.js';
import { type StoreCallPolicy, storeCallsFor } from '../../src/session/engine/store-calls.js';
import { SessionReporter } from '../../src/session/events.js';
import { type AnyApp, Client, listen, type TestServer } from '../helpers/http.js';

const SECRET = 'rotation trail tests: a secret of thirty-two bytes or more';

function policy(): StoreCallPolicy {
  return {
    storeTimeout: 5000,
    onStoreError: 'fail',
    wholeRecordLock: new KeyedLock(),
    reporter: new SessionReporter([createSecretKey(Buffer.alloc(32, 1))]),
  };
}

const record = (data: Record<string, unknown> = {}): SessionRecord => ({
  data: { cookie: { originalMaxAge: null }, ...data },
  created: Date.now(),
  touched: Date.now(),
  expires: Date.now() + 60_000,
});

/** A promise and the function that settles it, for ordering two calls exactly. */
function gate() {
  let open = () => {};
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { opened, open };
}

/**
 * A MemoryStore reached through promises (so through the engine's remote path), whose `rotate`
 * and `listByUser` can be stopped half-way by the test: the store has started the call, and
 * answers only when the gate opens.
 */
class GatedStore implements SessionStore {
  readonly name = 'gated';
  readonly inner = new MemoryStore({ pruneInterval: 0 });
  rotateGate: ReturnType<typeof gate> | undefined;
  listGate: ReturnType<typeof gate> | undefined;
  read(id: string) {
    return this.inner.read(id);
  }
  write(id: string, value: SessionRecord) {
    return this.inner.write(id, value);
  }
  patch(...args: Parameters<MemoryStore['patch']>) {
    return this.inner.patch(...args);
  }
  remove(id: string) {
    return this.inner.remove(id);
  }
  async rotate(oldId: string, newId: string, value: SessionRecord) {
    const moved = await this.inner.rotate(oldId, newId, value);
    await this.rotateGate?.opened;
    return moved;
  }
  async listByUser(user: string) {
    const listed = await this.inner.listByUser(user);
    await this.listGate?.opened;
    return listed;
  }
  removeByUser(user: string, exceptId?: string) {
    return this.inner.removeByUser(user, exceptId);
  }
}

describe('RotationTrail', () => {
  it('follows a session through every rotation, once, and forgets a move that failed', () => {
    const trail = new RotationTrail();
    trail.note('a', 'b');
    trail.note('b', 'c');
    trail.note('x', 'y');
    trail.drop('x', 'y');
    trail.drop('a', 'not-b');
    assert.deepEqual(trail.take('a'), ['b', 'c']);
    assert.deepEqual(trail.take('a'), [], 'taken off the trail');
    assert.deepEqual(trail.take('b'), []);
    assert.deepEqual(trail.take('x'), [], 'a dropped move is not followed');
    assert.equal(trail.size, 0);
  });

  it(`forgets moves after ${TRAIL_TTL / 60_000} minutes and keeps at most ${TRAIL_LIMIT}`, () => {
    const trail = new RotationTrail();
    const now = Date.now();
    trail.note('old', 'new', now - TRAIL_TTL - 1);
    assert.deepEqual(trail.take('old', now), [], 'an expired move is not followed');
    for (let i = 0; i <= TRAIL_LIMIT; i++) trail.note(`from${i}`, `to${i}`, now);
    assert.equal(trail.size, TRAIL_LIMIT, 'a flood of logins costs a bounded trail');
    assert.deepEqual(trail.take('from0', now), [], 'the oldest move went first');
    assert.deepEqual(trail.take(`from${TRAIL_LIMIT}`, now), [`to${TRAIL_LIMIT}`]);
  });

  it('is one per store, shared by every middleware on it', () => {
    const store = new MemoryStore({ pruneInterval: 0 });
    assert.equal(RotationTrail.of(store), RotationTrail.of(store));
    assert.notEqual(RotationTrail.of(store), RotationTrail.of(new MemoryStore({ pruneInterval: 0 })));
  });
});

describe('engine/store-calls with the rotation trail', () => {
  it('a remove of a rotated ID removes what it became, on MemoryStore and on a promised store', async () => {
    for (const store of [new MemoryStore({ pruneInterval: 0 }), new GatedStore()]) {
      const calls = storeCallsFor(policy(), store, false);
      await calls.write('a', record({ user: 'alice' }));
      assert.equal(await calls.rotate('a', 'b', record({ user: 'alice' })), true);
      assert.equal(await calls.rotate('b', 'c', record({ user: 'alice' })), true);
      await calls.remove('a');
      assert.equal(await calls.read('c'), undefined, `${store.name}: removed two rotations on`);
    }
  });

  it('a remove that lands while the store is still deciding a rotate removes the new ID too', async () => {
    const store = new GatedStore();
    const calls = storeCallsFor(policy(), store, false);
    await calls.write('a', record({ user: 'alice' }));
    store.rotateGate = gate();
    const rotating = calls.rotate('a', 'b', record({ user: 'alice' }));
    await new Promise((resolve) => setImmediate(resolve));
    await calls.remove('a');
    store.rotateGate.open();
    assert.equal(await rotating, true, 'the store moved it before the remove came');
    assert.equal(await store.read('b'), undefined, 'and the remove found it under its new ID');
  });

  it('a failed rotate leaves nothing to follow: a later session under that ID is not touched', async () => {
    const store = new GatedStore();
    const calls = storeCallsFor(policy(), store, false);
    assert.equal(await calls.rotate('gone', 'b', record()), false);
    await calls.write('b', record({ other: true }));
    await calls.remove('gone');
    assert.equal((await calls.read('b'))?.data.other, true);
  });
});

describe('a logout that loaded the session before a slower rotate or regenerate', () => {
  const servers: TestServer[] = [];
  after(() => Promise.all(servers.map((server) => server.close())));

  async function start(store: SessionStore | expressSession.Store) {
    const sessions = session({ secret: SECRET, store, userKey: 'userId' });
    const app: AnyApp = express();
    const held = new Map<string, ReturnType<typeof gate> & { arrived: ReturnType<typeof gate> }>();
    const hold = (name: unknown) => {
      if (typeof name !== 'string') return undefined;
      let entry = held.get(name);
      if (!entry) {
        entry = { ...gate(), arrived: gate() };
        held.set(name, entry);
      }
      return entry;
    };
    app.use(sessions);
    app.post('/set/:key/:value', (req: AnyApp, res: AnyApp) => {
      req.session[req.params.key] = req.params.value;
      res.send('ok');
    });
    app.post('/regenerate-login/:user', (req: AnyApp, res: AnyApp, next: AnyApp) => {
      req.session.regenerate((err: unknown) => {
        if (err) return next(err);
        req.session.userId = req.params.user;
        res.send('ok');
      });
    });
    app.post('/logout', async (req: AnyApp, res: AnyApp) => {
      const entry = hold(req.query.hold);
      entry?.arrived.open();
      await entry?.opened;
      await req.session.destroy();
      res.send('bye');
    });
    app.get('/read', (req: AnyApp, res: AnyApp) => {
      const { cookie: _cookie, ...data } = req.session;
      res.json(data);
    });
    const server = await listen(app);
    servers.push(server);
    return { server, sessions, hold: (name: string) => hold(name) as NonNullable<ReturnType<typeof hold>> };
  }

  const stores: Array<[string, () => SessionStore | expressSession.Store]> = [
    ['MemoryStore', () => new MemoryStore({ pruneInterval: 0 })],
    ['a store through promises', () => new GatedStore()],
    ["express-session's MemoryStore, a connect store", () => new expressSession.MemoryStore()],
  ];
  for (const [name, store] of stores) {
    it(`ends what regenerate() made in the meantime (${name})`, async () => {
      const { server, hold } = await start(store());
      const browser = new Client(server.url);
      await browser.fetch('/set/userId/alice', { method: 'POST' });
      const cookie = browser.cookieHeader();
      const logout = browser.fetch('/logout?hold=l', { method: 'POST', cookie });
      await hold('l').arrived.opened;
      const login = await browser.fetch('/regenerate-login/mallory', { method: 'POST', cookie });
      assert.equal(login.status, 200);
      const issued = (login.setCookies[0] as string).split(';')[0] as string;
      assert.deepEqual(await (await browser.fetch('/read', { cookie: issued })).json(), {
        userId: 'mallory',
      });
      hold('l').open();
      assert.equal((await logout).status, 200);
      assert.deepEqual(await (await browser.fetch('/read', { cookie: issued })).json(), {});
    });
  }

  it('revoke() that listed the session before a slower request rotated it ends the new ID', async () => {
    const store = new GatedStore();
    const { server, sessions } = await start(store);
    const browser = new Client(server.url);
    await browser.fetch('/set/userId/alice', { method: 'POST' });
    const [listed] = await sessions.listByUser('alice');
    assert.ok(listed);
    store.listGate = gate();
    const revoking = sessions.revoke('alice', listed.handle);
    await new Promise((resolve) => setImmediate(resolve));
    const rotated = await browser.fetch('/regenerate-login/alice', { method: 'POST' });
    assert.equal(rotated.status, 200);
    assert.deepEqual(await (await browser.fetch('/read')).json(), { userId: 'alice' });
    store.listGate.open();
    assert.equal(await revoking, true);
    assert.deepEqual(await (await browser.fetch('/read')).json(), {}, 'the rotated session is revoked');
  });
});
