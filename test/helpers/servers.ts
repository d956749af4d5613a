/**
 * Private database servers for tests that stop and start them: each runs as a child process on a
 * free port with its data in a temporary folder, never the shared servers on 6379, 5432 and 3306.
 * Signals go to a server's whole process tree, so `pause()` (SIGSTOP) freezes a server with all its
 * workers and `stop()` kills them all.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import {
  accessSync,
  chownSync,
  constants,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { MongoClient } from 'mongodb';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { createClient } from 'redis';
import { ferretdbArgs, ferretdbBinary } from '../../tools/ferretdb/ferretdb.mjs';

/** `mongodb` is FerretDB (tools/ferretdb), a MongoDB wire-protocol server on SQLite. */
export type ServerKind = 'redis' | 'postgres' | 'mysql' | 'mongodb';

/** A server this test process started and owns. */
export interface PrivateServer {
  readonly kind: ServerKind;
  readonly port: number;
  /** A connection URL for the store packages' `fromUrl`. */
  readonly url: string;
  /** Starts the server (again) on the same port and data, resolving once it answers queries. */
  start(): Promise<void>;
  /** Kills the server as a crash would (no clean shutdown); its data stays on disk. */
  stop(): Promise<void>;
  /**
   * Freezes every process of the server: connections stay open, nothing answers. Resolves once
   * every thread is stopped, not when the signal is sent (see {@link waitStopped}).
   */
  pause(): Promise<void>;
  /** Unfreezes a paused server. */
  resume(): void;
  /** Stops the server and deletes its data. Safe to call more than once, and after a failed start. */
  close(): Promise<void>;
}

/** PostgreSQL's server binaries (Debian keeps them out of PATH): the newest installed version. */
function postgresBin(): string {
  try {
    const versions = readdirSync('/usr/lib/postgresql')
      .filter((name) => /^\d+$/.test(name))
      .sort((a, b) => Number(b) - Number(a));
    if (versions[0] !== undefined) return join('/usr/lib/postgresql', versions[0], 'bin');
  } catch {}
  return '/usr/lib/postgresql/15/bin';
}
const PG_BIN = postgresBin();

/** The binaries each kind needs. */
const BINARIES: Record<ServerKind, string[]> = {
  redis: ['redis-server'],
  postgres: [join(PG_BIN, 'initdb'), join(PG_BIN, 'postgres')],
  mysql: ['mariadb-install-db', 'mariadbd'],
  mongodb: [ferretdbBinary()],
};

function findBinary(name: string): string | undefined {
  if (name.includes('/')) {
    try {
      accessSync(name, constants.X_OK);
      return name;
    } catch {
      return undefined;
    }
  }
  for (const dir of (process.env.PATH ?? '').split(':').concat(['/usr/sbin', '/usr/bin'])) {
    const full = join(dir, name);
    try {
      accessSync(full, constants.X_OK);
      return full;
    } catch {}
  }
  return undefined;
}

/**
 * Whether tests needing a private `kind` server must be skipped: `false` when its binaries are
 * here; otherwise, outside CI, one line naming the missing binary. In CI a missing binary fails.
 */
export function privateServerSkipReason(kind: ServerKind): string | false {
  const missing = BINARIES[kind].find((name) => findBinary(name) === undefined);
  if (missing === undefined) return false;
  if (process.env.CI === 'true' || process.env.CI === '1') {
    throw new Error(`${missing} is not installed, and CI requires it for the ${kind} outage tests`);
  }
  const reason = `${missing} is not installed`;
  console.log(`# skipping private ${kind} server tests: ${reason}`);
  return reason;
}

/** A TCP port nobody listens on right now. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

// Every server any test file started, killed when the process exits however it exits.
const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) killGroup(child, 'SIGKILL');
});

/** The process and all its descendants (PostgreSQL's backends leave the process group with setsid()). */
function processTree(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // pid (comm) state ppid …: comm may hold spaces and parentheses, so split after the last ')'.
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      const list = children.get(ppid) ?? [];
      list.push(Number(entry));
      children.set(ppid, list);
    } catch {}
  }
  const tree = [root];
  for (let i = 0; i < tree.length; i++) tree.push(...(children.get(tree[i] as number) ?? []));
  return tree;
}

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  for (const pid of processTree(child.pid)) {
    try {
      process.kill(pid, signal);
    } catch {}
  }
}

/** A thread's state letter from `/proc/PID/task/TID/stat` (`T` stopped, `t` traced), or `undefined` once gone. */
function threadState(pid: number, tid: string): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
    return stat.charAt(stat.lastIndexOf(')') + 2);
  } catch {
    return undefined;
  }
}

