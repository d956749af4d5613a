/**
 * The README's first example — docs/examples/first-app.{mjs,ts}, which the README includes letter
 * for letter — run as copied, each in an empty folder, over real HTTP, on the workspace sources.
 * test/packaging/install.test.ts runs these and first-app.cjs on the packed tarballs. (The CommonJS
 * one is not run here: under tsx, require() of the TypeScript sources does not see the named
 * exports `module.exports` carries in the built package.)
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { exerciseFirstApp, sameBrowser, startApp } from '../helpers/first-app.js';
import { ROOT } from './markdown.js';

const folders: string[] = [];
after(() => {
  for (const folder of folders) rmSync(folder, { recursive: true, force: true });
});
function emptyFolder(): string {
  const folder = mkdtempSync(join(tmpdir(), 'coatcheck-first-app-'));
  folders.push(folder);
  return folder;
}

const SECRET = 'first app test: a session secret of at least 32 bytes';
const run = (file: string) => [
  '--conditions=coatcheck-source',
  '--import',
  import.meta.resolve('tsx'),
  join(ROOT, file),
];

describe("the README's first example", () => {
  for (const file of ['docs/examples/first-app.mjs', 'docs/examples/first-app.ts']) {
    it(`${file}: sessions, login rotation, CSRF, logout; kept across a restart with SESSION_SECRET`, async () => {
      const cwd = emptyFolder();
      let app = await startApp(run(file), { cwd, env: { SESSION_SECRET: SECRET } });
      try {
        const browser = await exerciseFirstApp(app.url, cwd);
        await app.stop();
        app = await startApp(run(file), { cwd, env: { SESSION_SECRET: SECRET } });
        assert.match(await sameBrowser(browser, app.url).text('/'), /Signed in as .*Visits: 5\./);
      } finally {
        await app.stop();
      }
    });
  }

  it('without SESSION_SECRET it still runs, and a restart signs everybody out, as its comment says', async () => {
    const cwd = emptyFolder();
    const env = { SESSION_SECRET: undefined };
    let app = await startApp(run('docs/examples/first-app.mjs'), { cwd, env });
    try {
      const browser = await exerciseFirstApp(app.url, cwd);
      await app.stop();
      app = await startApp(run('docs/examples/first-app.mjs'), { cwd, env });
      assert.match(await sameBrowser(browser, app.url).text('/'), /Not signed in\. Visits: 1\./);
    } finally {
      await app.stop();
    }
  });
});
