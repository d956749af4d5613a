// Taking over from connect-redis: sessions it wrote stay valid under RedisStore({ legacyPrefix }).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import session from 'coatcheck';
import { freshId } from 'coatcheck/testing';
import { RedisStore as ConnectRedisStore } from 'connect-redis';
import expressSession from 'express-session';
import type { Redis } from 'ioredis';
import { SERVICES, serviceSkipReason } from '../../../test/helpers/services.js';
import { RedisStore } from '../src/index.js';
import { CREATE } from '../src/scripts.js';
import { SECRET, startApp } from './fixtures/app.js';
import { connectIORedis, connectNodeRedis, removeKeysUnder, uniquePrefix } from './helpers.js';

const skip = await serviceSkipReason(SERVICES.redis);
const HOUR = 3_600_000;

describe('RedisStore taking over from connect-redis', { skip }, () => {
  const base = uniquePrefix('connect-redis');
  const legacyPrefix = `${base}sess:`;
  let client: Awaited<ReturnType<typeof connectNodeRedis>>;
  let inspector: Redis;
  let legacy: ConnectRedisStore;
  let store: RedisStore;

  before(async () => {
    client = await connectNodeRedis();
    inspector = connectIORedis();
    legacy = new ConnectRedisStore({ client, prefix: legacyPrefix });
    store = new RedisStore({ client, prefix: `${base}coatcheck:`, legacyPrefix });
  });
  after(async () => {
    await removeKeysUnder(base);
    await client.quit();
    await inspector.quit();
  });

  /** A session as express-session hands it to connect-redis. */
  async function legacySession(data: Record<string, unknown> = {}): Promise<{ id: string; expires: number }> {
    const id = freshId();
    const expires = Date.now() + HOUR;
    const sess = {
      cookie: { originalMaxAge: HOUR, expires: new Date(expires).toISOString(), httpOnly: true, path: '/' },
      ...data,
    };
    await legacy.set(id, sess as never);
    return { id, expires };
  }

  it('reads a session connect-redis wrote, with the key’s expiry', async () => {
    const { id } = await legacySession({ views: 3, passport: { user: 'ada' } });
    const record = await store.read(id);
    assert.deepEqual(record?.data.passport, { user: 'ada' });
    assert.equal(record?.data.views, 3);
    assert.equal(record?.expires, Number(await inspector.call('PEXPIRETIME', `${legacyPrefix}${id}`)));
  });

  it('moves it into its own layout on the first patch, and drops the connect-redis key', async () => {
    const { id } = await legacySession({ views: 3 });
    assert.equal(
      await store.patch(id, {
        set: { cart: ['x'] },
        unset: [],
        expires: Date.now() + HOUR,
        touched: Date.now(),
      }),
      true,
    );
    assert.equal(await inspector.exists(`${legacyPrefix}${id}`), 0);
    assert.equal(await inspector.type(store.sessionKey(id)), 'hash');
    const record = await store.read(id);
    assert.equal(record?.data.views, 3);
    assert.deepEqual(record?.data.cart, ['x']);
  });

  it('refresh moves it too; write replaces it; remove deletes it', async () => {
    const refreshed = await legacySession();
    assert.equal(await store.refresh(refreshed.id, Date.now() + 2 * HOUR, Date.now()), true);
    assert.equal(await inspector.exists(`${legacyPrefix}${refreshed.id}`), 0);
    assert.ok(await store.read(refreshed.id));

    const written = await legacySession({ old: true });
    const now = Date.now();
    await store.write(written.id, { data: { fresh: true }, expires: now + 1000, created: now, touched: now });
    assert.equal(await inspector.exists(`${legacyPrefix}${written.id}`), 0, 'no stale copy to fall back on');
    assert.deepEqual((await store.read(written.id))?.data, { fresh: true });

    const removed = await legacySession();
    await store.remove(removed.id);
    assert.equal(await store.read(removed.id), undefined);
    assert.equal(
      await store.patch(removed.id, {
        set: { a: 1 },
        unset: [],
        expires: Date.now() + HOUR,
        touched: Date.now(),
      }),
      false,
    );
  });

  it('a removed session stays removed whatever concurrent patches moving it do', async () => {
    for (let round = 0; round < 10; round++) {
      const { id } = await legacySession({ loggedIn: true });
      const patch = (i: number) =>
        store.patch(id, {
          set: { [`k${i}`]: i },
          unset: [],
          expires: Date.now() + HOUR,
          touched: Date.now(),
        });
      await Promise.all([
        ...Array.from({ length: 5 }, (_, i) => patch(i)),
        store.remove(id),
        ...Array.from({ length: 5 }, (_, i) => patch(i + 5)),
      ]);
      assert.equal(await store.read(id), undefined, `round ${round}`);
    }
  });

  it('a remove between reading a connect-redis session and copying it wins', async () => {
    const { id } = await legacySession({ loggedIn: true });
    const other = new RedisStore({ client, prefix: `${base}coatcheck:`, legacyPrefix });
    // The real client, made to run a logout at the worst moment: just before the copy is created.
    let logoutFirst: (() => Promise<void>) | undefined = () => other.remove(id);
    const interleaving = {
      isOpen: true,
      sendCommand: async (args: readonly string[]) => {
        if (logoutFirst && (args[1] === CREATE.sha || args[1] === CREATE.lua)) {
          const logout = logoutFirst;
          logoutFirst = undefined;
          await logout();
        }
        return client.sendCommand(args);
      },
    };
    const racing = new RedisStore({ client: interleaving, prefix: `${base}coatcheck:`, legacyPrefix });
    const patched = await racing.patch(id, {
      set: { late: 1 },
      unset: [],
      expires: Date.now() + HOUR,
      touched: Date.now(),
    });
    assert.equal(logoutFirst, undefined, 'the logout ran inside the move');
    assert.equal(patched, false);
    assert.equal(await store.read(id), undefined);
  });

  it('without legacyPrefix, connect-redis keys are not read', async () => {
    const { id } = await legacySession();
    const plain = new RedisStore({ client, prefix: `${base}coatcheck:` });
    assert.equal(await plain.read(id), undefined);
  });

  it('keeps a user of an express-session + connect-redis app logged in on coatcheck session()', async () => {
    const before = await startApp(
      expressSession({ secret: SECRET, store: legacy, resave: false, saveUninitialized: false }),
    );
    const after = await startApp(session({ secret: SECRET, store }));
    try {
      const login = await fetch(`${before.url}/keys/first`, { method: 'PUT' });
      assert.equal(await login.text(), 'ok');
      const cookie = login.headers.get('set-cookie')?.split(';')[0] ?? assert.fail('no session cookie');
      const seen = (await (await fetch(`${after.url}/keys`, { headers: { cookie } })).json()) as {
        data: Record<string, unknown>;
      };
      assert.deepEqual(
        Object.keys(seen.data),
        ['first'],
        'the coatcheck app reads the connect-redis session',
      );
      const put = await fetch(`${after.url}/keys/second`, { method: 'PUT', headers: { cookie } });
      assert.equal(await put.text(), 'ok');
      const both = (await (await fetch(`${after.url}/keys`, { headers: { cookie } })).json()) as {
        data: Record<string, unknown>;
      };
      assert.deepEqual(Object.keys(both.data).sort(), ['first', 'second']);
    } finally {
      await before.close();
      await after.close();
    }
  });
});

describe('RedisStore legacyPrefix option', () => {
  const client = { sendCommand: async () => null, isOpen: true };
  const table: Array<[string, Record<string, unknown>]> = [
    ['empty', { legacyPrefix: '' }],
    ['with a space', { legacyPrefix: 'my sess:' }],
    ['the same as prefix', { prefix: 'sess:', legacyPrefix: 'sess:' }],
    ['starting with prefix', { prefix: 'app:', legacyPrefix: 'app:sess:' }],
    ['a prefix of prefix', { prefix: 'sess:app:', legacyPrefix: 'sess:' }],
  ];
  for (const [label, options] of table) {
    it(`rejects a legacyPrefix ${label} with a TypeError naming it`, () => {
      assert.throws(
        () => new RedisStore({ client, ...options }),
        (err) => err instanceof TypeError && /legacyPrefix/.test(err.message),
      );
    });
  }
});
