import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type RunningDemo, startServer } from '../../src/app.js';
import { configFromEnv, type DemoConfig } from '../../src/config.js';

const DEMO_DIR = fileURLToPath(new URL('../../', import.meta.url));

/** A fresh data folder under the system's temp folder; `remove()` deletes it. */
export function tempDataDir(): { path: string; remove(): void } {
  const path = mkdtempSync(join(tmpdir(), 'coatcheck-demo-'));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

/** The demo's configuration as the tests run it: any free port, a given data folder, no request log. */
export function testConfig(dataDir: string, env: NodeJS.ProcessEnv = {}): DemoConfig {
  return configFromEnv({ PORT: '0', DATA_DIR: dataDir, LOG_REQUESTS: '0', ...env });
}

/** The demo in this process, for HTTP-level tests. */
export function startInProcess(dataDir: string, env: NodeJS.ProcessEnv = {}): Promise<RunningDemo> {
  return startServer(testConfig(dataDir, env));
}

/** The demo as `npm start` runs it: a separate Node process. */
export interface ChildServer {
  url: string;
  port: number;
  /** Everything the process wrote, for failure messages. */
  output(): string;
  /** SIGTERM, then waits for the process to exit. */
  stop(): Promise<void>;
}

/** Starts `src/server.ts` in a child process and resolves once it prints its URL. */
export function startChild(env: NodeJS.ProcessEnv, timeoutMs = 30_000): Promise<ChildServer> {
  const child: ChildProcess = spawn(
    process.execPath,
    ['--conditions=coatcheck-source', '--import', 'tsx', 'src/server.ts'],
    {
      cwd: DEMO_DIR,
      env: { ...process.env, NODE_ENV: 'test', LOG_REQUESTS: '0', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`the demo did not print its URL within ${timeoutMs} ms:\n${output}`));
    }, timeoutMs);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /listening on (http:\/\/[^\s]+)/.exec(output);
      if (!match) return;
      clearTimeout(timer);
      const url = match[1] as string;
      resolve({
        url,
        port: Number(new URL(url).port),
        output: () => output,
        async stop() {
          if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
          await exited;
        },
      });
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the demo exited with code ${code} before listening:\n${output}`));
    });
  });
}
