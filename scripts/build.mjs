#!/usr/bin/env node
// Compiles each published package's src/ to dist/ (JavaScript and declarations), core first, so the
// packages can be published and required from CommonJS. Development and tests never need this: they
// load the TypeScript sources directly.
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const order = ['coatcheck', 'jwt', 'sqlite', 'redis', 'postgres', 'mysql', 'mongodb'];
const only = process.argv.slice(2);
const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');

function copyDeclarations(src, dist) {
  for (const name of readdirSync(src)) {
    const from = join(src, name);
    if (statSync(from).isDirectory()) copyDeclarations(from, join(dist, name));
    else if (name.endsWith('.d.ts')) {
      mkdirSync(dist, { recursive: true });
      copyFileSync(from, join(dist, name));
    }
  }
}

for (const name of order) {
  if (only.length && !only.includes(name)) continue;
  const pkg = join(root, 'packages', name);
  const dist = join(pkg, 'dist');
  rmSync(dist, { recursive: true, force: true });
  const result = spawnSync(process.execPath, [tsc, '-p', join(pkg, 'tsconfig.build.json')], {
    cwd: root,
    stdio: 'inherit',
  });
  if (result.status !== 0) {
    console.error(`build failed: packages/${name}`);
    process.exit(1);
  }
  copyDeclarations(join(pkg, 'src'), dist);
  console.log(`built ${relative(root, dist)}`);
}
