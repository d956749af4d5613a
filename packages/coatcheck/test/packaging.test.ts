// The published shape: dist/ built by `npm run build`, loaded as a user would load it — without the
// `coatcheck-source` condition — from CommonJS (require of ESM, Node ≥ 20.19) and from ESM.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../..', import.meta.url));
const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
  exports: Record<string, Record<string, string>>;
  dependencies: Record<string, string>;
};

function run(args: string[]): string {
  return execFileSync(process.execPath, args, {
    cwd: root,
    encoding: 'utf8',
    env: { ...process.env, NODE_OPTIONS: '' },
  });
}

describe('packaging of coatcheck', () => {
  before(() => {
    run(['scripts/build.mjs', 'coatcheck']);
  });

  it('every documented export has its JavaScript and its declarations in dist', () => {
    for (const [subpath, targets] of Object.entries(pkg.exports)) {
      for (const condition of ['types', 'default'] as const) {
        const file = new URL(`../${targets[condition]}`, import.meta.url);
        assert.ok(existsSync(file), `${subpath} → ${condition}: ${targets[condition]}`);
      }
    }
  });

  it('require("coatcheck") returns the middleware, as require("express-session") does', () => {
    const out = run([
      '-e',
      `const session = require('coatcheck');
       const { testStore } = require('coatcheck/testing');
       console.log(JSON.stringify([typeof session, typeof session.MemoryStore, typeof session.Store, typeof session.storeFromUrl, typeof session.default, typeof testStore]));`,
    ]);
    assert.deepEqual(JSON.parse(out.trim().split('\n').pop() as string), [
      'function',
      'function',
      'function',
      'function',
      'function',
      'function',
    ]);
  });

  it('import from ESM resolves to dist without the source condition', () => {
    const out = run([
      '--input-type=module',
      '-e',
      `import session, { MemoryStore } from 'coatcheck';
       console.log(import.meta.resolve('coatcheck'), typeof session, typeof MemoryStore);`,
    ]);
    assert.match(out, /packages\/coatcheck\/dist\/index\.js function function/);
  });

  it('has no runtime dependency but cookie', () => {
    assert.deepEqual(Object.keys(pkg.dependencies), ['cookie']);
  });
});
