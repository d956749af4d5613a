// Store operations per second on one PostgreSQL: PostgresStore vs connect-pg-simple, through the
// express-session API both speak (get, set, touch), plus PostgresStore's own read/patch/refresh,
// which is what coatcheck's session() calls. Each store has its own table on one shared pg.Pool;
// they take turns, round after round, and the median of the rounds is reported.
//   node --conditions=coatcheck-source --import tsx packages/postgres/bench/store.bench.ts
import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import expressSession from 'express-session';
import pg from 'pg';
import { PostgresStore } from '../src/index.js';

// The machine is shared: many short rounds, interleaved, and their median, beat a few long ones.
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 7);
const OPS = Number(process.env.BENCH_OPS ?? 1000);
const CONCURRENCY = 10;
const SESSIONS = 200;
const suffix = randomBytes(4).toString('hex');

type Callback = (err: unknown, value?: unknown) => void;
type ConnectStore = Record<'get' | 'set' | 'touch', (...args: [string, ...unknown[], Callback]) => unknown>;
const connectPgSimple = createRequire(import.meta.url)('connect-pg-simple') as (
  session: typeof expressSession,
) => new (
  options: Record<string, unknown>,
) => ConnectStore & { close(): void };

function call(
  store: ConnectStore,
  method: keyof ConnectStore,
  ...args: [string, ...unknown[]]
): Promise<unknown> {
  return new Promise((resolve, reject) => {
    store[method](...args, (err: unknown, value?: unknown) => (err ? reject(err) : resolve(value)));
  });
}

/** Operations per second of `op` run `OPS` times, `CONCURRENCY` at a time. */
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

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;

function session(i: number) {
  const expires = new Date(Date.now() + 3_600_000).toISOString();
  return {
    cookie: { originalMaxAge: 3_600_000, expires, httpOnly: true, path: '/' },
    userId: `user-${i % 50}`,
    cart: Array.from({ length: 10 }, (_, n) => ({ sku: `sku-${n}`, qty: n })),
    flash: 'x'.repeat(200),
  };
}

const pool = new pg.Pool({ connectionString: 'postgres://postgres@127.0.0.1:5432/test', max: CONCURRENCY });
const ours = new PostgresStore({ pool, tableName: `bench_coatcheck_${suffix}`, pruneInterval: 0 });
const PgSession = connectPgSimple(expressSession);
const theirTable = `bench_pgsimple_${suffix}`;
const theirs = new PgSession({
  pool,
  tableName: theirTable,
  createTableIfMissing: true,
  pruneSessionInterval: false,
});
const ids = Array.from({ length: SESSIONS }, (_, i) => `bench-${suffix}-${i}`);
const id = (i: number) => ids[i % SESSIONS] as string;

const stores = {
  coatcheck: ours as unknown as ConnectStore,
  'connect-pg-simple': theirs,
};
type Name = keyof typeof stores;
const runs: Record<string, Record<Name | 'native', number[]>> = {};
const record = (op: string, name: Name | 'native', value: number) => {
  runs[op] ??= { coatcheck: [], 'connect-pg-simple': [], native: [] };
  runs[op][name].push(value);
};

try {
  for (const store of Object.values(stores))
    for (let i = 0; i < SESSIONS; i++) await call(store, 'set', id(i), session(i));
  const later = () => Date.now() + 3_600_000;
  const native: Record<string, (i: number) => Promise<unknown>> = {
    get: (i) => ours.read(id(i)),
    set: (i) =>
      ours.patch(id(i), { set: { flash: `n${i}` }, unset: [], expires: later(), touched: Date.now() }),
    touch: (i) => ours.refresh(id(i), later(), Date.now()),
  };
  for (let round = 0; round < ROUNDS; round++) {
    for (const op of ['get', 'set', 'touch'] as const) {
      const order = (
        round % 2 ? ['connect-pg-simple', 'coatcheck'] : ['coatcheck', 'connect-pg-simple']
      ) as Name[];
      for (const name of order) {
        const args = (i: number) => (op === 'get' ? [id(i)] : [id(i), session(i)]) as [string, ...unknown[]];
        record(op, name, await opsPerSecond((i) => call(stores[name], op, ...args(i))));
      }
      record(op, 'native', await opsPerSecond(native[op] as (i: number) => Promise<unknown>));
    }
  }

  console.log(
    `PostgreSQL stores, ${ROUNDS} rounds × ${OPS} ops, ${CONCURRENCY} in flight, ${SESSIONS} sessions of ~1 KB`,
  );
  console.table(
    Object.entries(runs).map(([op, byStore]) => ({
      operation: op,
      'connect-pg-simple ops/s': Math.round(median(byStore['connect-pg-simple'])),
      'coatcheck (express-session API) ops/s': Math.round(median(byStore.coatcheck)),
      'coatcheck native ops/s': Math.round(median(byStore.native)),
    })),
  );
  for (const [op, byStore] of Object.entries(runs)) {
    const base = median(byStore['connect-pg-simple']);
    const nativeName = { get: 'read', set: 'patch', touch: 'refresh' }[op];
    console.log(
      `${op}: coatcheck ${(median(byStore.coatcheck) / base).toFixed(2)}× connect-pg-simple; ` +
        `coatcheck ${nativeName}() ${(median(byStore.native) / base).toFixed(2)}× connect-pg-simple ${op}()`,
    );
  }
} finally {
  await ours.close();
  theirs.close();
  await pool.query(`DROP TABLE IF EXISTS "bench_coatcheck_${suffix}", "${theirTable}"`);
  await pool.end();
}
