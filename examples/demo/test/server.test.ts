// `npm start` as a newcomer meets it: src/server.ts in its own process.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { tempDataDir } from './helpers/server.js';

const DEMO_DIR = fileURLToPath(new URL('../', import.meta.url));

it('on a port already in use, says so and how to pick another (PORT=…), and exits 1', async () => {
  const squatter = createServer().listen(0, '127.0.0.1');
  await once(squatter, 'listening');
  const { port } = squatter.address() as { port: number };
  const data = tempDataDir();
  try {
    const run = spawnSync(
      process.execPath,
      ['--conditions=coatcheck-source', '--import', 'tsx', 'src/server.ts'],
      {
        cwd: DEMO_DIR,
        encoding: 'utf8',
        timeout: 60_000,
        env: { ...process.env, PORT: String(port), DATA_DIR: data.path, LOG_REQUESTS: '0', NODE_OPTIONS: '' },
      },
    );
    assert.equal(run.status, 1, run.stderr);
    assert.match(run.stderr, new RegExp(`port ${port} on 127\\.0\\.0\\.1 is in use`));
    assert.match(run.stderr, new RegExp(`PORT=${port + 1} npm start`));
    assert.doesNotMatch(run.stderr, /EADDRINUSE|\n\s+at /, 'a sentence, not a stack trace');
  } finally {
    squatter.close();
    data.remove();
  }
});
