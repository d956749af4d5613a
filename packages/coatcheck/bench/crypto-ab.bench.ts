// A/B in one process: the Node.js path of the code before the `#crypto` interface (a git revision,
// `main` unless AB_BASE names another) against the working tree's, for sign, unsign, seal, unseal
// and one whole request through fetchCookieSessions (read the sealed cookie, change the session,
// seal it again). The old sources are unpacked from git under node_modules/.cache; the rounds
// alternate which side goes first, and each side's figure is the median of its rounds.
//   node --conditions=coatcheck-source --import tsx packages/coatcheck/bench/crypto-ab.bench.ts
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const BASE = process.env.AB_BASE ?? 'main';
const ROUNDS = Number(process.env.AB_ROUNDS ?? 21);
const SECRET = 'a benchmark secret that is at least thirty-two bytes long';

const revision = execFileSync('git', ['rev-parse', '--short', BASE], { cwd: ROOT, encoding: 'utf8' }).trim();
const oldRoot = join(ROOT, 'node_modules', '.cache', 'coatcheck-ab', revision);
rmSync(oldRoot, { recursive: true, force: true });
mkdirSync(oldRoot, { recursive: true });
execFileSync('sh', ['-c', `git archive ${revision} packages/coatcheck/src | tar -x -C "${oldRoot}"`], {
  cwd: ROOT,
});

type Sign = typeof import('../src/cookies/sign.js');
type Seal = typeof import('../src/cookies/seal.js');
type Fetch = typeof import('../src/fetch/index.js');
interface Side {
  sign: Sign;
  seal: Seal;
  fetch: Fetch;
}
const load = async (src: string): Promise<Side> => ({
  sign: await import(join(src, 'cookies/sign.ts')),
  seal: await import(join(src, 'cookies/seal.ts')),
  fetch: await import(join(src, 'fetch/index.ts')),
});
const sides: Record<'old' | 'new', Side> = {
  old: await load(join(oldRoot, 'packages/coatcheck/src')),
  new: await load(fileURLToPath(new URL('../src', import.meta.url))),
};

interface Case {
  name: string;
  iterations: number;
  prepare(side: Side): Promise<() => unknown>;
}
const session = JSON.stringify({
  i: 'x'.repeat(32),
  d: { views: 12, user: 'ada', cart: [1, 2, 3] },
  c: 1,
  t: 2,
  e: 3,
});
const cases: Case[] = [
  {
    name: 'sign',
    iterations: 20_000,
    async prepare({ sign }) {
      const keys = sign.signingKeys(SECRET);
      return () => sign.sign('s0m3-s3ss10n-1d-0f-32-characters', keys);
    },
  },
  {
    name: 'unsign',
    iterations: 20_000,
    async prepare({ sign }) {
      const keys = sign.signingKeys(SECRET);
      const signed = sign.sign('s0m3-s3ss10n-1d-0f-32-characters', keys);
      return () => sign.unsign(signed, keys);
    },
  },
  {
    name: 'seal',
    iterations: 10_000,
    async prepare({ seal }) {
      const keys = seal.sealingKeys(SECRET);
      return () => seal.seal(session, keys, { name: 'session' });
    },
  },
  {
    name: 'unseal',
    iterations: 10_000,
    async prepare({ seal }) {
      const keys = seal.sealingKeys(SECRET);
      const sealed = seal.seal(session, keys, { name: 'session' });
      return () => seal.unseal(sealed, keys, { name: 'session' });
    },
  },
  {
    name: 'fetchCookieSessions request',
    iterations: 2_000,
    async prepare({ fetch }) {
      const sessions = fetch.fetchCookieSessions({ secret: SECRET });
      const handler = sessions.wrap(async (_request, context) => {
        context.session.views = Number(context.session.views ?? 0) + 1;
        return new Response('ok');
      });
      const first = await handler(new Request('http://bench.test/'));
      const cookie = (first.headers.getSetCookie()[0] as string).split(';')[0] as string;
      const request = () => new Request('http://bench.test/', { headers: { cookie } });
      return () => handler(request());
    },
  },
];

async function time(run: () => unknown, iterations: number): Promise<number> {
  const start = process.hrtime.bigint();
  for (let i = 0; i < iterations; i++) {
    const result = run();
    if (result instanceof Promise) await result;
  }
  return Number(process.hrtime.bigint() - start) / iterations;
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
};

console.log(
  `# ${ROUNDS} interleaved rounds, old = ${BASE} (${revision}), new = working tree; Node ${process.version}`,
);
console.log('| operation | old (median) | new (median) | new / old |');
console.log('| --- | ---: | ---: | ---: |');
for (const c of cases) {
  const runs = { old: await c.prepare(sides.old), new: await c.prepare(sides.new) };
  // Warm-up, so both are compiled before the first measured round.
  await time(runs.old, c.iterations);
  await time(runs.new, c.iterations);
  const figures: Record<'old' | 'new', number[]> = { old: [], new: [] };
  for (let round = 0; round < ROUNDS; round++) {
    const order = round % 2 === 0 ? (['old', 'new'] as const) : (['new', 'old'] as const);
    for (const side of order) figures[side].push(await time(runs[side], c.iterations));
  }
  const [a, b] = [median(figures.old), median(figures.new)];
  const format = (ns: number) => (ns >= 10_000 ? `${(ns / 1000).toFixed(1)} µs` : `${Math.round(ns)} ns`);
  console.log(`| ${c.name} | ${format(a)} | ${format(b)} | ${(b / a).toFixed(3)} |`);
}
