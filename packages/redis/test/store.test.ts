import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { StoreError } from 'coatcheck';
import type { SessionPatch } from 'coatcheck/stores';
import { freshId, sampleRecord } from 'coatcheck/testing';
import type { Redis } from 'ioredis';
import { SERVICES, serviceSkipReason } from '../../../test/helpers/services.js';
import { fromUrl, RedisStore } from '../src/index.js';
import {
  connectIORedis,
  connectNodeRedis,
  keysUnder,
  monitorCommands,
  parseMonitorLine,
  REDIS_URL,
  removeKeysUnder,
  uniquePrefix,
} from './helpers.js';

const skip = await serviceSkipReason(SERVICES.redis);
const HOUR = 3_600_000;

function patchOf(set: Record<string, unknown>, extra: Partial<SessionPatch> = {}): SessionPatch {
  return { set, unset: [], expires: Date.now() + HOUR, touched: Date.now(), ...extra };
}

describe('RedisStore on a real server', { skip }, () => {
  const prefix = uniquePrefix('store');
  let client: Awaited<ReturnType<typeof connectNodeRedis>>;
  let inspector: Redis;
  let store: RedisStore;

  before(async () => {
    client = await connectNodeRedis();
    inspector = connectIORedis();
    store = new RedisStore({ client, prefix });
  });
  after(async () => {
    await store.close();
    await removeKeysUnder(prefix);
    await client.quit();
    await inspector.quit();
  });

  it('keeps a session as one hash: d: field per data key, m: fields for metadata, PEXPIREAT at expiry', async () => {
    const id = freshId();
    const user = freshId('user');
    const record = sampleRecord({ user }, { cart: ['apple'], 'a.b': 1 });
    await store.write(id, record);
    const key = `${prefix}sess:${id}`;
    assert.equal(await inspector.type(key), 'hash');
    const hash = await inspector.hgetall(key);
    assert.deepEqual(Object.keys(hash).sort(), [
      'd:a.b',
      'd:cart',
      'd:cookie',
      'm:created',
      'm:expires',
      'm:indexed',
      'm:touched',
      'm:user',
    ]);
    assert.equal(hash['d:cart'], '["apple"]');
    assert.equal(hash['m:user'], user);
    assert.equal(Number(await inspector.call('PEXPIRETIME', key)), record.expires);
    const index = `${prefix}user:${user}`;
    assert.deepEqual(await inspector.smembers(index), [id]);
    assert.ok(Number(await inspector.call('PEXPIRETIME', index)) >= record.expires);
  });

  it('leaves no key without a TTL', async () => {
    const user = freshId('user');
    const [a, b, c] = [freshId(), freshId(), freshId()];
    await store.write(a, sampleRecord({ user }));
    await store.write(b, sampleRecord());
    await store.patch(b, patchOf({ x: 1 }, { user }));
    await store.refresh(a, Date.now() + 2 * HOUR, Date.now());
    await store.write(c, sampleRecord({ user: freshId('other') }));
    await store.patch(c, patchOf({}, { user: null }));
    await store.remove(a);
    await store.listByUser(user);
    const keys = await keysUnder(inspector, prefix);
    assert.ok(keys.length >= 3);
    for (const key of keys) assert.ok((await inspector.pttl(key)) > 0, `${key} has a TTL`);
  });

  it('extends a user’s index when a rolling session outlives it, about once per lifetime', async () => {
    const id = freshId();
    const user = freshId('user');
    const index = `${prefix}user:${user}`;
    await store.write(id, sampleRecord({ user, expires: Date.now() + 1000 }));
    const firstIndexExpiry = Number(await inspector.call('PEXPIRETIME', index));
    const later = Date.now() + 10 * HOUR;
    assert.equal(await store.refresh(id, later, Date.now()), true);
    const extended = Number(await inspector.call('PEXPIRETIME', index));
    assert.ok(firstIndexExpiry < later && extended >= later, 'the index now outlives the session');
    assert.ok(Number(await inspector.hget(`${prefix}sess:${id}`, 'm:indexed')) >= later);
    assert.deepEqual(
      (await store.listByUser(user)).map(([i]) => i),
      [id],
    );
  });

  describe('commands per operation (counted with MONITOR)', () => {
    let monitor: Awaited<ReturnType<typeof monitorCommands>> | undefined;
    const seen: string[][] = [];
    before(async () => {
      monitor = await monitorCommands(({ args, source }) => {
        // Commands a script runs show up with source "lua"; only what the client sent counts.
        if (source !== 'lua' && args.some((arg) => arg.startsWith(prefix))) seen.push(args);
      });
      // Load every script once, so that what is counted is the steady state (EVALSHA).
      const warm = freshId();
      await store.write(warm, sampleRecord({ user: 'warm' }));
      await store.patch(warm, patchOf({ a: 1 }));
      await store.removeByUser('warm');
    });
    after(() => monitor?.close());

    async function commandsOf(work: () => Promise<unknown>): Promise<string[]> {
      await new Promise((resolve) => setTimeout(resolve, 50));
      seen.length = 0;
      await work();
      await new Promise((resolve) => setTimeout(resolve, 100));
      return seen.map((args) => String(args[0]).toUpperCase());
    }

    const id = freshId();
    const user = freshId('user');
    const table: Array<[string, () => Promise<unknown>, string[]]> = [
      [
        'write of an anonymous session: one script',
        () => store.write(id, sampleRecord({}, { a: 1 })),
        ['EVALSHA'],
      ],
      ['read: one HGETALL', () => store.read(id), ['HGETALL']],
      ['patch: one script', () => store.patch(id, patchOf({ b: 2 }, { unset: ['a'] })), ['EVALSHA']],
      ['refresh: one script', () => store.refresh(id, Date.now() + HOUR, Date.now()), ['EVALSHA']],
      [
        'login (patch that sets the owner): index, then session',
        () => store.patch(id, patchOf({}, { user })),
        ['EVALSHA', 'EVALSHA'],
      ],
      ['patch of a logged-in session: one script', () => store.patch(id, patchOf({ c: 3 })), ['EVALSHA']],
      ['read of a logged-in session: one HGETALL', () => store.read(id), ['HGETALL']],
      [
        'logout (remove): session, then SREM from the index and SMEMBERS of its forwards together',
        () => store.remove(id),
        ['EVALSHA', 'SREM', 'SMEMBERS'],
      ],
    ];
    for (const [label, work, expected] of table) {
      it(label, async () => assert.deepEqual(await commandsOf(work), expected));
    }
  });

  it('lists only its own keys when the prefix holds glob characters', async () => {
    const base = uniquePrefix('glob');
    const globbed = new RedisStore({ client, prefix: `${base}*` });
    const neighbour = new RedisStore({ client, prefix: `${base}x` });
    try {
      const mine = freshId();
      await globbed.write(mine, sampleRecord());
      await neighbour.write(freshId(), sampleRecord());
      assert.deepEqual(await globbed.ids(), [mine]);
      await globbed.purge();
      assert.equal(await neighbour.count(), 1, 'purge left the neighbour alone');
    } finally {
      await removeKeysUnder(base);
    }
  });

  it('never closes a client it was given', async () => {
    const borrowed = new RedisStore({ client, prefix });
    await borrowed.close();
    assert.equal(await client.ping(), 'PONG');
    await assert.rejects(borrowed.read(freshId()), {
      code: 'ERR_STORE_CLOSED',
      store: 'redis',
      operation: 'read',
    });
  });
});

