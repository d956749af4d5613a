#!/usr/bin/env node
// FerretDB for the MongoDB tests: a real MongoDB wire-protocol server (MongoDB itself cannot be
// installed here), built from the Go module proxy at the version pinned in go.mod/go.sum beside
// this file, and started on 127.0.0.1 with its data in a temporary folder.
//
//   node tools/ferretdb/ferretdb.mjs build          build it unless the cached binary exists
//   node tools/ferretdb/ferretdb.mjs path           print where the binary is (or will be)
//   node tools/ferretdb/ferretdb.mjs run -- CMD…    start it, run CMD with MONGODB_URI set, stop it
//
// The binary is main.go beside this file: FerretDB's embeddable package behind three flags (see
// there why not FerretDB's own command). It is cached outside the repository under a name made of
// the version and a hash of go.mod, go.sum and main.go, so a second run (or another clone on the
// same machine) does not rebuild, and a change of any of them does.
//
// Handler: SQLite, not PostgreSQL. Each server then owns all of its state in one temporary folder:
// nothing to create on the shared PostgreSQL that other test files and parallel runs use, no
// database name to keep unique, a start in well under a second, and a test that freezes or kills
// the server (the outage suite) freezes or kills the whole store, not a proxy in front of a
// database that keeps running. What it does not give is PostgreSQL's concurrency: FerretDB's SQLite
// backend serializes writes, which the concurrency tests then meet as a slower server, not as a
// different result.
//
// Network: the embeddable server has no telemetry reporter and no debug HTTP listener, and
// main.go refuses any listen address that is not loopback.
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  accessSync,
  constants,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  renameSync,
  rmSync,
} from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));

/** The FerretDB version go.mod pins. */
export function ferretdbVersion() {
  const match = /github\.com\/FerretDB\/FerretDB (v[^\s]+)/.exec(readFileSync(join(here, 'go.mod'), 'utf8'));
  if (!match) throw new Error('tools/ferretdb/go.mod does not require github.com/FerretDB/FerretDB');
  return match[1];
}

/** Where the binary for the pinned version lives, built or not. */
export function ferretdbBinary() {
  const hash = createHash('sha256')
    .update(readFileSync(join(here, 'go.mod')))
    .update(readFileSync(join(here, 'go.sum')))
    .update(readFileSync(join(here, 'main.go')))
    .digest('hex')
    .slice(0, 12);
  const cache = process.env.XDG_CACHE_HOME || join(homedir(), '.cache');
  return join(cache, 'coatcheck', `ferretdb-${ferretdbVersion()}-${hash}`, 'ferretdb');
}

/** The Go toolchain: on PATH, or where the Go tarball installs it. */
function goCommand() {
  for (const candidate of ['go', '/usr/local/go/bin/go']) {
    const probe = spawnSync(candidate, ['version'], { encoding: 'utf8' });
    if (probe.status === 0) return candidate;
  }
  throw new Error('Go is not installed (looked for go on PATH and /usr/local/go/bin/go): it builds FerretDB');
}

/**
 * Builds FerretDB unless the cached binary exists; returns its path. The build writes to a
 * temporary name and renames, so an interrupted build never leaves a half binary at the cached path.
 */
export function buildFerretDB({ log = (line) => console.error(line) } = {}) {
  const binary = ferretdbBinary();
  if (existsSync(binary)) return binary;
  const go = goCommand();
  mkdirSync(dirname(binary), { recursive: true });
  const partial = `${binary}.partial-${process.pid}`;
  log(`# building FerretDB ${ferretdbVersion()} into ${binary} (takes minutes the first time)`);
  const started = Date.now();
  const result = spawnSync(
    go,
    ['build', '-trimpath', '-o', partial, '.'],
    // -mod=readonly: the build uses go.mod and go.sum as committed and never edits them.
    {
      cwd: here,
      stdio: ['ignore', 'inherit', 'inherit'],
      env: { ...process.env, GOFLAGS: `${process.env.GOFLAGS ?? ''} -mod=readonly`.trim() },
    },
  );
  if (result.status !== 0) {
    rmSync(partial, { force: true });
    throw new Error(`go build of FerretDB failed (exit ${result.status ?? result.signal})`);
  }
  renameSync(partial, binary);
  log(`# built FerretDB in ${Math.round((Date.now() - started) / 1000)} s`);
  return binary;
}

/** The command line of a FerretDB on `port` (0: any free one) keeping its databases in `dir`. */
export function ferretdbArgs(dir, port) {
  return [`-listen-addr=127.0.0.1:${port}`, `-sqlite-url=file:${join(dir, 'data')}/`];
}

/**
 * Answers true once a MongoDB wire-protocol server on `port` replies to `ping`. Loaded lazily
 * so that `build` needs no npm install.
 */
async function ping(port) {
  const { MongoClient } = await import('mongodb');
  const client = new MongoClient(`mongodb://127.0.0.1:${port}/`, {
    serverSelectionTimeoutMS: 500,
    connectTimeoutMS: 500,
  });
  try {
    const reply = await client.db('admin').command({ ping: 1 });
    return reply.ok === 1;
  } catch {
    return false;
  } finally {
    await client.close().catch(() => {});
  }
}

