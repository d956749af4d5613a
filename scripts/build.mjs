#!/usr/bin/env node
// Compiles each published package's src/ to dist/ (JavaScript and declarations), core first, so the
// packages can be published and required from CommonJS. Development and tests never need this: they
// load the TypeScript sources directly.
// One process compiles them all, parsing each declaration file they share (Node's, Express's, the
// drivers') once: about half the time of one `tsc -p` per package.
import { copyFileSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';

const root = new URL('..', import.meta.url).pathname;
const order = [
  'coatcheck',
  'jwt',
  'hono',
  'koa',
  'fastify',
  'sqlite',
  'redis',
  'postgres',
  'mysql',
  'mongodb',
];
const only = process.argv.slice(2);

/** Parsed declaration files, shared by every package's program (never a package's own sources). */
const shared = new Map();
function compilerHost(options) {
  const host = ts.createCompilerHost(options);
  const parse = host.getSourceFile;
  host.getSourceFile = (fileName, version, onError, shouldCreate) => {
    if (!fileName.endsWith('.d.ts') || !fileName.includes('/node_modules/')) {
      return parse.call(host, fileName, version, onError, shouldCreate);
    }
    const format =
      typeof version === 'object' ? `${version.languageVersion}:${version.impliedNodeFormat}` : version;
    const key = `${format}|${fileName}`;
    if (!shared.has(key)) shared.set(key, parse.call(host, fileName, version, onError, shouldCreate));
    return shared.get(key);
  };
  return host;
}

/** Compiles one package's tsconfig.build.json; false (after printing why) when it does not compile. */
function compile(configPath) {
  const config = ts.getParsedCommandLineOfConfigFile(
    configPath,
    {},
    { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => {} },
  );
  const program = ts.createProgram({
    rootNames: config.fileNames,
    options: config.options,
    host: compilerHost(config.options),
  });
  const diagnostics = [...ts.getPreEmitDiagnostics(program), ...program.emit().diagnostics];
  if (diagnostics.length === 0) return true;
  const format = { getCanonicalFileName: (f) => f, getCurrentDirectory: () => root, getNewLine: () => '\n' };
  console.error(ts.formatDiagnosticsWithColorAndContext(diagnostics, format));
  return false;
}

function copyDeclarations(src, dist) {
  for (const name of readdirSync(src)) {
    const from = join(src, name);
    if (statSync(from).isDirectory()) copyDeclarations(from, join(dist, name));
    else if (name.endsWith('.d.ts')) {
      mkdirSync(dist, { recursive: true });
      copyFileSync(from, join(dist, name));
    }
  }
}

// tsc writes a `/// <reference path>` to a hand-written src/**/*.d.ts (the Express augmentations)
// as a path back into src/. The published types must not leave dist/: point it at the copy there.
function pointReferencesIntoDist(src, dist, dir = dist) {
  for (const name of readdirSync(dir)) {
    const file = join(dir, name);
    if (statSync(file).isDirectory()) {
      pointReferencesIntoDist(src, dist, file);
      continue;
    }
    if (!name.endsWith('.d.ts')) continue;
    const text = readFileSync(file, 'utf8');
    const rewritten = text.replace(/(\/\/\/ <reference path=")([^"]+)(")/g, (whole, head, path, tail) => {
      const target = resolve(dirname(file), path);
      if (!target.startsWith(`${src}/`)) return whole;
      const inDist = relative(dirname(file), join(dist, relative(src, target)));
      return `${head}${inDist.startsWith('.') ? inDist : `./${inDist}`}${tail}`;
    });
    if (rewritten !== text) writeFileSync(file, rewritten);
  }
}

// The core's own subpath imports (`#crypto`, `#events`: package.json "imports") pick a backend by
// export condition. TypeScript's node10 resolution, which apps on older settings use, does not read
// "imports", so the published declarations name the node backend's declaration file instead (its
// types are the ones the "imports" entry gives under "types" too).
const backends = { '#crypto': 'lib/crypto/node.js', '#events': 'lib/events/node.js' };
function pointSubpathImportsIntoDist(dist, dir = dist) {
  for (const name of readdirSync(dir)) {
    const file = join(dir, name);
    if (statSync(file).isDirectory()) {
      pointSubpathImportsIntoDist(dist, file);
      continue;
    }
    if (!name.endsWith('.d.ts')) continue;
    const text = readFileSync(file, 'utf8');
    const rewritten = text.replace(
      /(from |import\()(['"])(#crypto|#events)\2/g,
      (_whole, head, quote, spec) => {
        const target = relative(dirname(file), join(dist, backends[spec]));
        return `${head}${quote}${target.startsWith('.') ? target : `./${target}`}${quote}`;
      },
    );
    if (rewritten !== text) writeFileSync(file, rewritten);
  }
}

for (const name of order) {
  if (only.length && !only.includes(name)) continue;
  const pkg = join(root, 'packages', name);
  const dist = join(pkg, 'dist');
  rmSync(dist, { recursive: true, force: true });
  if (!compile(join(pkg, 'tsconfig.build.json'))) {
    console.error(`build failed: packages/${name}`);
    process.exit(1);
  }
  copyDeclarations(join(pkg, 'src'), dist);
  pointReferencesIntoDist(join(pkg, 'src'), dist);
  if (name === 'coatcheck') pointSubpathImportsIntoDist(dist);
  console.log(`built ${relative(root, dist)}`);
}
