// Store operations per second on one MariaDB/MySQL: MySQLStore vs express-mysql-session, through
// the express-session API both speak (get, set, touch), plus MySQLStore's own read/patch/refresh,
// which is what coatcheck's session() calls. Each store has its own table on one shared pool; the
// operations are interleaved over many short rounds and the medians reported, as the machine is shared.
//   node --conditions=coatcheck-source --import tsx packages/mysql/bench/store.bench.ts
import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import expressSession from 'express-session';
import mysql from 'mysql2/promise';
import { MySQLStore } from '../src/index.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 7);
const OPS = Number(process.env.BENCH_OPS ?? 1000);
const IN_FLIGHT = 10;
const SESSION_COUNT = 200;
const tag = randomBytes(4).toString('hex');

type Done = (err: unknown, value?: unknown) => void;
type ExpressSessionStore = Record<
  'get' | 'set' | 'touch',
  (sid: string, ...rest: [...unknown[], Done]) => unknown
> & {
  close(): Promise<void>;
};
const expressMySQLSession = createRequire(import.meta.url)('express-mysql-session') as (
  session: typeof expressSession,
) => new (
  options: Record<string, unknown>,
  pool: mysql.Pool,
) => ExpressSessionStore;

const viaCallback = (store: ExpressSessionStore, op: 'get' | 'set' | 'touch', sid: string, sess?: unknown) =>
  new Promise((resolve, reject) => {
    const done: Done = (err, value) => (err ? reject(err) : resolve(value));
    if (op === 'get') store.get(sid, done);
    else store[op](sid, sess, done);
  });

async function throughput(op: (n: number) => Promise<unknown>): Promise<number> {
  let issued = 0;
  const t0 = performance.now();
  const worker = async () => {
    while (issued < OPS) await op(issued++);
  };
  await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
  return (OPS * 1000) / (performance.now() - t0);
}

const middle = (xs: number[]) => xs.toSorted((a, b) => a - b)[xs.length >> 1] ?? 0;

const sess = (n: number) => ({
  cookie: { originalMaxAge: 3_600_000, expires: new Date(Date.now() + 3_600_000).toISOString(), path: '/' },
  userId: `user-${n % 50}`,
  cart: Array.from({ length: 10 }, (_, k) => ({ sku: `sku-${k}`, qty: k })),
  flash: 'x'.repeat(200),
});

const pool = mysql.createPool({ uri: 'mysql://root@127.0.0.1:3306/test', connectionLimit: IN_FLIGHT });
const coatcheck = new MySQLStore({ pool, tableName: `bench_coatcheck_${tag}`, pruneInterval: 0 });
const EMS = expressMySQLSession(expressSession);
const emsTable = `bench_ems_${tag}`;
const ems = new EMS(
  { clearExpired: false, createDatabaseTable: true, schema: { tableName: emsTable } },
  pool,
);
const sid = (n: number) => `bench-${tag}-${n % SESSION_COUNT}`;
const contenders = { coatcheck: coatcheck as unknown as ExpressSessionStore, 'express-mysql-session': ems };
const samples = new Map<string, number[]>();
const sample = (key: string, value: number) => samples.set(key, [...(samples.get(key) ?? []), value]);
const native = {
  get: (n: number) => coatcheck.read(sid(n)),
  set: (n: number) =>
    coatcheck.patch(sid(n), {
      set: { flash: `n${n}` },
      unset: [],
      expires: Date.now() + 3_600_000,
      touched: Date.now(),
    }),
  touch: (n: number) => coatcheck.refresh(sid(n), Date.now() + 3_600_000, Date.now()),
};

try {
  for (const store of Object.values(contenders)) {
    for (let n = 0; n < SESSION_COUNT; n++) await viaCallback(store, 'set', sid(n), sess(n));
  }
  for (let round = 0; round < ROUNDS; round++) {
    for (const op of ['get', 'set', 'touch'] as const) {
      const names = Object.keys(contenders) as Array<keyof typeof contenders>;
      for (const name of round % 2 ? names.reverse() : names) {
        sample(`${op} ${name}`, await throughput((n) => viaCallback(contenders[name], op, sid(n), sess(n))));
      }
      sample(`${op} native`, await throughput(native[op]));
    }
  }
  console.log(
    `MySQL/MariaDB stores, ${ROUNDS} rounds × ${OPS} ops, ${IN_FLIGHT} in flight, ${SESSION_COUNT} sessions of ~1 KB`,
  );
  const rows = (['get', 'set', 'touch'] as const).map((op) => {
    const [theirs, api, own] = ['express-mysql-session', 'coatcheck', 'native'].map((s) =>
      middle(samples.get(`${op} ${s}`) ?? []),
    );
    return { op, theirs: theirs ?? 0, api: api ?? 0, own: own ?? 0 };
  });
  console.table(
    rows.map(({ op, theirs, api, own }) => ({
      operation: op,
      'express-mysql-session ops/s': Math.round(theirs),
      'coatcheck (express-session API) ops/s': Math.round(api),
      'coatcheck native ops/s': Math.round(own),
    })),
  );
  const nativeName = { get: 'read', set: 'patch', touch: 'refresh' } as const;
  for (const { op, theirs, api, own } of rows) {
    console.log(
      `${op}: coatcheck ${(api / theirs).toFixed(2)}× express-mysql-session; ` +
        `coatcheck ${nativeName[op]}() ${(own / theirs).toFixed(2)}× express-mysql-session ${op}()`,
    );
  }
  console.log(
    'note: express-mysql-session keeps expiry in whole seconds and no touch time, so most of its touches ' +
      'within one second change no row; coatcheck records `touched` in milliseconds on every refresh.',
  );
} finally {
  await coatcheck.close();
  await ems.close();
  await pool.query(`DROP TABLE IF EXISTS \`bench_coatcheck_${tag}\`, \`${emsTable}\``);
  await pool.end();
}
