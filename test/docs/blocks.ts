/**
 * Turns the documentation's code blocks into things a test can check: TypeScript and JavaScript
 * blocks (and the `+` side of a `diff`) become modules under test/docs/.blocks/ that are typechecked
 * together and then run; `sh` blocks are checked command by command against this repository; `text`
 * blocks (file trees) are checked for the paths they name.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import ts from 'typescript';
import { type CodeBlock, ROOT, where } from './markdown.js';

export const BLOCKS_DIR = join(ROOT, 'test', 'docs', '.blocks');
const CONTEXTS_DIR = join(ROOT, 'test', 'docs', 'contexts');

export interface BlockModule {
  block: CodeBlock;
  /** Absolute path of the generated module. */
  path: string;
  /** Lines added above the block's own first line. */
  offset: number;
}

const LANGS: Record<string, 'ts' | 'js' | 'diff'> = {
  ts: 'ts',
  typescript: 'ts',
  js: 'js',
  javascript: 'js',
  mjs: 'js',
  diff: 'diff',
};

export function isModuleBlock(block: CodeBlock): boolean {
  return block.include === undefined && block.lang in LANGS;
}

/** The names a context module exports, following `export * from`. */
export function contextNames(context: string): Set<string> {
  const path = join(CONTEXTS_DIR, `${context}.ts`);
  if (!existsSync(path)) throw new Error(`no doc-test context ${context} (test/docs/contexts/${context}.ts)`);
  const source = readFileSync(path, 'utf8');
  const names = new Set<string>();
  for (const m of source.matchAll(/^export (?:async )?(?:const|let|function|class) (\w+)/gm))
    names.add(m[1] as string);
  for (const m of source.matchAll(/^export \{([^}]*)\}/gm)) {
    for (const name of (m[1] as string).split(',')) {
      const exported = name
        .trim()
        .split(/\s+as\s+/)
        .pop();
      if (exported) names.add(exported.replace(/^type\s+/, ''));
    }
  }
  for (const m of source.matchAll(/^export \* from '\.\/(\w+)\.js'/gm)) {
    for (const name of contextNames(m[1] as string)) names.add(name);
  }
  return names;
}

/** Names declared at the top level of a module: imports, variables, functions, classes. */
function topLevelNames(code: string): Set<string> {
  const file = ts.createSourceFile('block.ts', code, ts.ScriptTarget.ES2022, false, ts.ScriptKind.TS);
  const names = new Set<string>();
  const bind = (name: ts.BindingName) => {
    if (ts.isIdentifier(name)) names.add(name.text);
    else for (const element of name.elements) if (!ts.isOmittedExpression(element)) bind(element.name);
  };
  for (const statement of file.statements) {
    if (ts.isImportDeclaration(statement) && statement.importClause) {
      const clause = statement.importClause;
      if (clause.name) names.add(clause.name.text);
      const bindings = clause.namedBindings;
      if (bindings && ts.isNamespaceImport(bindings)) names.add(bindings.name.text);
      else if (bindings) for (const element of bindings.elements) names.add(element.name.text);
    } else if (ts.isVariableStatement(statement)) {
      for (const declaration of statement.declarationList.declarations) bind(declaration.name);
    } else if (
      (ts.isFunctionDeclaration(statement) ||
        ts.isClassDeclaration(statement) ||
        ts.isInterfaceDeclaration(statement)) &&
      statement.name
    ) {
      names.add(statement.name.text);
    }
  }
  return names;
}

/** The code of a block as a module: a diff's resulting side, relative imports re-based. */
function moduleCode(block: CodeBlock): string {
  let code = block.text;
  if (block.lang === 'diff') {
    code = code
      .split('\n')
      .filter((line) => !line.startsWith('-') && !line.startsWith('@@'))
      .map((line) => line.slice(1))
      .join('\n');
  }
  // A relative import names a file next to the page; the module lives in .blocks/.
  const pageDir = dirname(join(ROOT, block.file));
  return code.replace(/(from\s+')(\.\.?\/[^']+)'/g, (_m, head: string, target: string) => {
    let rebased = relative(BLOCKS_DIR, join(pageDir, target));
    if (!rebased.startsWith('.')) rebased = `./${rebased}`;
    return `${head}${rebased}'`;
  });
}

/** Writes every module block to test/docs/.blocks/, each importing what it takes from its context. */
export function writeBlockModules(blocks: CodeBlock[]): BlockModule[] {
  rmSync(BLOCKS_DIR, { recursive: true, force: true });
  mkdirSync(BLOCKS_DIR, { recursive: true });
  return blocks.filter(isModuleBlock).map((block) => {
    const code = moduleCode(block);
    const declared = topLevelNames(code);
    const given = [...contextNames(block.context)].filter((name) => !declared.has(name)).sort();
    const header = given.length
      ? `import { ${given.join(', ')} } from '../contexts/${block.context}.js';\n`
      : '';
    const slug = `${block.file.replace(/\.md$/, '').replace(/[^\w]+/g, '-')}-${block.line}`;
    const extension = LANGS[block.lang] === 'js' ? 'js' : 'ts';
    const path = join(BLOCKS_DIR, `${slug}.${extension}`);
    // `export {}` makes every block a module: top-level await works and names never collide.
    writeFileSync(path, `${header}${code}\nexport {};\n`);
    return { block, path, offset: header ? 1 : 0 };
  });
}

