// Heap per stored session: coatcheck's MemoryStore vs express-session's, each holding 50 000 small
// sessions (about 230 characters of JSON, the shape express-session stores: a cookie and a few
// keys). Each store runs in its own process with --expose-gc; the heap is read after forced full
// collections before and after the sessions are written, and the difference divided by their number.
//   npm run build && node --import tsx packages/coatcheck/bench/memory-store.bench.ts
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';

const SESSIONS = Number(process.env.BENCH_SESSIONS ?? 50_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const KINDS = ['express-session', 'coatcheck'] as const;
type Kind = (typeof KINDS)[number];
const DAY = 24 * 60 * 60 * 1000;

/** One session's data, as both middlewares would store it. */
function sessionData(i: number) {
  return {
    cookie: {
      originalMaxAge: DAY,
      expires: new Date(Date.now() + DAY).toISOString(),
      secure: false,
      httpOnly: true,
      path: '/',
      sameSite: 'lax' as const,
    },
    views: i,
    theme: 'dark',
    cart: ['sku-1', 'sku-2'],
    flash: `saved item ${i}`.padEnd(30, '.'),
  };
}

async function child(kind: Kind): Promise<void> {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('run with --expose-gc');
  const settle = () => {
    for (let i = 0; i < 3; i++) gc();
    return process.memoryUsage().heapUsed;
  };
  let write: (id: string, i: number) => Promise<void>;
  let size: () => Promise<number>;
  if (kind === 'coatcheck') {
    const { MemoryStore } = await import('coatcheck');
    const store = new MemoryStore({ max: SESSIONS, pruneInterval: 0 });
    write = (id, i) => {
      const now = Date.now();
      return store.write(id, { data: sessionData(i), expires: now + DAY, created: now, touched: now });
    };
    size = () => store.count();
  } else {
    const { default: expressSession } = await import('express-session');
    const store = new expressSession.MemoryStore();
    write = (id, i) =>
      new Promise((resolve, reject) =>
        store.set(id, sessionData(i) as never, (err) => (err ? reject(err) : resolve())),
      );
    size = () =>
      new Promise((resolve, reject) =>
        store.length((err, length) => (err ? reject(err) : resolve(length as number))),
      );
  }
  const before = settle();
  // IDs as both middlewares make them, 24 random bytes in base64url: the stores keep them too.
  for (let i = 0; i < SESSIONS; i++) await write(randomBytes(24).toString('base64url'), i);
  const after = settle();
  if ((await size()) !== SESSIONS) throw new Error(`${kind}: expected ${SESSIONS} sessions stored`);
  const json = JSON.stringify(sessionData(12345)).length;
  console.log(JSON.stringify({ perSession: (after - before) / SESSIONS, json }));
}

function measure(kind: Kind): { perSession: number; json: number } {
  const result = spawnSync(
    process.execPath,
    ['--expose-gc', '--import', 'tsx', fileURLToPath(import.meta.url), kind],
    { encoding: 'utf8', env: { ...process.env, NODE_ENV: 'production' } },
  );
  if (result.status !== 0) throw new Error(`${kind} failed: ${result.stderr}`);
  return JSON.parse(result.stdout.trim().split('\n').at(-1) as string);
}

const kind = process.argv[2] as Kind | undefined;
if (kind !== undefined) {
  await child(kind);
} else {
  const figures = Object.fromEntries(KINDS.map((k) => [k, [] as number[]])) as Record<Kind, number[]>;
  let json = 0;
  for (let round = 0; round < ROUNDS; round++) {
    for (const k of round % 2 ? [...KINDS].reverse() : KINDS) {
      const result = measure(k);
      figures[k].push(result.perSession);
      json = result.json;
    }
  }
  const median = (values: number[]) =>
    [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] as number;
  console.log(
    `heap per session on MemoryStore: ${SESSIONS} sessions of ${json} JSON characters, median of ${ROUNDS} processes each, Node ${process.version}`,
  );
  console.table(KINDS.map((k) => ({ store: k, 'bytes per session': Math.round(median(figures[k])) })));
  const ratio = median(figures.coatcheck) / median(figures['express-session']);
  console.log(`coatcheck / express-session: ${ratio.toFixed(2)}× the heap per session`);
}