describe('RedisStore errors', { skip }, () => {
  const prefix = uniquePrefix('errors');
  after(() => removeKeysUnder(prefix));

  it('wraps a driver failure in a StoreError naming store and operation, without IDs or data', async () => {
    const client = connectIORedis();
    const store = new RedisStore({ client, prefix });
    const id = freshId('secret-session-id');
    await client.set(`${prefix}sess:${id}`, 'not a hash', 'PX', 60_000);
    for (const [operation, call] of [
      ['read', () => store.read(id)],
      ['patch', () => store.patch(id, patchOf({ secret: 'secret-data' }))],
    ] as const) {
      const err = await call().catch((e: unknown) => e);
      assert.ok(err instanceof StoreError, `${operation} rejects with a StoreError`);
      assert.equal(err.store, 'redis');
      assert.equal(err.operation, operation);
      const cause = err.cause as { message: string; command?: { args?: unknown } };
      assert.match(cause.message, /WRONGTYPE/);
      assert.equal(cause.command?.args, undefined, 'ioredis’ command arguments are dropped');
      assert.doesNotMatch(`${err.message} ${cause.message}`, /secret/);
    }
    await client.quit();
  });

  it('a closed node-redis client fails as a StoreError', async () => {
    const client = await connectNodeRedis();
    const store = new RedisStore({ client, prefix });
    await client.quit();
    await assert.rejects(store.write(freshId(), sampleRecord()), {
      code: 'ERR_STORE',
      store: 'redis',
      operation: 'write',
    });
  });
});

