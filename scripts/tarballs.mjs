#!/usr/bin/env node
// `npm run tarballs [folder]`: builds every published package and packs it, as `npm publish` would,
// into tarballs/ (or the folder given), under names without a version — coatcheck.tgz,
// coatcheck-sqlite.tgz, … — so that an app can install them before they are on npm:
//   npm install ../coatcheck/tarballs/coatcheck.tgz ../coatcheck/tarballs/coatcheck-sqlite.tgz
import { spawnSync } from 'node:child_process';
import { mkdirSync, renameSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
export const PACKAGES = [
  'coatcheck',
  'sqlite',
  'redis',
  'postgres',
  'mysql',
  'mongodb',
  'jwt',
  'hono',
  'koa',
  'fastify',
];

/** The version-less tarball name of a package: `coatcheck.tgz`, `coatcheck-sqlite.tgz`. */
export function tarballName(packageName) {
  return `${packageName.replace(/^@/, '').replace('/', '-')}.tgz`;
}

/** Builds and packs every package into `destination`; resolves to `{ name → tarball path }`. */
export function packAll(destination, { build = true } = {}) {
  if (build) {
    const built = spawnSync(process.execPath, [join(root, 'scripts', 'build.mjs')], { stdio: 'inherit' });
    if (built.status !== 0) throw new Error('npm run build failed');
  }
  mkdirSync(destination, { recursive: true });
  const workspaces = PACKAGES.flatMap((name) => ['--workspace', `packages/${name}`]);
  const packed = spawnSync('npm', ['pack', ...workspaces, '--pack-destination', destination, '--json'], {
    cwd: root,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  if (packed.status !== 0) throw new Error(`npm pack failed (exit ${packed.status})`);
  const tarballs = {};
  for (const { name, filename } of JSON.parse(packed.stdout)) {
    const target = join(destination, tarballName(name));
    renameSync(join(destination, filename), target);
    tarballs[name] = target;
  }
  return tarballs;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const destination = resolve(process.argv[2] ?? join(root, 'tarballs'));
  const tarballs = packAll(destination);
  for (const path of Object.values(tarballs)) console.log(relative(process.cwd(), path));
}