/**
 * Waits until every thread of the server's process tree is stopped. SIGSTOP stops a process's
 * threads only as the kernel gets round to them: the signal goes to one thread, which then stops
 * the others, and until it runs the others go on. On two loaded cores, a MariaDB connection thread
 * answered a query sent after `kill()` had returned (a CI run got 200 from a "frozen" server), so a
 * test that means "the server is frozen" waits for it.
 */
async function waitStopped(child: ChildProcess): Promise<void> {
  if (child.pid === undefined) return;
  const deadline = Date.now() + 10_000;
  for (;;) {
    const running = processTree(child.pid).some((pid) => {
      let tids: string[];
      try {
        tids = readdirSync(`/proc/${pid}/task`);
      } catch {
        return false;
      }
      return tids.some((tid) => {
        const state = threadState(pid, tid);
        return state !== undefined && state !== 'T' && state !== 't' && state !== 'Z' && state !== 'X';
      });
    });
    if (!running) return;
    if (Date.now() > deadline) throw new Error(`process ${child.pid} did not stop within 10 s of SIGSTOP`);
    await sleep(1);
  }
}

function run(
  command: string,
  args: string[],
  options: { uid?: number; gid?: number } | undefined = {},
): void {
  const result = spawnSync(command, args, { encoding: 'utf8', ...options, timeout: 120_000 });
  if (result.status !== 0) {
    throw new Error(`${command} failed (${result.status}): ${result.stderr || result.stdout}`);
  }
}

function idsOf(user: string): { uid: number; gid: number } {
  const uid = Number(spawnSync('id', ['-u', user], { encoding: 'utf8' }).stdout.trim());
  const gid = Number(spawnSync('id', ['-g', user], { encoding: 'utf8' }).stdout.trim());
  if (!Number.isInteger(uid) || !Number.isInteger(gid)) throw new Error(`no user ${user}`);
  return { uid, gid };
}

async function until(what: string, deadline: number, attempt: () => Promise<unknown>): Promise<void> {
  const end = Date.now() + deadline;
  let last: unknown;
  while (Date.now() < end) {
    try {
      await attempt();
      return;
    } catch (err) {
      last = err;
      await sleep(100);
    }
  }
  throw new Error(`${what} did not become ready within ${deadline} ms`, { cause: last });
}

interface Recipe {
  url: string;
  /** Command line of the server process. */
  command: [string, string[]];
  spawnAs?: { uid: number; gid: number } | undefined;
  /** Resolves once the server answers a real query. */
  probe(): Promise<void>;
  /** After the first start: create what the tests expect (a database). */
  setup?(): Promise<void>;
}

function redisRecipe(dir: string, port: number): Recipe {
  const url = `redis://127.0.0.1:${port}`;
  return {
    url,
    // Append-only file fsynced on every write: what was acknowledged survives a kill.
    command: [
      findBinary('redis-server') as string,
      [
        '--port',
        String(port),
        '--bind',
        '127.0.0.1',
        '--dir',
        dir,
        '--save',
        '',
        '--appendonly',
        'yes',
        '--appendfsync',
        'always',
        '--daemonize',
        'no',
        '--loglevel',
        'warning',
      ],
    ],
    async probe() {
      const client = createClient({ url, socket: { reconnectStrategy: false } });
      client.on('error', () => {});
      try {
        await client.connect();
        await client.ping();
      } finally {
        client.destroy();
      }
    },
  };
}

function postgresRecipe(dir: string, port: number): Recipe {
  // PostgreSQL refuses to run as root: as root, run it as the postgres user; otherwise as ourselves.
  const owner = process.getuid?.() === 0 ? idsOf('postgres') : undefined;
  const data = join(dir, 'data');
  if (owner) chownSync(dir, owner.uid, owner.gid);
  run(join(PG_BIN, 'initdb'), ['-D', data, '-A', 'trust', '-U', 'postgres', '--no-sync'], owner);
  const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
  return {
    url,
    spawnAs: owner,
    // fsync off: the tests kill the server process, not the machine, so the OS keeps every write.
    command: [
      join(PG_BIN, 'postgres'),
      [
        '-D',
        data,
        '-p',
        String(port),
        '-k',
        dir,
        '-h',
        '127.0.0.1',
        '-c',
        'fsync=off',
        '-c',
        'max_connections=50',
      ],
    ],
    async probe() {
      const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 1000 });
      client.on('error', () => {});
      try {
        await client.connect();
        await client.query('SELECT 1');
      } finally {
        await client.end().catch(() => {});
      }
    },
  };
}