describe('fromUrl', { skip }, () => {
  it('opens its own client, honours ?prefix=, and closes the client in close()', async () => {
    const prefix = uniquePrefix('from-url');
    const store = await fromUrl(`${REDIS_URL}?prefix=${encodeURIComponent(prefix)}`);
    try {
      assert.equal(store.prefix, prefix);
      const id = freshId();
      await store.write(id, sampleRecord({}, { a: 1 }));
      assert.equal((await store.read(id))?.data.a, 1);
    } finally {
      await store.close();
      await removeKeysUnder(prefix);
    }
    await assert.rejects(store.read(freshId()), { code: 'ERR_STORE_CLOSED' });
  });

  it('fails fast with a StoreError when Redis is unreachable', async () => {
    await assert.rejects(fromUrl('redis://127.0.0.1:1'), {
      code: 'ERR_STORE',
      operation: 'connect',
    });
  });
});

describe('parseMonitorLine (the MONITOR helper the command counts rely on)', () => {
  const table: Array<[string, { args: string[]; source: string } | undefined]> = [
    [
      '+1796159759.132602 [0 127.0.0.1:59560] "hset" "k" "d:cookie" "\\"sid=abc\\""',
      {
        args: ['hset', 'k', 'd:cookie', '"sid=abc"'],
        source: '127.0.0.1:59560',
      },
    ],
    [
      '+1.5 [3 lua] "SREM" "a\\x00b" "line\\nbreak" "back\\\\slash"',
      {
        args: ['SREM', 'a\u0000b', 'line\nbreak', 'back\\slash'],
        source: 'lua',
      },
    ],
    ['+OK', undefined],
    ['-ERR unknown', undefined],
  ];
  for (const [line, expected] of table) {
    it(JSON.stringify(line), () => assert.deepEqual(parseMonitorLine(line), expected));
  }
});

describe('RedisStore options', () => {
  const nodeRedisLike = { sendCommand: async () => null, isOpen: true };
  const table: Array<[string, unknown, RegExp]> = [
    ['no options', undefined, /options/],
    ['no client', {}, /client/],
    ['a client of another kind', { client: { query() {} } }, /client/],
    [
      'an ioredis client with keyPrefix',
      { client: { call() {}, options: { keyPrefix: 'app:' } } },
      /keyPrefix/,
    ],
    ['a prefix with a space', { client: nodeRedisLike, prefix: 'my app:' }, /prefix/],
    ['a prefix with a newline', { client: nodeRedisLike, prefix: 'app\n' }, /prefix/],
    ['a prefix that is not a string', { client: nodeRedisLike, prefix: 42 }, /prefix/],
    ['a prefix over 200 characters', { client: nodeRedisLike, prefix: 'p'.repeat(201) }, /prefix/],
    ['scanCount 0', { client: nodeRedisLike, scanCount: 0 }, /scanCount/],
  ];
  for (const [label, options, names] of table) {
    it(`rejects ${label} with a TypeError naming the option`, () => {
      assert.throws(
        () => new RedisStore(options as never),
        (err) => err instanceof TypeError && names.test(err.message),
      );
    });
  }

  it('rejects a URL of another scheme', async () => {
    await assert.rejects(fromUrl('http://127.0.0.1:6379'), TypeError);
  });
});
