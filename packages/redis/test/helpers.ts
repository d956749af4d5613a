import { randomBytes } from 'node:crypto';
import type { RecordDamage } from 'coatcheck/testing';
import { Redis } from 'ioredis';
import { createClient } from 'redis';
import type { RedisStore } from '../src/index.js';

/** The Redis every test here uses; the server is shared, so tests only touch keys under their own prefix. */
export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

/** A prefix no other test file or run uses. */
export function uniquePrefix(label: string): string {
  return `coatcheck-test:${label}:${randomBytes(6).toString('hex')}:`;
}

export async function connectNodeRedis() {
  return createClient({ url: REDIS_URL }).connect();
}

export function connectIORedis(): Redis {
  return new Redis(REDIS_URL, { lazyConnect: false, maxRetriesPerRequest: 1 });
}

/** Every key under `prefix`, found with SCAN (never KEYS: the server is shared). */
export async function keysUnder(client: Redis, prefix: string): Promise<string[]> {
  const found: string[] = [];
  const match = prefix.replace(/[*?[\]\\]/g, '\\$&');
  let cursor = '0';
  do {
    const [next, keys] = await client.scan(cursor, 'MATCH', `${match}*`, 'COUNT', 1000);
    cursor = next;
    found.push(...keys);
  } while (cursor !== '0');
  return found;
}

/** Deletes every key under `prefix`; never FLUSHDB. */
export async function removeKeysUnder(prefix: string): Promise<void> {
  const client = connectIORedis();
  try {
    const keys = await keysUnder(client, prefix);
    for (let i = 0; i < keys.length; i += 500) await client.unlink(...keys.slice(i, i + 500));
  } finally {
    client.disconnect();
  }
}

/**
 * Damages session `id`'s hash under `store` in place, with the raw commands a hand edit would send,
 * for the conformance suite's damaged-record scenario. A hash has no `data` to make `null`.
 */
export async function damageHash(store: RedisStore, id: string, kind: RecordDamage): Promise<boolean> {
  const client = connectIORedis();
  const key = store.sessionKey(id);
  try {
    switch (kind) {
      case 'data-null':
        return false;
      case 'data-not-json':
        await client.hset(key, 'd:user', '{"name": "Ada"');
        return true;
      case 'cookie-string':
        await client.hset(key, 'd:cookie', '"sid=abc"');
        return true;
      case 'cookie-expires':
        await client.hset(key, 'd:cookie', '{"originalMaxAge": 3600000, "expires": "not a date"}');
        return true;
      case 'expires':
        await client.hset(key, 'm:expires', 'tomorrow');
        return true;
      case 'created':
        return (await client.hdel(key, 'm:created')) === 1;
    }
  } finally {
    client.disconnect();
  }
}
