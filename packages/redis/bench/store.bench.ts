// Why a hash per session: store operations on one Redis, RedisStore (hash, one field per key,
// Lua patches) vs connect-redis (one JSON string per session, rewritten on every save), for a
// small (~1 KB) and a large (~20 KB) session. Reports operations per second (median of rounds,
// the stores taking turns), the bytes of command arguments a one-key change sends, and the memory
// Redis reports for each layout (MEMORY USAGE). Bytes are counted with MONITOR, outside the timed runs.
//   node --conditions=coatcheck-source --import tsx packages/redis/bench/store.bench.ts
import { randomBytes } from 'node:crypto';
import type { SessionRecord } from 'coatcheck';
import { RedisStore as ConnectRedisStore } from 'connect-redis';
import { Redis } from 'ioredis';
import { createClient } from 'redis';
import { dataFields } from '../src/fields.js';
import { RedisStore } from '../src/index.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const OPS = Number(process.env.BENCH_OPS ?? 2000);
const CONCURRENCY = 10;
const HOUR = 3_600_000;
const runPrefix = `coatcheck-bench:${randomBytes(4).toString('hex')}:`;

const client = await createClient({ url: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379' }).connect();
const inspector = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
const ours = new RedisStore({ client, prefix: `${runPrefix}ours:` });
const theirs = new ConnectRedisStore({ client, prefix: `${runPrefix}theirs:` });

function sessionData(items: number) {
  return {
    cookie: {
      originalMaxAge: HOUR,
      expires: new Date(Date.now() + HOUR).toISOString(),
      httpOnly: true,
      path: '/',
    },
    userId: 'user-42',
    visits: 1,
    cart: Array.from({ length: items }, (_, n) => ({ sku: `sku-${n}`, name: `Item number ${n}`, qty: n })),
    flash: null,
  };
}

function connectCall(method: 'get' | 'set', ...args: unknown[]): Promise<unknown> {
  return new Promise((resolve, reject) => {
    (theirs[method] as (...a: unknown[]) => void)(...args, (err: unknown, value: unknown) =>
      err ? reject(err) : resolve(value),
    );
  });
}

async function opsPerSecond(op: (i: number) => Promise<unknown>): Promise<number> {
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < OPS) await op(next++);
    }),
  );
  return OPS / ((performance.now() - started) / 1000);
}

/** Bytes of the arguments of the commands `work` sends on keys under `prefix`, seen by MONITOR. */
async function bytesSent(prefix: string, work: () => Promise<unknown>): Promise<number> {
  const monitor = await inspector.monitor();
  let total = 0;
  monitor.on('monitor', (_time: string, args: string[], source: string) => {
    if (source !== 'lua' && args.some((arg) => arg.startsWith(prefix))) {
      total += args.reduce((sum, arg) => sum + Buffer.byteLength(arg), 0);
    }
  });
  await new Promise((resolve) => setTimeout(resolve, 50));
  await work();
  await new Promise((resolve) => setTimeout(resolve, 100));
  monitor.disconnect();
  return total;
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;

const rows: Array<Record<string, string | number>> = [];
try {
  for (const [label, items] of [
    ['~1 KB', 12],
    ['~20 KB', 300],
  ] as const) {
    const data = sessionData(items);
    const record: SessionRecord = {
      data,
      expires: Date.now() + HOUR,
      created: Date.now(),
      touched: Date.now(),
    };
    const id = `${label === '~1 KB' ? 'small' : 'large'}`;
    await ours.write(id, record);
    await connectCall('set', id, data);

    const runs = { read: [[], []], change: [[], []] } as Record<'read' | 'change', [number[], number[]]>;
    for (let round = 0; round < ROUNDS; round++) {
      const order = round % 2 ? [1, 0] : [0, 1];
      for (const who of order) {
        runs.read[who]?.push(await opsPerSecond(() => (who === 0 ? ours.read(id) : connectCall('get', id))));
        runs.change[who]?.push(
          await opsPerSecond((i) =>
            who === 0
              ? ours.patch(id, {
                  set: { visits: i },
                  unset: [],
                  expires: Date.now() + HOUR,
                  touched: Date.now(),
                })
              : connectCall('set', id, { ...data, visits: i }),
          ),
        );
      }
    }

    const oursBytes = await bytesSent(`${runPrefix}ours:`, () =>
      ours.patch(id, { set: { visits: 2 }, unset: [], expires: Date.now() + HOUR, touched: Date.now() }),
    );
    const theirsBytes = await bytesSent(`${runPrefix}theirs:`, () =>
      connectCall('set', id, { ...data, visits: 2 }),
    );
    const memory = async (key: string) =>
      Number(await client.sendCommand(['MEMORY', 'USAGE', key, 'SAMPLES', '0']));
    rows.push({
      session: label,
      'read ops/s ours': Math.round(median(runs.read[0])),
      'read ops/s connect-redis': Math.round(median(runs.read[1])),
      'change one key ops/s ours (patch)': Math.round(median(runs.change[0])),
      'change one key ops/s connect-redis (set)': Math.round(median(runs.change[1])),
      'bytes sent to change one key ours': oursBytes,
      'bytes sent connect-redis': theirsBytes,
      'MEMORY USAGE ours': await memory(ours.sessionKey(id)),
      'MEMORY USAGE connect-redis': await memory(`${runPrefix}theirs:${id}`),
      'fields in hash': dataFields(data).length / 2 + 3,
    });
  }
  console.log(`Redis stores, ${ROUNDS} rounds × ${OPS} ops, ${CONCURRENCY} in flight, one session per size`);
  for (const row of rows) {
    console.log(`\n${row.session} session`);
    console.table(
      Object.entries(row)
        .filter(([key]) => key !== 'session')
        .map(([measure, value]) => ({ measure, value })),
    );
  }
} finally {
  await ours.purge();
  for (const id of ['small', 'large']) await client.sendCommand(['UNLINK', `${runPrefix}theirs:${id}`]);
  await ours.close();
  await client.quit();
  inspector.disconnect();
}