function mysqlRecipe(dir: string, port: number): Recipe {
  const data = join(dir, 'data');
  mkdirSync(data);
  run(findBinary('mariadb-install-db') as string, [
    '--no-defaults',
    `--datadir=${data}`,
    '--user=root',
    '--auth-root-authentication-method=normal',
    '--skip-test-db',
  ]);
  const root = `mysql://root@127.0.0.1:${port}`;
  return {
    url: `${root}/test`,
    command: [
      findBinary('mariadbd') as string,
      [
        '--no-defaults',
        `--datadir=${data}`,
        `--port=${port}`,
        '--bind-address=127.0.0.1',
        `--socket=${join(dir, 'sock')}`,
        `--pid-file=${join(dir, 'pid')}`,
        '--user=root',
        '--skip-grant-tables',
        '--skip-log-bin',
        '--innodb-buffer-pool-size=32M',
        // Flushed to the OS at each commit: survives a killed server (not a lost machine).
        '--innodb-flush-log-at-trx-commit=2',
      ],
    ],
    async probe() {
      const connection = await mysql.createConnection({ uri: root, connectTimeout: 1000 });
      try {
        await connection.query('SELECT 1');
      } finally {
        await connection.end().catch(() => {});
      }
    },
    async setup() {
      const connection = await mysql.createConnection(root);
      await connection.query('CREATE DATABASE IF NOT EXISTS test');
      await connection.end();
    },
  };
}

function ferretdbRecipe(dir: string, port: number): Recipe {
  mkdirSync(join(dir, 'data'));
  const url = `mongodb://127.0.0.1:${port}/coatcheck`;
  return {
    url,
    command: [ferretdbBinary(), ferretdbArgs(dir, port)],
    async probe() {
      const client = new MongoClient(url, { serverSelectionTimeoutMS: 500, connectTimeoutMS: 500 });
      try {
        await client.db().command({ ping: 1 });
      } finally {
        await client.close().catch(() => {});
      }
    },
  };
}

/**
 * Initializes and starts a private `kind` server. Call once per test file (initialization takes
 * seconds) and `close()` it in `after()`.
 */
export async function startPrivateServer(kind: ServerKind): Promise<PrivateServer> {
  const dir = mkdtempSync(join(tmpdir(), `coatcheck-${kind}-`));
  const port = await freePort();
  let child: ChildProcess | undefined;
  let closed = false;
  let output = '';

  const recipe =
    kind === 'redis'
      ? redisRecipe(dir, port)
      : kind === 'postgres'
        ? postgresRecipe(dir, port)
        : kind === 'mysql'
          ? mysqlRecipe(dir, port)
          : ferretdbRecipe(dir, port);

  const server: PrivateServer = {
    kind,
    port,
    url: recipe.url,
    async start() {
      if (closed) throw new Error('server closed');
      if (child && child.exitCode === null && child.signalCode === null) return;
      output = '';
      const [command, args] = recipe.command;
      const started = spawn(command, args, {
        detached: true,
        stdio: ['ignore', 'pipe', 'pipe'],
        ...recipe.spawnAs,
      });
      running.add(started);
      started.on('exit', () => running.delete(started));
      const keep = (chunk: Buffer) => {
        output = (output + chunk.toString()).slice(-4000);
      };
      started.stdout?.on('data', keep);
      started.stderr?.on('data', keep);
      child = started;
      try {
        await until(`${kind} on port ${port}`, 60_000, async () => {
          if (started.exitCode !== null) throw new Error(`${kind} exited: ${output}`);
          await recipe.probe();
        });
      } catch (err) {
        throw new Error(`${kind} did not start: ${output}`, { cause: err });
      }
    },
    async stop() {
      const current = child;
      if (!current || current.exitCode !== null || current.signalCode !== null) return;
      const exited = new Promise((resolve) => current.once('exit', resolve));
      killGroup(current, 'SIGCONT');
      killGroup(current, 'SIGKILL');
      await exited;
      // The group's other processes (PostgreSQL's backends) die with it; wait for the port to free.
      await until(`${kind} port ${port} to close`, 10_000, async () => {
        const probe = createServer();
        await new Promise<void>((resolve, reject) => {
          probe.once('error', reject);
          probe.listen(port, '127.0.0.1', () => resolve());
        });
        await new Promise((resolve) => probe.close(resolve));
      });
      if (kind === 'postgres') rmSync(join(dir, 'data', 'postmaster.pid'), { force: true });
    },
    async pause() {
      if (!child) return;
      killGroup(child, 'SIGSTOP');
      await waitStopped(child);
    },
    resume() {
      if (child) killGroup(child, 'SIGCONT');
    },
    async close() {
      if (closed) return;
      await server.stop().catch(() => {
        if (child) killGroup(child, 'SIGKILL');
      });
      closed = true;
      rmSync(dir, { recursive: true, force: true });
    },
  };

  try {
    await server.start();
    await recipe.setup?.();
  } catch (err) {
    await server.close();
    throw err;
  }
  return server;
}
