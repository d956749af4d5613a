/**
 * What a user gets from npm: every package built and packed (`npm run tarballs`), checked with
 * publint and arethetypeswrong, then installed from the tarballs into a fresh app in the system's
 * temporary folder — outside the repository, so no workspace link and no `coatcheck-source`
 * condition can reach it — where the README's first example runs over HTTP as ESM and as CommonJS,
 * and a TypeScript app typechecks with `skipLibCheck: false` on the oldest TypeScript we support
 * and on the current one.
 *
 * The install takes its packages from npm's cache when it can (`--prefer-offline`). One step is not
 * what a user does: better-sqlite3's install script (a download or a compile of its native addon,
 * a minute or more) is skipped and the addon this repository already built is copied instead.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import {
  copyFileSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { checkPackage, createPackageFromTarballData } from '@arethetypeswrong/core';
import { publint } from 'publint';
import { PACKAGES, packAll } from '../../scripts/tarballs.mjs';
import { exerciseFirstApp, startApp } from '../helpers/first-app.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const require = createRequire(import.meta.url);

/** The oldest TypeScript the packages support (their `typescript` peer range), and the current one. */
export const TYPESCRIPT = { oldest: '5.7.3', current: '7.0.2' } as const;

interface Manifest {
  name: string;
  version: string;
  main?: string;
  types?: string;
  files?: string[];
  engines?: Record<string, string>;
  exports: Record<string, unknown>;
  dependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
}
const manifests: Manifest[] = PACKAGES.map(
  (dir) => JSON.parse(readFileSync(join(ROOT, 'packages', dir, 'package.json'), 'utf8')) as Manifest,
);
/** Every package and every subpath it exports (`coatcheck/cookies`, …), as an app imports them. */
const entryPoints: string[] = manifests.flatMap((manifest) =>
  Object.keys(manifest.exports)
    .filter((key) => key !== './package.json')
    .map((key) => (key === '.' ? manifest.name : `${manifest.name}/${key.slice(2)}`)),
);

/** The version this repository installed of a package, so the app's install finds it in npm's cache. */
function installed(name: string): string {
  // hono exports no ./package.json; it sits at the top of node_modules, as npm installed it.
  let manifest: string;
  try {
    manifest = require.resolve(`${name}/package.json`);
  } catch {
    manifest = join(ROOT, 'node_modules', name, 'package.json');
  }
  return (JSON.parse(readFileSync(manifest, 'utf8')) as { version: string }).version;
}

const work = mkdtempSync(join(tmpdir(), 'coatcheck-install-'));
const appDir = join(work, 'app');
let tarballs: Record<string, string> = {};
const timings: Record<string, number> = {};
after(() => {
  rmSync(work, { recursive: true, force: true });
  console.log(`# packaging timings (s): ${JSON.stringify(timings)}`);
});

function timed<T>(label: string, run: () => T): T {
  const start = performance.now();
  try {
    return run();
  } finally {
    timings[label] = Math.round((performance.now() - start) / 100) / 10;
  }
}

before(() => {
  tarballs = timed('build and pack', () => packAll(join(work, 'tarballs')));
  mkdirSync(appDir);
  const dependencies: Record<string, string> = {
    express: installed('express'),
    'better-sqlite3': installed('better-sqlite3'),
    pg: installed('pg'),
    mysql2: installed('mysql2'),
    mongodb: installed('mongodb'),
    hono: installed('hono'),
    koa: installed('koa'),
    fastify: installed('fastify'),
  };
  for (const [name, path] of Object.entries(tarballs)) dependencies[name] = `file:${path}`;
  writeFileSync(
    join(appDir, 'package.json'),
    JSON.stringify({
      name: 'a-coatcheck-user',
      private: true,
      type: 'module',
      dependencies,
      devDependencies: {
        typescript: TYPESCRIPT.current,
        'typescript-oldest': `npm:typescript@${TYPESCRIPT.oldest}`,
        '@types/express': installed('@types/express'),
        '@types/node': installed('@types/node'),
        '@types/better-sqlite3': installed('@types/better-sqlite3'),
        '@types/pg': installed('@types/pg'),
        '@types/koa': installed('@types/koa'),
      },
    }),
  );
  timed('npm install', () =>
    execFileSync(
      'npm',
      ['install', '--prefer-offline', '--ignore-scripts', '--no-audit', '--no-fund', '--loglevel=error'],
      { cwd: appDir, stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, NODE_OPTIONS: '' } },
    ),
  );
  const addon = join('build', 'Release', 'better_sqlite3.node');
  mkdirSync(join(appDir, 'node_modules', 'better-sqlite3', 'build', 'Release'), { recursive: true });
  copyFileSync(
    join(ROOT, 'node_modules', 'better-sqlite3', addon),
    join(appDir, 'node_modules', 'better-sqlite3', addon),
  );
  for (const name of ['first-app.mjs', 'first-app.cjs', 'first-app.ts']) {
    copyFileSync(join(ROOT, 'docs', 'examples', name), join(appDir, name.replace('first-app', 'app')));
  }
  for (const name of ['types.ts', 'require.cts']) {
    copyFileSync(join(ROOT, 'test', 'packaging', 'app', name), join(appDir, name));
  }
});

