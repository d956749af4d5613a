import { randomBytes } from 'node:crypto';
import { connect } from 'node:net';
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

/** One command the server ran, as MONITOR reports it. */
export interface MonitoredCommand {
  /** The command and its arguments, unquoted. */
  args: string[];
  /** Who sent it: `ip:port` of a client, or `lua` for a command a script ran. */
  source: string;
}

/**
 * MONITOR on a raw connection of its own, reporting each command to `onCommand` once the server
 * has confirmed the mode. Not a driver's monitor: ioredis 6 fails with "Command queue state error"
 * when another process's command is reported before it has taken MONITOR's reply, which the shared
 * server and concurrent test files make likely; then its connection was never closed, and the test
 * file never exited.
 */
export async function monitorCommands(
  onCommand: (command: MonitoredCommand) => void,
): Promise<{ close(): Promise<void> }> {
  const { hostname, port } = new URL(REDIS_URL);
  const socket = connect({ host: hostname, port: Number(port || 6379) });
  socket.setEncoding('utf8');
  let buffer = '';
  let confirmed = false;
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.on('data', (chunk: string) => {
      buffer += chunk;
      let end = buffer.indexOf('\r\n');
      while (end !== -1) {
        const line = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        if (!confirmed) {
          if (line !== '+OK') {
            reject(new Error(`MONITOR was refused: ${line}`));
            return;
          }
          confirmed = true;
          resolve();
        } else {
          const parsed = parseMonitorLine(line);
          if (parsed) onCommand(parsed);
        }
        end = buffer.indexOf('\r\n');
      }
    });
    socket.write('MONITOR\r\n');
  });
  return {
    close: () =>
      new Promise<void>((resolve) => {
        socket.once('close', () => resolve());
        socket.destroy();
      }),
  };
}

/** `+1700000000.123456 [0 127.0.0.1:6000] "hset" "key" "a \"b\""` → its source and unquoted arguments. */
export function parseMonitorLine(line: string): MonitoredCommand | undefined {
  const match = /^\+\d+\.\d+ \[\d+ ([^\]]+)\] (.*)$/.exec(line);
  if (!match) return undefined;
  const [, source = '', rest = ''] = match;
  const args: string[] = [];
  const quoted = /"((?:[^"\\]|\\.)*)"/g;
  for (const [, raw = ''] of rest.matchAll(quoted)) {
    args.push(
      raw.replace(/\\(x[0-9a-f]{2}|.)/g, (_, sequence: string) => {
        if (sequence.startsWith('x') && sequence.length === 3)
          return String.fromCharCode(Number.parseInt(sequence.slice(1), 16));
        return (
          ({ n: '\n', r: '\r', t: '\t', a: '\x07', b: '\b' } as Record<string, string>)[sequence] ?? sequence
        );
      }),
    );
  }
  return { args, source };
}
