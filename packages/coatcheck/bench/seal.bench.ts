// Sealing: coatcheck's seal/unseal (AES-256-GCM, node:crypto, synchronous) against iron-session's
// sealData/unsealData (iron: AES-256-CBC + HMAC-SHA256 over WebCrypto, asynchronous), in one run.
// Run alone with:
//   node --conditions=coatcheck-source --import tsx packages/coatcheck/bench/seal.bench.ts
// Each case runs for a fixed time (BENCH_MS, default 400 ms), so the file ends in a few seconds.
import { sealData, unsealData } from 'iron-session';
import { seal, sealingKeys, unseal } from '../src/cookies/index.js';

const budget = Number(process.env.BENCH_MS ?? 400);

/** Operations per second of `fn` (awaited when it returns a promise) over `ms` milliseconds. */
async function opsPerSecond(fn: () => unknown, ms: number): Promise<number> {
  let runs = 0;
  const start = performance.now();
  let elapsed = 0;
  do {
    for (let i = 0; i < 50; i++) await fn();
    runs += 50;
    elapsed = performance.now() - start;
  } while (elapsed < ms);
  return (runs / elapsed) * 1000;
}

/** Warm both, then alternate over three rounds and keep each side's best. */
async function race(ours: () => unknown, theirs: () => unknown): Promise<[number, number]> {
  await opsPerSecond(ours, budget / 4);
  await opsPerSecond(theirs, budget / 4);
  let a = 0;
  let b = 0;
  for (let round = 0; round < 3; round++) {
    a = Math.max(a, await opsPerSecond(ours, budget / 3));
    b = Math.max(b, await opsPerSecond(theirs, budget / 3));
  }
  return [a, b];
}

const rows: Record<string, string>[] = [];
async function compare(title: string, ours: () => unknown, theirs: () => unknown, sizes?: [number, number]) {
  const [a, b] = await race(ours, theirs);
  rows.push({
    case: title,
    coatcheck: `${Math.round(a).toLocaleString('en-US')} ops/s`,
    'iron-session': `${Math.round(b).toLocaleString('en-US')} ops/s`,
    'coatcheck / iron-session': `${(a / b).toFixed(2)}×`,
    ...(sizes ? { 'sealed size (coatcheck / iron)': `${sizes[0]} / ${sizes[1]} chars` } : {}),
  });
}

const password = 'a sealing password that is at least 32 characters long';
const keys = sealingKeys(password);
const rotated = sealingKeys(['a newer sealing secret of 32+ bytes, unused', password]);
const ttl = 3600;

const smallData = { userId: 42, role: 'admin' };
const largeData = {
  userId: 42,
  cart: Array.from({ length: 40 }, (_, i) => ({ sku: `SKU-${i}`, quantity: i % 3, price: 9.99 + i })),
};

for (const [label, data] of [
  ['small (30 B JSON)', smallData],
  ['large (2 KB JSON)', largeData],
] as const) {
  const json = JSON.stringify(data);
  const ourSeal = seal(json, keys, { name: 'session', maxAge: ttl });
  const ironSeal = await sealData(data, { password, ttl });
  const sizes: [number, number] = [ourSeal.length, ironSeal.length];
  await compare(
    `seal ${label}`,
    () => seal(JSON.stringify(data), keys, { name: 'session', maxAge: ttl }),
    () => sealData(data, { password, ttl }),
    sizes,
  );
  await compare(
    `unseal ${label}`,
    () => JSON.parse((unseal(ourSeal, keys, { name: 'session' }) as { value: string }).value),
    () => unsealData(ironSeal, { password, ttl }),
  );
}

const ourSeal = seal(JSON.stringify(smallData), keys, { name: 'session', maxAge: ttl });
const ironSeal = await sealData(smallData, { password, ttl });
const ourForged = `${ourSeal.slice(0, -4)}AAAA`;
const ironForged = `${ironSeal.slice(0, ironSeal.lastIndexOf('*') + 1)}${'A'.repeat(43)}`;
await compare(
  'unseal small, forged',
  () => unseal(ourForged, keys, { name: 'session' }),
  () => unsealData(ironForged, { password, ttl }),
);
await compare(
  'unseal small, older of 2 keys',
  () => unseal(ourSeal, rotated, { name: 'session' }),
  () =>
    unsealData(ironSeal, {
      password: { 2: 'a newer sealing secret of 32+ bytes, unused', 1: password },
      ttl,
    }),
);

console.log(`seal.bench.ts — Node ${process.version}, ${budget} ms per case`);
console.table(rows);
