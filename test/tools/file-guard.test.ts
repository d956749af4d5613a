// scripts/lib/file-guard.mjs, which scripts/test.mjs loads into every test file's process: a file
// that ends with status 0 before its tests have finished fails the run instead of passing short, and
// one that leaves a handle open is ended once its report is out; and scripts/lib/run-tests.mjs, the
// runner `npm test` uses, reports every result of files run side by side (with Node's forceExit it
// lost the last results of some files, and passed). Run on files written here.
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
  // Its test passes, and an interval it never clears would keep its process alive for ever.
  'leaves-a-handle.test.mjs': `import { it } from 'node:test';
it('one', () => { setInterval(() => {}, 1000); });
`,
};
for (const [name, text] of Object.entries(cases)) writeFileSync(join(dir, name), text);
// Eight files of 400 quick tests, four at a time: under forceExit, three runs in four lost results.
const MANY = Array.from({ length: 8 }, (_, i) => join(dir, `many-${i}.test.mjs`));
const manyTests = Array.from({ length: 400 }, (_, i) => `test('t${i}', () => {});`);
for (const file of MANY) writeFileSync(file, `import { test } from 'node:test';\n${manyTests.join('\n')}\n`);

function runFiles(files: string[], withGuard: boolean, extra: string[] = [], linger?: string) {
  const args = [...(withGuard ? ['--import', guard] : []), runner, ...extra, ...files];
  // As a run of its own, not as a file of this one.
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env.NODE_TEST_CONTEXT;
  if (linger) env.COATCHECK_TEST_LINGER_MS = linger;
  const result = spawnSync(process.execPath, args, { encoding: 'utf8', env, timeout: 60_000 });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}
const runFile = (name: keyof typeof cases, withGuard: boolean) => runFiles([join(dir, name)], withGuard);

describe('the test file guard and the runner', () => {
  it('without the guard, a file that ends before its tests passes, short of them (what it is for)', () => {
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

  it('with it, a file that leaves a handle open ends once its report is out, and passes', () => {
    // A short linger, so that the open handle costs little here.
    const { status, output } = runFiles([join(dir, 'leaves-a-handle.test.mjs')], true, [], '300');
    assert.equal(status, 0, output);
    assert.match(output, /ℹ pass 1/);
    assert.match(
      output,
      /leaves-a-handle\.test\.mjs: its tests finished 300 ms ago but it left a handle open/,
    );
  });

  it('every result of files run four at a time is reported', () => {
    const { status, output } = runFiles(MANY, true, ['--concurrency=4']);
    assert.equal(status, 0, output.slice(-2000));
    assert.equal(/ℹ tests (\d+)/.exec(output)?.[1], '3200', output.slice(-600));
  });
});
