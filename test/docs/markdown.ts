/**
 * The code blocks of the documentation: every fenced block of README.md and docs/**\/*.md, with the
 * directive written in an HTML comment just above it, if any:
 *
 * - `<!-- include: docs/examples/first-app.mjs -->`: the block is that file, or
 *   `path#name` the lines between `// #region name` and `// #endregion name` in it (dedented). The
 *   file is run by a test of its own; this harness checks that the block is the file, letter for
 *   letter, and that some test names the file.
 * - `<!-- doc-test: context=mysql needs=redis,postgres -->`: run the block with the free names of
 *   `test/docs/contexts/mysql.ts` instead of `default.ts`, and only where those services answer.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

export const ROOT = new URL('../..', import.meta.url).pathname;

export interface CodeBlock {
  /** The Markdown file, relative to the repository root. */
  file: string;
  /** The 1-based line of the opening fence. */
  line: number;
  /** The fence's info string, first word: `ts`, `js`, `sh`, `diff`, `text`, … */
  lang: string;
  /** The block's text, with a final newline. */
  text: string;
  include?: { path: string; region?: string };
  context: string;
  needs: string[];
}

/**
 * Every Markdown page the harness covers: README.md, docs/ recursively, and the core package's
 * README (the page npm shows).
 */
export function documentationPages(): string[] {
  const pages = ['README.md', 'packages/coatcheck/README.md'];
  const walk = (dir: string) => {
    for (const name of readdirSync(join(ROOT, dir)).sort()) {
      const path = join(dir, name);
      if (statSync(join(ROOT, path)).isDirectory()) walk(path);
      else if (name.endsWith('.md')) pages.push(path);
    }
  };
  walk('docs');
  return pages;
}

const DIRECTIVE = /^<!--\s*(include|doc-test):\s*(.*?)\s*-->$/;

export function codeBlocks(file: string): CodeBlock[] {
  const lines = readFileSync(join(ROOT, file), 'utf8').split('\n');
  const blocks: CodeBlock[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^(`{3,})(\S*)/.exec(lines[i] as string);
    if (!open) continue;
    const fence = open[1] as string;
    let end = i + 1;
    while (end < lines.length && !(lines[end] as string).startsWith(fence)) end++;
    if (end === lines.length) throw new Error(`${file}:${i + 1}: code block never closed`);
    const block: CodeBlock = {
      file,
      line: i + 1,
      lang: (open[2] as string).toLowerCase(),
      text: `${lines.slice(i + 1, end).join('\n')}\n`,
      context: 'default',
      needs: [],
    };
    // Directives sit on the lines just above the fence, blank lines allowed between.
    for (let above = i - 1; above >= 0; above--) {
      const text = (lines[above] as string).trim();
      if (text === '') continue;
      const directive = DIRECTIVE.exec(text);
      if (!directive) break;
      if (directive[1] === 'include') {
        const [path, region] = (directive[2] as string).split('#');
        block.include = { path: path as string, ...(region ? { region } : {}) };
      } else {
        for (const setting of (directive[2] as string).split(/\s+/)) {
          const [key, value = ''] = setting.split('=');
          if (key === 'context') block.context = value;
          else if (key === 'needs') block.needs = value.split(',').filter(Boolean);
          else throw new Error(`${file}:${above + 1}: unknown doc-test setting ${setting}`);
        }
      }
    }
    blocks.push(block);
    i = end;
  }
  return blocks;
}

/** The text a block must equal when it includes `path` (or its `#region`). */
export function includedText(path: string, region?: string): string {
  const text = readFileSync(join(ROOT, path), 'utf8');
  if (region === undefined) return text.endsWith('\n') ? text : `${text}\n`;
  const lines = text.split('\n');
  const start = lines.findIndex((line) => line.trim() === `// #region ${region}`);
  const end = lines.findIndex((line) => line.trim() === `// #endregion ${region}`);
  if (start < 0 || end < start) throw new Error(`${path} has no region ${region}`);
  const body = lines.slice(start + 1, end);
  const indent = Math.min(
    ...body
      .filter((line) => line.trim() !== '')
      .map((line) => (/^ */.exec(line) as RegExpExecArray)[0].length),
  );
  return `${body.map((line) => line.slice(indent)).join('\n')}\n`;
}

/** `README.md:45` */
export function where(block: CodeBlock): string {
  return `${block.file}:${block.line}`;
}

export function relativeToRoot(path: string): string {
  return relative(ROOT, path);
}