describe('the packages as published', () => {
  it('share one version, and every package names that version in its coatcheck peer range', () => {
    const [version] = new Set(manifests.map((m) => m.version));
    assert.deepEqual([...new Set(manifests.map((m) => m.version))], [version]);
    for (const manifest of manifests) {
      const range = manifest.peerDependencies?.coatcheck;
      if (manifest.name !== 'coatcheck') assert.equal(range, `^${version}`, manifest.name);
    }
  });

  for (const manifest of manifests) {
    describe(manifest.name, () => {
      const tarball = () => readFileSync(tarballs[manifest.name] as string);

      it('declares engines, files, main/types fallbacks, exports for every entry, and optional peers as such', () => {
        assert.equal(manifest.engines?.node, '>=20.19');
        assert.deepEqual(manifest.files, ['dist', 'src']);
        assert.equal(manifest.main, './dist/index.js');
        assert.equal(manifest.types, './dist/index.d.ts');
        assert.equal(manifest.peerDependencies?.typescript, '>=5.7', 'the oldest TypeScript we test');
        assert.equal(TYPESCRIPT.oldest.startsWith('5.7.'), true);
        for (const name of Object.keys(manifest.peerDependenciesMeta ?? {})) {
          assert.ok(manifest.peerDependencies?.[name], `${name} is in peerDependenciesMeta but not a peer`);
        }
        assert.equal(manifest.peerDependenciesMeta?.typescript?.optional, true);
        assert.ok(manifest.exports['./package.json']);
      });

      it('ships its README.md, its LICENSE and dist/, and no tests', () => {
        const files = createPackageFromTarballData(new Uint8Array(tarball())).listFiles();
        const prefix = `/node_modules/${manifest.name}/`;
        const names = files.map((file) => file.slice(prefix.length));
        for (const required of ['package.json', 'README.md', 'LICENSE', 'dist/index.js', 'dist/index.d.ts']) {
          assert.ok(names.includes(required), `${required} is not in the tarball`);
        }
        assert.deepEqual(
          names.filter((name) => /(^|\/)test\/|\.test\./.test(name)),
          [],
        );
        assert.equal(
          readFileSync(
            join(ROOT, 'packages', PACKAGES[manifests.indexOf(manifest)] as string, 'LICENSE'),
            'utf8',
          ),
          readFileSync(join(ROOT, 'LICENSE'), 'utf8'),
        );
      });

      it('publint: no errors, no warnings', async () => {
        const { messages } = await publint({
          pack: { tarball: new Uint8Array(tarball()).buffer },
          strict: true,
          level: 'warning',
        });
        assert.deepEqual(messages, []);
      });

      it('arethetypeswrong: no problems but CJSResolvesToESM (CommonJS loads it through require of ESM)', async () => {
        const result = await checkPackage(createPackageFromTarballData(new Uint8Array(tarball())));
        assert.ok(result.types, 'the package has types');
        const problems = 'problems' in result ? result.problems : [];
        // An ESM-only package: TypeScript before 5.8 (and `module: node16`) types require() of it as
        // an error, though Node ≥ 20.19 runs it, as the CommonJS app below proves.
        assert.deepEqual(
          problems.filter((problem) => problem.kind !== 'CJSResolvesToESM'),
          [],
        );
      });
    });
  }
});

