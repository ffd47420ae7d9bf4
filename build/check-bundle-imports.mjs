/**
 * What a built main-process folder (dist/main) loads from outside itself.
 *
 * A packaged app must resolve no module from outside its own bundle: a bare
 * specifier that the app does not ship makes Node walk every parent folder's
 * node_modules (for an AppImage: /tmp/.mount_*, /tmp, /), where any local
 * user can plant code. So every import and require in the output must be one
 * of:
 *   - a Node built-in (`node:fs`, or a bare built-in name, which Node loads before any folder);
 *   - `electron` (the runtime itself);
 *   - `keytar`, the one native package, shipped inside the app (electron-builder `asarUnpack`);
 *   - a relative path to a file inside the same output folder;
 * and nothing may load the development provider (its chunk, or `oidc-provider`).
 *
 * Imports are read with esbuild's parser (static, dynamic and re-export
 * forms); `require()` / `__require()` calls with a literal are read by
 * pattern, because the bundle's banner binds `require` locally (esbuild does
 * not treat a bound `require` as an import). A call whose argument is not a
 * literal cannot be checked and is a problem by itself.
 *
 * Used by scripts/build.mjs (the production build fails on any problem), by
 * build/after-pack.cjs (packaging refuses a development build), and by
 * test/unit/build/production-bundle.test.ts.
 */
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { isBuiltin } from 'node:module';
import path from 'node:path';
import * as esbuild from 'esbuild';

/** Bare package names the packaged app may import: the runtime, and the native package it ships unpacked. */
export const SHIPPED_PACKAGES = Object.freeze(['electron', 'keytar']);

/** Names that only the development provider uses. */
const DEVELOPMENT_ONLY = /(?:^|[/\\])dev-provider|oidc-provider/;

const LITERAL_REQUIRE = /\b(?:__require|require)\s*\(\s*(["'`])([^"'`]+)\1\s*\)/g;
const NON_LITERAL_LOAD = /(?<![\w$.])(?:__require|require|import)\s*\(\s*(?!["'`\s])/g;

/**
 * @param {string} dir the built folder, e.g. dist/main
 * @returns {Promise<Array<{ file: string, specifier: string, problem: string }>>} one entry per offending import; empty when clean
 */
export async function bundleImportProblems(dir) {
  const root = path.resolve(dir);
  const problems = [];
  for (const file of await codeFiles(root)) {
    const relativeFile = path.relative(root, file);
    if (DEVELOPMENT_ONLY.test(relativeFile)) {
      problems.push({ file: relativeFile, specifier: relativeFile, problem: 'a development provider chunk is in the build' });
    }
    for (const specifier of await importsOf(file)) {
      const problem = specifierProblem(root, file, specifier);
      if (problem) problems.push({ file: relativeFile, specifier, problem });
    }
  }
  return problems;
}

/** Every specifier `file` loads: static and dynamic imports, re-exports and literal require calls. */
export async function importsOf(file) {
  const specifiers = new Set();
  const result = await esbuild.build({
    entryPoints: [file],
    bundle: true,
    write: false,
    platform: 'node',
    format: file.endsWith('.cjs') ? 'cjs' : 'esm',
    logLevel: 'silent',
    plugins: [
      {
        name: 'record-imports',
        setup(build) {
          build.onResolve({ filter: /.*/ }, (args) => {
            if (args.kind === 'entry-point') return undefined;
            specifiers.add(args.path);
            return { path: args.path, external: true };
          });
        },
      },
    ],
  });
  if (result.errors.length > 0) throw new Error(`cannot parse ${file}: ${result.errors[0]?.text}`);
  const text = await readFile(file, 'utf8');
  for (const match of text.matchAll(LITERAL_REQUIRE)) specifiers.add(match[2]);
  for (const match of text.matchAll(NON_LITERAL_LOAD)) {
    const line = text.slice(0, match.index).split('\n').length;
    specifiers.add(`<not a literal, line ${line}: ${text.slice(match.index, match.index + 40)}>`);
  }
  return [...specifiers];
}

function specifierProblem(root, file, specifier) {
  if (specifier.startsWith('<not a literal')) return 'a module loaded by a computed name cannot be checked';
  if (DEVELOPMENT_ONLY.test(specifier)) return 'loads the development provider';
  if (specifier.startsWith('./') || specifier.startsWith('../')) {
    const target = path.resolve(path.dirname(file), specifier);
    if (target !== root && !target.startsWith(root + path.sep)) return 'a relative import that leaves the bundle';
    if (!existsSync(target)) return 'a relative import of a file that is not in the bundle';
    return undefined;
  }
  if (specifier.startsWith('node:')) return isBuiltin(specifier) ? undefined : 'not a Node built-in';
  if (isBuiltin(specifier)) return undefined;
  const packageName = specifier.startsWith('@') ? specifier.split('/').slice(0, 2).join('/') : specifier.split('/')[0];
  if (SHIPPED_PACKAGES.includes(packageName) && packageName === specifier) return undefined;
  return 'a package the app does not ship: Node would look for it in every parent folder';
}

async function codeFiles(dir) {
  const files = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) files.push(...(await codeFiles(full)));
    else if (/\.(?:mjs|cjs|js)$/.test(entry.name)) files.push(full);
  }
  return files.sort();
}
