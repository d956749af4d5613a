import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import session from 'coatcheck';
import { RedisStore as ConnectRedisStore } from 'connect-redis';
import expressSession from 'express-session';
import { SERVICES, serviceSkipReason } from '../../../test/helpers/services.js';
import { RedisStore } from '../src/index.js';
import { type RunningApp, SECRET, startApp } from './fixtures/app.js';
import { connectNodeRedis, REDIS_URL, removeKeysUnder, uniquePrefix } from './helpers.js';

const skip = await serviceSkipReason(SERVICES.redis);
const prefix = uniquePrefix('session');

interface KeysResponse {
  pid: number;
  data: Record<string, number>;
}

async function put(url: string, key: string, cookie: string, query = ''): Promise<void> {
  const response = await fetch(`${url}/keys/${key}${query}`, { method: 'PUT', headers: { cookie } });
  assert.equal(await response.text(), 'ok');
}

async function keys(url: string, cookie: string): Promise<KeysResponse> {
  return (await (await fetch(`${url}/keys`, { headers: { cookie } })).json()) as KeysResponse;
}

async function login(url: string): Promise<string> {
  const response = await fetch(`${url}/keys/first`, { method: 'PUT' });
  assert.equal(await response.text(), 'ok');
  return response.headers.get('set-cookie')?.split(';')[0] ?? assert.fail('no session cookie');
}

/** 50 requests on one session, each writing its own key, all loaded before any saves. */
async function fiftyTogether(url: string, cookie: string, group: string): Promise<string[]> {
  const names = Array.from({ length: 50 }, (_, i) => `key${i}`);
  await Promise.all(names.map((name) => put(url, name, cookie, `?together=50&group=${group}`)));
  const { data } = await keys(url, cookie);
  return Object.keys(data).filter((key) => key !== 'first');
}

describe('RedisStore over HTTP', { skip }, () => {
  let client: Awaited<ReturnType<typeof connectNodeRedis>>;
  let ours: RunningApp;
  let theirs: RunningApp;

  before(async () => {
    client = await connectNodeRedis();
    const store = new RedisStore({ client, prefix: `${prefix}coatcheck:` });
    ours = await startApp(session({ secret: SECRET, store }));
    const connectRedis = new ConnectRedisStore({ client, prefix: `${prefix}connect-redis:` });
    theirs = await startApp(
      expressSession({ secret: SECRET, store: connectRedis, resave: false, saveUninitialized: false }),
    );
  });
  after(async () => {
    await ours.close();
    await theirs.close();
    await removeKeysUnder(prefix);
    await client.quit();
  });

  it('coatcheck session() + RedisStore: 50 overlapping requests that each write their own key keep all 50', async () => {
    const cookie = await login(ours.url);
    const kept = await fiftyTogether(ours.url, cookie, 'ours');
    assert.equal(kept.length, 50);
  });

  it('express-session + connect-redis: the same 50 requests keep one key (each save rewrites the session)', async () => {
    const cookie = await login(theirs.url);
    const kept = await fiftyTogether(theirs.url, cookie, 'theirs');
    console.log(`# express-session + connect-redis kept ${kept.length} of 50 keys`);
    // Every request loaded {first} before any saved, and each save writes {first, its key}.
    assert.equal(kept.length, 1);
  });

  it('coatcheck session() + RedisStore: 50 requests overlapping at random keep all 50', async () => {
    const cookie = await login(ours.url);
    const names = Array.from({ length: 50 }, (_, i) => `random${i}`);
    await Promise.all(names.map((name) => put(ours.url, name, cookie)));
    const { data } = await keys(ours.url, cookie);
    assert.deepEqual(Object.keys(data).sort(), ['first', ...names].sort());
  });
});

/** Runs fixtures/app.ts as its own process and resolves once it listens. */
async function spawnApp(appPrefix: string): Promise<{ url: string; child: ChildProcess }> {
  const script = fileURLToPath(new URL('./fixtures/app.ts', import.meta.url));
  const child = spawn(
    process.execPath,
    ['--conditions=coatcheck-source', '--import', 'tsx', script, REDIS_URL, appPrefix],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const [line] = (await once(child.stdout as NonNullable<typeof child.stdout>, 'data')) as [Buffer];
  return { url: line.toString().trim(), child };
}

describe('two app processes sharing one Redis', { skip }, () => {
  it('serve the same sessions and keep each other’s writes', async () => {
    const appPrefix = `${prefix}processes:`;
    const [a, b] = await Promise.all([spawnApp(appPrefix), spawnApp(appPrefix)]);
    try {
      const cookie = await login(a.url);
      const seenByB = await keys(b.url, cookie);
      assert.notEqual(seenByB.pid, a.child.pid, 'answered by the other process');
      assert.deepEqual(Object.keys(seenByB.data), ['first'], 'B reads the session A created');
      const names = Array.from({ length: 20 }, (_, i) => `key${i}`);
      await Promise.all(names.map((name, i) => put(i % 2 ? a.url : b.url, name, cookie)));
      const fromB = await keys(b.url, cookie);
      assert.deepEqual(Object.keys(fromB.data).sort(), ['first', ...names].sort());
      names.forEach((name, i) => {
        assert.equal(fromB.data[name], (i % 2 ? a : b).child.pid, `${name} written by its process`);
      });
    } finally {
      for (const { child } of [a, b]) {
        child.kill('SIGTERM');
        await once(child, 'exit');
      }
      await removeKeysUnder(appPrefix);
    }
  });
});