describe('an app that installed the tarballs', () => {
  it('has each package as files of its own, resolving to dist/ without the source condition', () => {
    for (const name of Object.keys(tarballs)) {
      assert.equal(
        lstatSync(join(appDir, 'node_modules', name)).isSymbolicLink(),
        false,
        `${name} is a link`,
      );
    }
    const resolved = execFileSync(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `for (const name of ${JSON.stringify(Object.keys(tarballs))}) console.log(import.meta.resolve(name))`,
      ],
      { cwd: appDir, encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: '' } },
    );
    for (const line of resolved.trim().split('\n'))
      assert.match(line, new RegExp(`^file://${appDir}/node_modules/.+/dist/index\\.js$`));
  });

  it('loads every package with import and with require', () => {
    const names = JSON.stringify(entryPoints);
    const loaded = (args: string[]) =>
      JSON.parse(
        execFileSync(process.execPath, args, {
          cwd: appDir,
          encoding: 'utf8',
          env: { ...process.env, NODE_OPTIONS: '' },
        })
          .trim()
          .split('\n')
          .pop() as string,
      );
    const imported = loaded([
      '--input-type=module',
      '-e',
      `const out = {}; for (const name of ${names}) out[name] = Object.keys(await import(name)).length > 0; console.log(JSON.stringify(out));`,
    ]);
    const required = loaded([
      '-e',
      `const out = {}; for (const name of ${names}) out[name] = Object.keys(require(name)).length > 0; console.log(JSON.stringify(out));`,
    ]);
    const all = Object.fromEntries(entryPoints.map((name) => [name, true]));
    assert.ok(entryPoints.includes('coatcheck/stores'), 'the subpaths are among the entry points');
    assert.deepEqual(imported, all);
    assert.deepEqual(required, all);
    const shape = execFileSync(
      process.execPath,
      [
        '-e',
        "const s = require('coatcheck'); console.log([typeof s, typeof s.session, typeof s.MemoryStore, typeof s.Store, typeof s.csrf, typeof s.default].join())",
      ],
      { cwd: appDir, encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: '' } },
    );
    assert.equal(
      shape.trim(),
      'function,function,function,function,function,function',
      'require("coatcheck") is the middleware, as require("express-session") is',
    );
  });

  it('has no runtime dependency in the core (cookie is only what its tests compare against)', () => {
    assert.deepEqual(Object.keys(manifests[0]?.dependencies ?? {}), []);
  });

  for (const file of ['app.mjs', 'app.cjs']) {
    it(`runs the README's first example as ${file === 'app.mjs' ? 'ESM' : 'CommonJS'} (node ${file}) over HTTP`, async () => {
      const cwd = mkdtempSync(join(work, 'run-'));
      const app = await startApp([join(appDir, file)], { cwd, env: { SESSION_SECRET: undefined } });
      try {
        await exerciseFirstApp(app.url, cwd);
      } finally {
        await app.stop();
      }
    });
  }
});

/**
 * `nodenext` here is the CommonJS file, require.cts; `init` is the ESM app under the tsconfig.json
 * `tsc --init` writes, as the README tells a newcomer; the others check the ESM app.
 */
type Resolution = 'node16' | 'bundler' | 'node10' | 'nodenext' | 'init';
function tsconfig(resolution: Resolution): string {
  if (resolution === 'init') {
    const dir = join(appDir, 'init');
    mkdirSync(dir, { recursive: true });
    for (const name of ['app.ts', 'types.ts']) copyFileSync(join(appDir, name), join(dir, name));
    execFileSync(process.execPath, [join(appDir, 'node_modules', 'typescript', 'bin', 'tsc'), '--init'], {
      cwd: dir,
    });
    return join(dir, 'tsconfig.json');
  }
  const module = resolution === 'node16' || resolution === 'nodenext' ? resolution : 'esnext';
  const path = join(appDir, `tsconfig.${resolution}.json`);
  writeFileSync(
    path,
    JSON.stringify({
      compilerOptions: {
        target: 'es2022',
        lib: ['es2023'],
        module,
        moduleResolution: resolution,
        strict: true,
        skipLibCheck: false,
        noEmit: true,
        types: ['node'],
        esModuleInterop: true,
      },
      files: resolution === 'nodenext' ? ['require.cts'] : ['app.ts', 'types.ts'],
    }),
  );
  return path;
}

