#!/usr/bin/env node
// Runs every *.test.ts under packages/*/test, examples/*/test and test/ (the suites that span
// packages: reliability and security) with Node's own test runner.
// TypeScript is loaded through tsx and workspace packages resolve to their sources (the
// `coatcheck-source` export condition), so no build step is needed. Arguments narrow the run
// to test files whose path contains any of them: `npm run test:only -- redis cookies`.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const filters = process.argv.slice(2);

function collect(dir, out) {
  let entries;
  try {
    entries = readdirSync(dir);
  } catch {
    return out;
  }
  for (const name of entries) {
    if (name === 'node_modules' || name === 'dist') continue;
    const full = join(dir, name);
    if (statSync(full).isDirectory()) collect(full, out);
    else if (name.endsWith('.test.ts')) out.push(relative(root, full));
  }
  return out;
}

const files = [];
for (const group of ['packages', 'examples']) {
  for (const pkg of readdirSync(join(root, group))) collect(join(root, group, pkg, 'test'), files);
}
collect(join(root, 'test'), files);
const selected = filters.length ? files.filter((f) => filters.some((x) => f.includes(x))) : files;
if (selected.length === 0) {
  console.error('no test files matched', filters);
  process.exit(1);
}
const result = spawnSync(
  process.execPath,
  ['--conditions=coatcheck-source', '--import', 'tsx', '--test', '--test-reporter=spec', ...selected.sort()],
  { cwd: root, stdio: 'inherit', env: { ...process.env, NODE_ENV: process.env.NODE_ENV ?? 'test' } },
);
process.exit(result.status ?? 1);
