#!/usr/bin/env node
// `node scripts/set-version.mjs 0.2.0`: gives every published package that version, and every
// package's coatcheck peer range `^0.2.0`, so the packages always move together.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PACKAGES } from './tarballs.mjs';

const root = new URL('..', import.meta.url).pathname;
const version = process.argv[2];
if (!version || !/^\d+\.\d+\.\d+(-[\w.]+)?$/.test(version)) {
  console.error('usage: node scripts/set-version.mjs <major.minor.patch>');
  process.exit(1);
}
for (const dir of PACKAGES) {
  const file = join(root, 'packages', dir, 'package.json');
  const manifest = JSON.parse(readFileSync(file, 'utf8'));
  manifest.version = version;
  if (manifest.peerDependencies?.coatcheck) manifest.peerDependencies.coatcheck = `^${version}`;
  writeFileSync(file, `${JSON.stringify(manifest, null, 2)}\n`);
  console.log(`${manifest.name} ${version}`);
}
console.log('now run npm install, so package-lock.json follows');