/** Type errors per block, with lines as they are in the Markdown page. */
export function typecheck(modules: BlockModule[]): Map<BlockModule, string[]> {
  const config = ts.readConfigFile(join(ROOT, 'tsconfig.base.json'), ts.sys.readFile);
  const parsed = ts.parseJsonConfigFileContent(config.config, ts.sys, ROOT);
  const program = ts.createProgram(
    modules.map((m) => m.path),
    { ...parsed.options, noEmit: true, allowJs: true, checkJs: true },
  );
  const errors = new Map<BlockModule, string[]>();
  for (const module of modules) {
    const file = program.getSourceFile(module.path);
    const diagnostics = file ? ts.getPreEmitDiagnostics(program, file) : [];
    errors.set(
      module,
      diagnostics.map((diagnostic) => {
        const message = ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n');
        if (!diagnostic.file || diagnostic.start === undefined) return message;
        const { line } = diagnostic.file.getLineAndCharacterOfPosition(diagnostic.start);
        const inFile = diagnostic.file.fileName === module.path;
        const at = inFile
          ? `${module.block.file}:${module.block.line + line + 1 - module.offset}`
          : diagnostic.file.fileName;
        return `${at}: TS${diagnostic.code} ${message}`;
      }),
    );
  }
  return errors;
}

const ROOT_PACKAGE = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  scripts: Record<string, string>;
};
const LOCK = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as {
  packages: Record<string, { name?: string }>;
};
/** Every package name this repository publishes, and the tarball `npm run tarballs` makes of it. */
const PUBLISHED = new Map(
  readdirSync(join(ROOT, 'packages')).map((dir) => {
    const { name } = JSON.parse(readFileSync(join(ROOT, 'packages', dir, 'package.json'), 'utf8')) as {
      name: string;
    };
    return [name, `${name.replace(/^@/, '').replace('/', '-')}.tgz`];
  }),
);
/** Programs a command line in the docs may use beyond npm, npx and node. */
const PROGRAMS = new Set(['cd', 'git', 'apt-get', 'curl', 'openssl', 'mkdir']);

function packageName(spec: string): string {
  const at = spec.indexOf('@', 1);
  return at > 0 ? spec.slice(0, at) : spec;
}

/** Problems with one `sh` block: a script, file, package or program this repository does not have. */
export function checkShell(block: CodeBlock): string[] {
  const problems: string[] = [];
  block.text.split('\n').forEach((raw, index) => {
    const line = raw.replace(/(^|\s)#.*$/, '').trim();
    const at = `${block.file}:${block.line + 1 + index}`;
    for (const command of line.split(/&&|;|\|\|?/)) {
      const words = command.trim().split(/\s+/).filter(Boolean);
      while (words[0] && /^[A-Z_][A-Z0-9_]*=/.test(words[0])) words.shift();
      const [program, sub, ...rest] = words;
      if (program === undefined) continue;
      if (program === 'npm') {
        if (sub === 'install' || sub === 'i' || sub === 'ci') {
          for (const arg of rest.filter((word) => !word.startsWith('-'))) {
            if (arg.endsWith('.tgz')) {
              const name = arg.split('/').pop() as string;
              if (![...PUBLISHED.values()].includes(name))
                problems.push(`${at}: no package packs to ${name}`);
            } else if (
              !PUBLISHED.has(packageName(arg)) &&
              !LOCK.packages[`node_modules/${packageName(arg)}`]
            ) {
              problems.push(
                `${at}: npm install ${arg}: not a package of this repository or its dependencies`,
              );
            }
          }
        } else if (sub === 'pkg') {
          if (rest[0] !== 'set' && rest[0] !== 'get')
            problems.push(`${at}: npm pkg ${rest[0]}: not a command the harness knows`);
        } else if (sub === 'start' || sub === 'test') {
          if (!ROOT_PACKAGE.scripts[sub]) problems.push(`${at}: no npm ${sub} script`);
        } else if (sub === 'run') {
          if (!ROOT_PACKAGE.scripts[rest[0] as string]) problems.push(`${at}: no script ${rest[0]}`);
        } else problems.push(`${at}: npm ${sub}: not a command the harness knows`);
      } else if (program === 'npx') {
        if (!existsSync(join(ROOT, 'node_modules', '.bin', sub as string)))
          problems.push(`${at}: npx ${sub}: not installed`);
      } else if (program === 'node') {
        const file = [sub, ...rest].find((word) => word && !word.startsWith('-'));
        if (file && !existsSync(join(ROOT, file))) problems.push(`${at}: node ${file}: no such file`);
      } else if (!PROGRAMS.has(program)) {
        problems.push(`${at}: ${program}: not a program the harness knows (test/docs/blocks.ts PROGRAMS)`);
      }
    }
  });
  return problems;
}

/**
 * Problems with a `text` block drawn as a file tree: paths that do not exist. A word is a path when
 * it ends with `/` or starts with a folder at the root (`packages/sqlite`; not `coatcheck/testing`).
 */
export function checkTree(block: CodeBlock): string[] {
  const problems: string[] = [];
  block.text.split('\n').forEach((line, index) => {
    for (const word of line.split(/\s+/)) {
      if (!/^[\w.-]+\/[\w./-]*$/.test(word)) continue;
      if (!word.endsWith('/') && !existsSync(join(ROOT, word.split('/')[0] as string))) continue;
      if (!existsSync(join(ROOT, word)))
        problems.push(`${block.file}:${block.line + 1 + index}: ${word} does not exist`);
    }
  });
  return problems;
}

export { where };