interface Typecheck {
  status: number | null;
  output: string;
  seconds: number;
}

/** Runs tsc in the app; at most two at a time (they are CPU-bound: two cores in CI). */
let running = 0;
const waiting: Array<() => void> = [];
async function typecheck(
  compiler: 'typescript' | 'typescript-oldest',
  resolution: Resolution,
): Promise<Typecheck> {
  while (running >= 2) await new Promise<void>((resolve) => waiting.push(resolve));
  running++;
  const start = performance.now();
  try {
    const child = spawn(
      process.execPath,
      [join(appDir, 'node_modules', compiler, 'bin', 'tsc'), '-p', tsconfig(resolution)],
      {
        cwd: appDir,
        env: { ...process.env, NODE_OPTIONS: '' },
      },
    );
    let output = '';
    child.stdout.on('data', (chunk) => {
      output += chunk;
    });
    child.stderr.on('data', (chunk) => {
      output += chunk;
    });
    const [status] = (await once(child, 'exit')) as [number | null];
    return { status, output, seconds: Math.round((performance.now() - start) / 100) / 10 };
  } finally {
    running--;
    waiting.shift()?.();
  }
}

describe('a TypeScript app on the installed types (skipLibCheck: false)', () => {
  const matrix: Array<
    [compiler: 'typescript' | 'typescript-oldest', version: string, resolution: Resolution]
  > = [
    ['typescript-oldest', TYPESCRIPT.oldest, 'node16'],
    ['typescript-oldest', TYPESCRIPT.oldest, 'bundler'],
    ['typescript-oldest', TYPESCRIPT.oldest, 'node10'],
    ['typescript', TYPESCRIPT.current, 'node16'],
    ['typescript', TYPESCRIPT.current, 'bundler'],
    ['typescript', TYPESCRIPT.current, 'nodenext'],
    ['typescript', TYPESCRIPT.current, 'init'],
  ];
  const runs = new Map<string, Promise<Typecheck>>();
  before(() => {
    // Started together (two at a time), awaited one by one below.
    for (const [compiler, version, resolution] of matrix) {
      const run = typecheck(compiler, resolution);
      run.then(
        (result) => {
          timings[`tsc ${version} ${resolution}`] = result.seconds;
        },
        () => {},
      );
      runs.set(`${compiler} ${resolution}`, run);
    }
  });

  for (const [compiler, version, resolution] of matrix) {
    const what =
      resolution === 'nodenext' ? 'a CommonJS file (require.cts)' : 'the ESM app (app.ts, types.ts)';
    const how = resolution === 'init' ? 'the tsconfig.json of tsc --init' : `moduleResolution ${resolution}`;
    it(`typechecks ${what} on TypeScript ${version}, ${how}`, async () => {
      const result = await (runs.get(`${compiler} ${resolution}`) as Promise<Typecheck>);
      assert.equal(result.status, 0, result.output);
      const actual = execFileSync(
        process.execPath,
        [join(appDir, 'node_modules', compiler, 'bin', 'tsc'), '-v'],
        {
          encoding: 'utf8',
        },
      );
      assert.match(actual, new RegExp(version.replaceAll('.', '\\.')));
    });
  }

  it('fails without the augmentation reference in dist/index.d.ts (the check can fail)', async () => {
    await Promise.allSettled(runs.values());
    const declarations = join(appDir, 'node_modules', 'coatcheck', 'dist', 'index.d.ts');
    const text = readFileSync(declarations, 'utf8');
    assert.match(text, /^\/\/\/ <reference path="\.\/session\/express\.d\.ts"/);
    writeFileSync(
      declarations,
      text.replace(/^\/\/\/ <reference path="\.\/session\/express\.d\.ts".*\n/, ''),
    );
    try {
      const result = await typecheck('typescript', 'node16');
      assert.notEqual(result.status, 0);
      assert.match(result.output, /Property 'session' does not exist on type 'Request/);
    } finally {
      writeFileSync(declarations, text);
    }
  });
});
