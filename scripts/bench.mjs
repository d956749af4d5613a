#!/usr/bin/env node
// Runs every packages/*/bench/*.bench.ts one after another (benchmarks must not share the CPU).
// Arguments narrow the run to files whose path contains any of them: `npm run bench -- session redis`.
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
let failed = 0;
for (const file of selected) {
  console.log(`\n=== ${file} ===`);
  const result = spawnSync(process.execPath, ['--conditions=coatcheck-source', '--import', 'tsx', file], {
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
