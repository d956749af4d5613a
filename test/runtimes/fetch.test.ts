/**
 * coatcheck/fetch on other runtimes (issue 17): examples/fetch's handler, with sessions, rotation,
 * the user index and CSRF tokens, served by Bun's and Deno's own servers (test/runtimes/
 * serve-example.ts) and by Node.js, each walked through over real HTTP
 * (test/helpers/example-scenario.ts). The binaries come from tools/runtimes (npm packages of
 * their official builds); outside CI a missing one skips with a line saying how to fetch it.
 */
import { existsSync } from 'node:fs';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { RUNTIMES, runtimePath } from '../../tools/runtimes/runtimes.mjs';
import { startListening, walkExample } from '../helpers/example-scenario.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const SCRIPT = 'test/runtimes/serve-example.ts';
const inCI = process.env.CI === 'true' || process.env.CI === '1';

/** Each runtime's command line for the script, on coatcheck's sources (its `coatcheck-source` export condition). */
const RUNS: Array<{ label: string; binary: string | undefined; args: string[] }> = [
  {
    label: `Node.js ${process.version}`,
    binary: process.execPath,
    args: ['--conditions=coatcheck-source', '--import', 'tsx', SCRIPT],
  },
  {
    label: `Bun ${RUNTIMES.bun.version}`,
    binary: runtimePath('bun'),
    args: ['--conditions=coatcheck-source', SCRIPT],
  },
  {
    label: `Deno ${RUNTIMES.deno.version}`,
    binary: runtimePath('deno'),
    // --sloppy-imports: the sources import './x.js' for './x.ts', as TypeScript's ESM output needs.
    args: [
      'run',
      '--allow-net',
      '--allow-env',
      '--allow-read',
      '--allow-sys',
      '--sloppy-imports',
      '--no-lock',
      '--conditions=coatcheck-source',
      SCRIPT,
    ],
  },
];

describe('coatcheck/fetch on each runtime, over HTTP', () => {
  for (const run of RUNS) {
    it(`${run.label}: sign-in behind a CSRF token, rotate, devices, log out everywhere else`, async (t) => {
      if (run.binary === undefined || !existsSync(run.binary)) {
        const reason = `${run.label} is not here; fetch it with: node tools/runtimes/runtimes.mjs fetch`;
        if (inCI) throw new Error(reason);
        console.log(`# skipping: ${reason}`);
        return t.skip(reason);
      }
      const server = await startListening(run.binary, run.args, {
        cwd: ROOT,
        env: { DENO_NO_UPDATE_CHECK: '1' },
      });
      try {
        await walkExample(server.url);
      } finally {
        await server.stop();
      }
    });
  }
});
