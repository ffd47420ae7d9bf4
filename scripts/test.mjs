#!/usr/bin/env node
/**
 * What `npm test` runs, on Linux, macOS and Windows (plain Node, no shell):
 *   1. type-checks the main/test/scripts project and the renderer project;
 *   2. builds the app and runs Electronegativity over the sources and bundles;
 *   3. runs every test/**\/*.test.ts with node's built-in test runner (one
 *      file at a time) with a keychain of its own (scripts/with-keyring.mjs:
 *      on Linux a private D-Bus session with a fresh, unlocked gnome-keyring;
 *      elsewhere the OS's keychain, under a service name unique to the run).
 *
 *   npm test                                       # everything
 *   npm test -- test/unit/keytar-vault.test.ts     # only these files
 *   npm test -- test/unit                          # every *.test.ts under a folder
 *   npm test -- --test-name-pattern=contract       # flags go to `node --test`
 *
 * Flags for node must use the --flag=value form (a bare word is taken as a
 * file or folder). TEST_SKIP_TYPECHECK=1 skips step 1 and TEST_SKIP_LINT=1
 * step 2, for quick iterations. The browser tests use TEST_BROWSER (a
 * Chromium, Chrome or Edge executable) when set, else the usual install
 * locations (test/support/browser-path.ts).
 *
 * The exit code is the test runner's (or the first failing step's). The last
 * line is "N passed, N failed".
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { missingKeyringPrograms, withKeyring } from './with-keyring.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(path.join(root, 'package.json'));

/** Runs `node <args>` from the repository root with inherited output; resolves to the exit code. */
function node(args) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, { cwd: root, stdio: 'inherit' });
    child.on('error', () => resolve(1));
    child.on('close', (code, signal) => resolve(code ?? (signal ? 1 : 0)));
  });
}

/** Every *.test.ts under a folder, sorted (by path, with / as the separator on every OS). */
function testFilesUnder(dir) {
  const found = [];
  const walk = (current) => {
    for (const entry of readdirSync(current, { withFileTypes: true })) {
      if (entry.name === 'node_modules') continue;
      const full = path.join(current, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.name.endsWith('.test.ts')) found.push(full);
    }
  };
  walk(dir);
  return found.sort((a, b) => a.split(path.sep).join('/').localeCompare(b.split(path.sep).join('/')));
}

/** Splits the arguments into node flags and test files (folders expanded); throws with a message for a missing path. */
export function selectTests(args, cwd = root) {
  const flags = args.filter((arg) => arg.startsWith('-'));
  const paths = args.filter((arg) => !arg.startsWith('-'));
  const files = [];
  for (const given of paths.length === 0 ? ['test'] : paths) {
    const full = path.resolve(cwd, given);
    if (!existsSync(full)) throw new Error(`test: no such test file or folder: ${given} (flags take the --flag=value form, e.g. --test-name-pattern=contract)`);
    if (statSync(full).isDirectory()) files.push(...testFilesUnder(full).map((file) => path.relative(cwd, file)));
    else if (given.endsWith('.test.ts')) files.push(given);
    else throw new Error(`test: ${given} is not a test file (*.test.ts). Flags take the --flag=value form, e.g. --test-name-pattern=contract.`);
  }
  if (files.length === 0) throw new Error(`test: no *.test.ts files found under: ${paths.join(' ') || 'test'}`);
  return { flags, files };
}

/** The TAP summary lines and the closing "N passed, N failed" (cancelled tests count as failed). */
export function summarize(tap) {
  const lines = tap.split('\n').filter((line) => /^# (tests|suites|pass|fail|cancelled|skipped|todo|duration_ms) /.test(line));
  if (lines.length === 0) return undefined;
  const count = (key) => Number(lines.filter((line) => line.split(' ')[1] === key).at(-1)?.split(' ')[2] ?? 0);
  const passed = count('pass');
  const failed = count('fail') + count('cancelled');
  return { lines, passed, failed, closing: `${passed} passed, ${failed} failed` };
}

async function main() {
  let selection;
  try {
    selection = selectTests(process.argv.slice(2));
  } catch (error) {
    console.error(error instanceof Error ? error.message : String(error));
    return 1;
  }

  const major = Number(process.versions.node.split('.')[0]);
  if (major < 24) console.warn(`test: this is Node ${process.versions.node}; the app's main process runs on Node 24 (Electron 45), and so should the tests (README: Two commands).`);

  // Prerequisites: fail loudly, saying what to install.
  const problems = [];
  if (!existsSync(path.join(root, 'node_modules', 'tsx')) || !existsSync(path.join(root, 'node_modules', 'typescript'))) {
    problems.push('test: node_modules is missing or incomplete. Run: npm ci');
  }
  if (process.platform === 'linux') problems.push(...missingKeyringPrograms());
  if (problems.length > 0) {
    for (const line of problems) console.error(line);
    return 1;
  }

  if (process.env.TEST_SKIP_TYPECHECK !== '1') {
    const tsc = require.resolve('typescript/bin/tsc');
    console.log('== type-check: tsconfig.json');
    let status = await node([tsc, '-p', 'tsconfig.json', '--noEmit']);
    if (status !== 0) return status;
    console.log('== type-check: renderer/tsconfig.json');
    status = await node([tsc, '-p', path.join('renderer', 'tsconfig.json'), '--noEmit']);
    if (status !== 0) return status;
  }

  if (process.env.TEST_SKIP_LINT !== '1') {
    console.log('== build (for the bundle scan and the renderer tests)');
    let status = await node([path.join('scripts', 'build.mjs')]);
    if (status !== 0) return status;
    console.log('== Electronegativity: fails on any finding of medium severity or higher');
    status = await node([path.join('scripts', 'electronegativity.mjs')]);
    if (status !== 0) return status;
  }

  // One id for every keychain item the run makes (test/support/platform-parts.ts): on macOS and Windows the OS's own keychain is used.
  process.env.TEST_RUN_ID ??= randomUUID().slice(0, 8);
  const results = mkdtempSync(path.join(tmpdir(), 'oidc-desktop-test.'));
  try {
    const tapFile = path.join(results, 'results.tap');
    const keychain = process.platform === 'linux' ? 'inside a private D-Bus session with a fresh gnome-keyring' : "with this OS's keychain (a service name unique to this run)";
    console.log(`== tests: ${selection.files.length} file(s), ${keychain}`);
    const status = await withKeyring([
      process.execPath,
      '--import',
      'tsx',
      '--test',
      '--test-concurrency=1',
      '--test-reporter=spec',
      '--test-reporter-destination=stdout',
      '--test-reporter=tap',
      `--test-reporter-destination=${tapFile}`,
      ...selection.flags,
      ...selection.files,
    ]);
    const summary = summarize(existsSync(tapFile) ? readFileSync(tapFile, 'utf8') : '');
    if (summary === undefined) {
      console.error(`test: the test runner wrote no summary (exit code ${status})`);
      return status === 0 ? 1 : status;
    }
    console.log(`\n${summary.lines.join('\n')}`);
    console.log(summary.closing);
    return status === 0 && summary.failed !== 0 ? 1 : status;
  } finally {
    rmSync(results, { recursive: true, force: true });
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) process.exitCode = await main();
