// scripts/lib/file-guard.mjs, which scripts/test.mjs loads into every test file's process: a file
// that ends with status 0 before its tests have finished fails the run instead of passing short.
// Run through scripts/lib/run-tests.mjs, the runner `npm test` uses, on two files written here.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));
const guard = pathToFileURL(join(root, 'scripts', 'lib', 'file-guard.mjs')).href;
const runner = join(root, 'scripts', 'lib', 'run-tests.mjs');
const dir = mkdtempSync(join(tmpdir(), 'coatcheck-guard-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const cases = {
  // The second test ends the process with status 0: the third never runs.
  'ends-early.test.mjs': `import { describe, it } from 'node:test';
describe('a file', () => {
  it('one', () => {});
  it('two', () => { process.exit(0); });
  it('three', () => {});
});
`,
  'completes.test.mjs': `import { it } from 'node:test';
it('one', () => {});
it('two', async () => { await new Promise((resolve) => setTimeout(resolve, 10)); });
`,
};
for (const [name, text] of Object.entries(cases)) writeFileSync(join(dir, name), text);

function runFile(name: keyof typeof cases, withGuard: boolean) {
  const args = [...(withGuard ? ['--import', guard] : []), runner, join(dir, name)];
  const result = spawnSync(process.execPath, args, {
    encoding: 'utf8',
    env: { ...process.env, NODE_TEST_CONTEXT: undefined },
  });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

describe('the test file guard', () => {
  it('without it, a file that ends before its tests passes, short of them (what the guard is for)', () => {
    const { status, output } = runFile('ends-early.test.mjs', false);
    assert.equal(status, 0, output);
    assert.doesNotMatch(output, /three/);
  });

  it('with it, that file fails the run, and says why', () => {
    const { status, output } = runFile('ends-early.test.mjs', true);
    assert.equal(status, 1, output);
    assert.match(output, /ends-early\.test\.mjs: the process ended before its tests had finished/);
  });

  it('with it, a file whose tests all finish passes', () => {
    const { status, output } = runFile('completes.test.mjs', true);
    assert.equal(status, 0, output);
    assert.match(output, /ℹ pass 2/);
  });
});
