/**
 * Every code block of README.md and docs/ is run, so that no example can rot (test/docs/markdown.ts
 * says how a page marks a block). A new page or block is covered without touching this file:
 *
 * - TypeScript and JavaScript blocks, and the `+` side of a `diff`, are typechecked together
 *   (strict, as this repository is) and then run; names a block uses without declaring come from
 *   test/docs/contexts/ (real objects: an Express app, a MemoryStore, a request through session());
 * - a block that includes a file must be that file, letter for letter, and a test must run the file;
 * - `sh` blocks name only scripts, files, programs and packages this repository has;
 * - `text` blocks drawn as file trees name only paths that exist.
 * A block in any other language fails until the harness knows how to run it.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { before, describe, it } from 'node:test';
import {
  type BlockModule,
  checkShell,
  checkTree,
  isModuleBlock,
  typecheck,
  writeBlockModules,
} from './blocks.js';
import { type CodeBlock, codeBlocks, documentationPages, includedText, ROOT, where } from './markdown.js';
import type { BlockResult } from './run-blocks.js';

const pages = documentationPages();
const blocks = pages.flatMap(codeBlocks);

/** Every test file of the repository, to find the one that runs an included file. */
function testFiles(dir = ROOT, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name === 'dist' || name.startsWith('.')) continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) testFiles(path, out);
    else if (name.endsWith('.test.ts')) out.push(path);
  }
  return out;
}

let modules: BlockModule[] = [];
let typeErrors = new Map<BlockModule, string[]>();
const results = new Map<string, BlockResult>();

/**
 * Two blocks no page has, run with the others to prove the harness can fail: one calls session()
 * with a misspelt option, one throws when run.
 */
const CANARIES: CodeBlock[] = [
  {
    file: 'canary/typo.md',
    line: 1,
    lang: 'ts',
    context: 'default',
    needs: [],
    text: "import { session } from 'coatcheck';\nsession({ secrett: 'a secret of at least thirty-two bytes' });\n",
  },
  {
    file: 'canary/throws.md',
    line: 1,
    lang: 'ts',
    context: 'default',
    needs: [],
    text: "import { session } from 'coatcheck';\nsession({ secret: '' });\n",
  },
];

before(() => {
  modules = writeBlockModules([...blocks, ...CANARIES]);
  typeErrors = typecheck(modules);
  const work = mkdtempSync(join(tmpdir(), 'coatcheck-docs-'));
  try {
    const manifest = join(work, 'manifest.json');
    writeFileSync(
      manifest,
      JSON.stringify(modules.map((m) => ({ id: where(m.block), path: m.path, needs: m.block.needs }))),
    );
    const run = spawnSync(
      process.execPath,
      [
        '--conditions=coatcheck-source',
        '--import',
        import.meta.resolve('tsx'),
        join(ROOT, 'test/docs/run-blocks.ts'),
        manifest,
      ],
      { cwd: work, encoding: 'utf8', timeout: 120_000, env: { ...process.env, NODE_OPTIONS: '' } },
    );
    const line = run.stdout.split('\n').find((l) => l.startsWith('RESULTS '));
    assert.ok(line, `the block runner printed no results:\n${run.stdout}\n${run.stderr}`);
    for (const result of JSON.parse(line.slice('RESULTS '.length)) as BlockResult[])
      results.set(result.id, result);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
});

function checkIncluded(block: CodeBlock): void {
  const { path, region } = block.include as { path: string; region?: string };
  assert.equal(
    block.text,
    includedText(path, region),
    `${where(block)} differs from ${path}${region ? `#${region}` : ''}`,
  );
  if (path.endsWith('.test.ts')) return;
  const stem = basename(path).replace(/\.[^.]+$/, '');
  const runners = testFiles().filter((file) => readFileSync(file, 'utf8').includes(stem));
  assert.ok(runners.length > 0, `no test runs ${path}, which ${where(block)} includes`);
}

for (const page of pages) {
  describe(`code blocks of ${page}`, () => {
    for (const block of blocks.filter((b) => b.file === page)) {
      it(`${where(block)} (${block.include ? `include ${block.include.path}` : block.lang || 'no language'})`, (t) => {
        if (block.include) return checkIncluded(block);
        if (isModuleBlock(block)) {
          const module = modules.find((m) => m.block === block) as BlockModule;
          const errors = typeErrors.get(module) ?? [];
          assert.deepEqual(
            errors,
            [],
            `type errors in ${where(block)} (${module.path}):\n${errors.join('\n')}`,
          );
          const result = results.get(where(block));
          assert.ok(result, `${where(block)} was not run`);
          if (result.skipped) return t.skip(result.skipped);
          assert.ok(result.ok, `${where(block)} failed when run: ${result.error}`);
          return;
        }
        if (['sh', 'bash', 'shell'].includes(block.lang)) return assert.deepEqual(checkShell(block), []);
        if (block.lang === 'text') return assert.deepEqual(checkTree(block), []);
        assert.fail(
          `${where(block)}: no way to run a ${block.lang || 'language-less'} block; add one to test/docs/blocks.ts`,
        );
      });
    }
  });
}

describe('the harness', () => {
  it('covers every page of docs/ and the README', () => {
    assert.ok(pages.includes('README.md'));
    assert.ok(pages.includes('docs/migration/express-session.md'));
    assert.ok(blocks.length > 30, `only ${blocks.length} blocks found`);
  });

  it('fails a block that no longer typechecks, and one that throws when run', () => {
    const [typo, throws] = CANARIES.map((canary) => modules.find((m) => m.block === canary) as BlockModule);
    assert.match(
      (typeErrors.get(typo as BlockModule) ?? []).join('\n'),
      /canary\/typo\.md:3: TS2561 .*secrett/,
    );
    assert.deepEqual(typeErrors.get(throws as BlockModule), []);
    const result = results.get('canary/throws.md:1');
    assert.equal(result?.ok, false);
    assert.match(result?.error ?? '', /TypeError: .*secret/);
  });
});
