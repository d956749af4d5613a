#!/usr/bin/env node
// Bun, Deno and workerd for test/runtimes (issue 17: the Fetch layer on other runtimes). All three
// publish their Linux x64 binaries as npm packages, so they come from the package registry like everything else:
// `npm pack` the pinned version, unpack it under ~/.cache/coatcheck/runtimes, keep the binary.
//
//   node tools/runtimes/runtimes.mjs fetch     fetch any that is missing (what .ci/run does)
//   node tools/runtimes/runtimes.mjs path bun  print where the binary is (nothing if missing)
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';

/** The runtimes and the npm package that carries each one's binary, at pinned versions. */
export const RUNTIMES = {
  bun: { package: '@oven/bun-linux-x64', version: '1.4.5', binary: 'bin/bun' },
  deno: { package: '@deno/linux-x64-glibc', version: '2.9.6', binary: 'deno' },
  // Cloudflare's Workers runtime, run with no compatibility flags: no `node:` modules, no Buffer,
  // no process. test/runtimes/workerd.test.ts runs coatcheck/fetch on it.
  workerd: { package: '@cloudflare/workerd-linux-64', version: '1.20261117.1', binary: 'bin/workerd' },
};

const cache = join(homedir(), '.cache', 'coatcheck', 'runtimes');

/** Where `name`'s binary is kept, whether or not it has been fetched. */
export function runtimePath(name) {
  const runtime = RUNTIMES[name];
  return join(cache, `${name}-${runtime.version}`, runtime.binary);
}

/** Fetches `name` unless it is there; returns its path. Throws with npm's output when it fails. */
export function fetchRuntime(name) {
  const runtime = RUNTIMES[name];
  const target = runtimePath(name);
  if (existsSync(target)) return target;
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    throw new Error(
      `tools/runtimes fetches Linux x64 binaries only, not ${process.platform}-${process.arch}`,
    );
  }
  const work = mkdtempSync(join(tmpdir(), `coatcheck-${name}-`));
  try {
    const packed = spawnSync(
      'npm',
      ['pack', `${runtime.package}@${runtime.version}`, '--pack-destination', work],
      {
        encoding: 'utf8',
      },
    );
    if (packed.status !== 0)
      throw new Error(`npm pack ${runtime.package}@${runtime.version} failed:\n${packed.stderr}`);
    const tarball = readdirSync(work).find((file) => file.endsWith('.tgz'));
    if (!tarball) throw new Error(`npm pack ${runtime.package} left no tarball`);
    const unpacked = spawnSync('tar', ['xzf', join(work, tarball), '-C', work], { encoding: 'utf8' });
    if (unpacked.status !== 0) throw new Error(`unpacking ${tarball} failed:\n${unpacked.stderr}`);
    const home = join(cache, `${name}-${runtime.version}`);
    mkdirSync(cache, { recursive: true });
    rmSync(home, { recursive: true, force: true });
    renameSync(join(work, 'package'), home);
    chmodSync(target, 0o755);
    return target;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [command, name] = process.argv.slice(2);
  if (command === 'fetch') {
    for (const runtime of Object.keys(RUNTIMES)) console.log(`${runtime}: ${fetchRuntime(runtime)}`);
  } else if (command === 'path' && name in RUNTIMES) {
    if (existsSync(runtimePath(name))) console.log(runtimePath(name));
  } else {
    console.error('usage: runtimes.mjs fetch | path <bun|deno|workerd>');
    process.exit(2);
  }
}
