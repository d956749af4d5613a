// Cookie parsing, serializing and signing: coatcheck against `cookie` and `cookie-signature`, in one
// run. Run alone with:
//   node --conditions=coatcheck-source --import tsx packages/coatcheck/bench/cookies.bench.ts
// Each case runs for a fixed time (BENCH_MS, default 400 ms), so the file ends in a few seconds.
import { createRequire } from 'node:module';
import { parse as cookieParse, serialize as cookieSerialize } from 'cookie';
import { findCookie, parseCookie, serializeCookie, sign, signingKeys, unsign } from '../src/cookies/index.js';

const require = createRequire(import.meta.url);
const cookieSignature = require('cookie-signature') as {
  sign(value: string, secret: string): string;
  unsign(signed: string, secret: string): string | false;
};

const budget = Number(process.env.BENCH_MS ?? 400);

/** Operations per second of `fn` over `ms` milliseconds, timed in batches to keep timer calls rare. */
function opsPerSecond(fn: () => unknown, ms: number): number {
  let sink: unknown;
  const batch = 200;
  let runs = 0;
  const start = performance.now();
  let elapsed = 0;
  do {
    for (let i = 0; i < batch; i++) sink = fn();
    runs += batch;
    elapsed = performance.now() - start;
  } while (elapsed < ms);
  if (sink === Symbol.for('never')) console.log(sink);
  return (runs / elapsed) * 1000;
}

/**
 * Both sides warm up, then alternate over three rounds; each keeps its best round, so neither gains
 * from running second (warmer CPU, optimized shared code) or loses to a GC pause.
 */
function race(ours: () => unknown, theirs: () => unknown): [number, number] {
  opsPerSecond(ours, budget / 4);
  opsPerSecond(theirs, budget / 4);
  let a = 0;
  let b = 0;
  for (let round = 0; round < 3; round++) {
    a = Math.max(a, opsPerSecond(ours, budget / 3));
    b = Math.max(b, opsPerSecond(theirs, budget / 3));
  }
  return [a, b];
}

interface Row {
  case: string;
  coatcheck: string;
  baseline: string;
  'coatcheck / baseline': string;
}

const rows: Row[] = [];
function compare(title: string, baselineName: string, ours: () => unknown, theirs: () => unknown): void {
  const [a, b] = race(ours, theirs);
  rows.push({
    case: `${title} (vs ${baselineName})`,
    coatcheck: `${Math.round(a).toLocaleString('en-US')} ops/s`,
    baseline: `${Math.round(b).toLocaleString('en-US')} ops/s`,
    'coatcheck / baseline': `${(a / b).toFixed(2)}×`,
  });
}

// A header shaped like a real one: a session cookie, analytics, preferences, one encoded value.
const typical =
  'connect.sid=s%3AaBcDeFgHiJkLmNoPqRsTuVwXyZ012345.Zm9vYmFyYmF6cXV4Zm9vYmFyYmF6cXV4Zm9vYmFyYmE; _ga=GA1.1.1234567890.1700000000; ' +
  '_gid=GA1.1.987654321.1700000000; theme=dark; lang=en-GB; consent=%7B%22ads%22%3Afalse%7D; cart=3; _fbp=fb.1.1700000000000.123456789';
const small = 'sid=abc123';
const manyCookies = Array.from({ length: 50 }, (_, i) => `cookie${i}=value${i}`).join('; ');
const semicolons = `${';'.repeat(10_000)}a=1`;
const duplicates = Array.from({ length: 50 }, () => 'sid=x').join('; ');

compare(
  'parse: one cookie',
  'cookie',
  () => parseCookie(small),
  () => cookieParse(small),
);
compare(
  'parse: typical 8-cookie header',
  'cookie',
  () => parseCookie(typical),
  () => cookieParse(typical),
);
compare(
  'parse: 50 cookies',
  'cookie',
  () => parseCookie(manyCookies),
  () => cookieParse(manyCookies),
);
compare(
  'parse: 50 duplicates',
  'cookie',
  () => parseCookie(duplicates),
  () => cookieParse(duplicates),
);
compare(
  'parse: 10k semicolons',
  'cookie',
  () => parseCookie(semicolons),
  () => cookieParse(semicolons),
);
// session() reads its one cookie with findCookie; the 1 MiB flood (its name, then only ";") is what a
// hostile client sends to a server whose maxHeaderSize was raised. cookie 0.7's parse is the baseline.
const sessionFlood = `connect.sid${';'.repeat(1024 * 1024)}`;
compare(
  'find: typical header',
  'cookie parse',
  () => findCookie(typical, 'connect.sid'),
  () => cookieParse(typical)['connect.sid'],
);
compare(
  'find: 1 MiB of ";" after the name',
  'cookie parse',
  () => findCookie(sessionFlood, 'connect.sid'),
  () => cookieParse(sessionFlood)['connect.sid'],
);

const attributes = { path: '/', httpOnly: true, secure: true, sameSite: 'lax', maxAge: 86_400 } as const;
const expires = new Date(Date.now() + 3_600_000);
compare(
  'serialize: name=value',
  'cookie',
  () => serializeCookie('sid', 'abc123'),
  () => cookieSerialize('sid', 'abc123'),
);
compare(
  'serialize: session cookie attributes',
  'cookie',
  () => serializeCookie('__Host-sid', 'abc123', attributes),
  () => cookieSerialize('__Host-sid', 'abc123', attributes),
);
compare(
  'serialize: every attribute',
  'cookie',
  () =>
    serializeCookie('a', 'x y', {
      ...attributes,
      domain: 'example.com',
      expires,
      partitioned: true,
      priority: 'high',
    }),
  () =>
    cookieSerialize('a', 'x y', {
      ...attributes,
      domain: 'example.com',
      expires,
      partitioned: true,
      priority: 'high',
    }),
);

const secret = 'a signing secret of reasonable length';
const keys = signingKeys(secret);
const rotated = signingKeys(['a newer secret nobody used yet', secret]);
const sessionId = 'aBcDeFgHiJkLmNoPqRsTuVwXyZ012345';
const signed = cookieSignature.sign(sessionId, secret);
const forged = `${sessionId}.${'A'.repeat(43)}`;
compare(
  'sign: session ID',
  'cookie-signature',
  () => sign(sessionId, keys),
  () => cookieSignature.sign(sessionId, secret),
);
compare(
  'unsign: valid',
  'cookie-signature',
  () => unsign(signed, keys),
  () => cookieSignature.unsign(signed, secret),
);
compare(
  'unsign: forged',
  'cookie-signature',
  () => unsign(forged, keys),
  () => cookieSignature.unsign(forged, secret),
);
compare(
  'unsign: garbage',
  'cookie-signature',
  () => unsign('garbage', keys),
  () => cookieSignature.unsign('garbage', secret),
);
compare(
  'unsign: valid under the 2nd of 2 keys',
  'cookie-signature (2 tries)',
  () => unsign(signed, rotated),
  () =>
    cookieSignature.unsign(signed, 'a newer secret nobody used yet') ||
    cookieSignature.unsign(signed, secret),
);

console.log(`cookies.bench.ts — Node ${process.version}, ${budget} ms per case`);
console.table(rows);