/**
 * Starts FerretDB on a free 127.0.0.1 port with a fresh temporary state folder and resolves once
 * it answers `ping`. `stop()` kills it and deletes the folder; `pause()`/`resume()` freeze and
 * thaw it (SIGSTOP/SIGCONT) for outage tests; `kill()` crashes it, `restart()` starts it again on
 * the same port and data.
 *
 * @param {{ binary?: string, database?: string, timeout?: number }} [options]
 */
/**
 * Where FerretDB keeps its test databases: in memory (/dev/shm) where the machine has it, else the
 * temporary directory. Its SQLite files are thrown away after the run, and on disk their syncs
 * during the soak's 10,000 requests stalled the disk for every other store under test (I/O wait up
 * to 77% in vmstat), which the store tests then saw as timeouts.
 */
function dataRoot() {
  try {
    accessSync('/dev/shm', constants.W_OK);
    return '/dev/shm';
  } catch {
    return tmpdir();
  }
}

export async function startFerretDB(options = {}) {
  const binary = options.binary ?? ferretdbBinary();
  if (!existsSync(binary)) {
    throw new Error(`FerretDB is not built: run node tools/ferretdb/ferretdb.mjs build (${binary})`);
  }
  const dir = mkdtempSync(join(dataRoot(), 'coatcheck-ferretdb-'));
  mkdirSync(join(dir, 'data'));
  const database = options.database ?? 'coatcheck';
  // 0 on the first start: the server binds a free port itself (no race with another process
  // between choosing a port and binding it) and prints its URI; a restart reuses that port.
  let port = 0;
  let child;
  let output = '';

  async function launch() {
    output = '';
    const started = spawn(binary, ferretdbArgs(dir, port), { stdio: ['ignore', 'pipe', 'pipe'] });
    child = started;
    let printed = '';
    started.stdout.on('data', (chunk) => {
      printed += chunk.toString();
    });
    started.stderr.on('data', (chunk) => {
      output = (output + chunk.toString()).slice(-20_000);
    });
    const deadline = Date.now() + (options.timeout ?? 30_000);
    while (Date.now() < deadline) {
      if (started.exitCode !== null || started.signalCode !== null) {
        throw new Error(
          `FerretDB exited (${started.exitCode ?? started.signalCode}):\n${output.slice(-2000)}`,
        );
      }
      const announced = /^mongodb:\/\/127\.0\.0\.1:(\d+)\//m.exec(printed);
      if (announced && (await ping(Number(announced[1])))) {
        port = Number(announced[1]);
        return;
      }
      await sleep(50);
    }
    started.kill('SIGKILL');
    throw new Error(`FerretDB did not answer ping within the deadline:\n${output.slice(-2000)}`);
  }

  async function kill() {
    const current = child;
    if (!current || current.exitCode !== null || current.signalCode !== null) return;
    const exited = new Promise((resolve) => current.once('exit', resolve));
    current.kill('SIGCONT');
    current.kill('SIGKILL');
    await exited;
  }

  try {
    await launch();
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  const onExit = () => child?.kill('SIGKILL');
  process.once('exit', onExit);

  return {
    port,
    dir,
    uri: `mongodb://127.0.0.1:${port}/${database}`,
    /** The server's stderr (warnings and errors; the last 20,000 characters). */
    output: () => output,
    get pid() {
      return child?.pid;
    },
    pause: () => child?.kill('SIGSTOP'),
    resume: () => child?.kill('SIGCONT'),
    kill,
    async restart() {
      await kill();
      await launch();
    },
    async stop() {
      process.removeListener('exit', onExit);
      await kill();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Runs `command` with MONGODB_URI pointing at a FerretDB started for it; resolves to its exit status. */
export async function runWithFerretDB(command, args) {
  const server = await startFerretDB();
  console.error(`# FerretDB ${ferretdbVersion()} (SQLite handler) answers ping at ${server.uri}`);
  try {
    const child = spawn(command, args, {
      stdio: 'inherit',
      env: { ...process.env, MONGODB_URI: server.uri },
    });
    return await new Promise((resolve) =>
      child.on('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0))),
    );
  } finally {
    await server.stop();
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const [verb, ...rest] = process.argv.slice(2);
  if (verb === 'build') {
    console.log(buildFerretDB());
  } else if (verb === 'path') {
    console.log(ferretdbBinary());
  } else if (verb === 'run') {
    const [command, ...args] = rest[0] === '--' ? rest.slice(1) : rest;
    if (!command) throw new Error('usage: ferretdb.mjs run -- COMMAND [ARGS…]');
    process.exitCode = await runWithFerretDB(command, args);
  } else {
    console.error('usage: node tools/ferretdb/ferretdb.mjs build | path | run -- COMMAND [ARGS…]');
    process.exitCode = 2;
  }
}
