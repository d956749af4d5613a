#!/usr/bin/env node
// Runs every *.test.ts under packages/*/test, examples/*/test and test/ (the suites that span
// packages: reliability and security) with Node's own test runner.
// TypeScript is loaded through tsx and workspace packages resolve to their sources (the
// `coatcheck-source` export condition), so no build step is needed. Arguments narrow the run
// to test files whose path contains any of them: `npm run test:only -- redis cookies`.
//
// MongoDB: unless MONGODB_URI is already set, a FerretDB (tools/ferretdb) is started for the run
// when its binary is built, and MONGODB_URI points at it. Outside CI a missing binary skips the
// MongoDB tests with one line saying how to build it; in CI (CI=true) it fails the run.
//
// TEST_CONCURRENCY=N runs N test files at once (Node's default is one fewer than the CPUs: one file
// at a time on a 2-core machine). Most files wait on databases, not the CPU: on 2 cores, 4 at once
// ran the whole suite in 392 s instead of 557 s, all passing. The default stays Node's until repeated
// runs show that no timing-sensitive test flakes at 4.
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ferretdbBinary, startFerretDB } from '../tools/ferretdb/ferretdb.mjs';

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

const env = { ...process.env, NODE_ENV: process.env.NODE_ENV ?? 'test' };
const inCI = process.env.CI === 'true' || process.env.CI === '1';
let ferretdb;
if (!env.MONGODB_URI) {
  if (existsSync(ferretdbBinary())) {
    ferretdb = await startFerretDB();
    env.MONGODB_URI = ferretdb.uri;
    console.log(`# MongoDB tests run on FerretDB (SQLite handler) at ${ferretdb.uri}`);
  } else if (inCI) {
    console.error(`FerretDB is not built (${ferretdbBinary()}), and CI requires it for the MongoDB tests`);
    process.exit(1);
  } else {
    console.log(
      '# skipping MongoDB tests: FerretDB is not built; build it with: node tools/ferretdb/ferretdb.mjs build',
    );
  }
}

const concurrencySetting = process.env.TEST_CONCURRENCY;
if (concurrencySetting !== undefined && !/^[1-9][0-9]?$/.test(concurrencySetting)) {
  console.error(
    `TEST_CONCURRENCY must be a whole number from 1 to 99, not ${JSON.stringify(concurrencySetting)}`,
  );
  process.exit(1);
}
const concurrency = concurrencySetting ? [`--concurrency=${concurrencySetting}`] : [];

// Files that run for minutes start first, the longest first, so that with several at once
// (TEST_CONCURRENCY) the run is not as long as everything else plus the soak: `node --test` sorts
// its files by path, which put the soak (a third of the whole run) last, so scripts/lib/run-tests.mjs
// runs them through run(), which keeps this order. Measured at 4 at once (issue 11's runs): soak
// 250–335 s, flood 82 s, install 48 s, checklist 30 s, the demo in Chromium 27 s.
const LONGEST = [
  'test/reliability/soak.test.ts',
  'test/reliability/flood.test.ts',
  'test/packaging/install.test.ts',
  'test/security/checklist.test.ts',
  'examples/demo/test/browser.test.ts',
];
const rank = (file) => {
  const at = LONGEST.indexOf(file.split('\\').join('/'));
  return at === -1 ? LONGEST.length : at;
};
const ordered = [...selected].sort((a, b) => rank(a) - rank(b) || (a < b ? -1 : a > b ? 1 : 0));

// Files that assert latencies (a 503 within 1 s of an outage, recovery within 1 s) run after the
// others, one at a time, with nothing else on the machine: beside the soak and Chromium on two
// cores, a probe that takes 500 ms by design once answered after 1,266 ms.
const TIMED = new Set(['test/reliability/breaker.test.ts', 'test/reliability/outage.test.ts']);
const isTimed = (file) => TIMED.has(file.split('\\').join('/'));
// The device-bound suites in Chromium (one per adapter) launch three browsers each: beside the
// soak and the store tests on two cores they starved the databases (a store timeout's 503 in the
// 50-overlapping-writes test, a 3.7 s request in an idle-timeout test), so they run after the
// others, one at a time, before the timed files.
const isBrowser = (file) => file.split('\\').join('/').endsWith('chromium.test.ts');
const groups = [
  {
    label: 'every file but the browser and timed ones',
    files: ordered.filter((file) => !isTimed(file) && !isBrowser(file)),
    concurrency,
  },
  {
    label: 'the device-bound suites in Chromium, one at a time',
    files: ordered.filter(isBrowser),
    concurrency: ['--concurrency=1'],
  },
  { label: 'the timed files, alone', files: ordered.filter(isTimed), concurrency: ['--concurrency=1'] },
].filter((group) => group.files.length > 0);

let current;
// Ctrl-C reaches the child through the terminal; this process waits for it and then stops FerretDB.
process.on('SIGINT', () => {});
process.on('SIGTERM', () => current?.kill('SIGTERM'));
let status = 0;
for (const group of groups) {
  if (groups.length > 1) console.log(`# ${group.label}:`);
  current = spawn(
    process.execPath,
    [
      '--conditions=coatcheck-source',
      '--import',
      'tsx',
      // Inherited by each test file's process: a file that ends before its tests is a failure.
      '--import',
      pathToFileURL(join(root, 'scripts', 'lib', 'file-guard.mjs')).href,
      join(root, 'scripts', 'lib', 'run-tests.mjs'),
      ...group.concurrency,
      ...group.files,
    ],
    { cwd: root, stdio: 'inherit', env },
  );
  const code = await new Promise((resolve) => current.on('exit', (exit) => resolve(exit ?? 1)));
  status = status || code;
}
await ferretdb?.stop();
process.exit(status);
