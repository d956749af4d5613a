#!/usr/bin/env node
// Builds the packages, then runs every packages/*/bench/*.bench.ts one after another (benchmarks
// must not share the CPU). HTTP benchmarks run their servers on the compiled dist/, as in
// production. Arguments narrow the run to files whose path contains any of them:
// `npm run bench -- session redis`.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join, relative } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const filters = process.argv.slice(2);
const files = [];
for (const pkg of readdirSync(join(root, 'packages'))) {
  let names = [];
  try {
    names = readdirSync(join(root, 'packages', pkg, 'bench'));
  } catch {
    continue;
  }
  for (const name of names) {
    if (name.endsWith('.bench.ts')) files.push(relative(root, join(root, 'packages', pkg, 'bench', name)));
  }
}
const selected = files.sort().filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)));
const build = spawnSync(process.execPath, [join(root, 'scripts', 'build.mjs')], {
  cwd: root,
  stdio: 'inherit',
});
if (build.status !== 0) process.exit(1);
let failed = 0;
for (const file of selected) {
  console.log(`\n=== ${file} ===`);
  const result = spawnSync(process.execPath, ['--import', 'tsx', file], {
    cwd: root,
    stdio: 'inherit',
    env: { ...process.env, NODE_ENV: 'production' },
  });
  if (result.status !== 0) failed++;
}
if (failed) {
  console.error(`${failed} benchmark file(s) failed`);
  process.exit(1);
}
