#!/usr/bin/env node
/**
 * `npm start`: builds the development variant of the app (scripts/build.mjs
 * --development, which holds the embedded development provider used when no
 * provider is configured), then runs it with the
 * Electron binary from node_modules/electron, passing on any extra arguments
 * (`npm start -- <args>`).
 *
 * We never `require('electron')` here: since Electron 45 that call downloads
 * the binary when it is missing, which cannot work offline and would bury
 * the real problem under a stack trace. We look for the file instead, and
 * when it is not there say so once, with what to do.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/**
 * The Electron executable, or undefined when none is installed. Honours
 * ELECTRON_OVERRIDE_DIST_PATH like the electron package does.
 */
export function locateElectron() {
  let packageDir;
  try {
    packageDir = path.dirname(createRequire(path.join(root, 'package.json')).resolve('electron/package.json'));
  } catch {
    return undefined;
  }
  const pathFile = path.join(packageDir, 'path.txt');
  const relative = existsSync(pathFile) ? readFileSync(pathFile, 'utf8').trim() : undefined;
  const override = process.env.ELECTRON_OVERRIDE_DIST_PATH;
  if (override) {
    const candidate = path.join(override, relative || (process.platform === 'win32' ? 'electron.exe' : 'electron'));
    return existsSync(candidate) ? candidate : undefined;
  }
  if (!relative) return undefined;
  const candidate = path.join(packageDir, 'dist', relative);
  return existsSync(candidate) ? candidate : undefined;
}

/** The one message for a machine without the binary. */
export function missingElectronMessage(what) {
  return [
    `Cannot ${what}: Electron's binary is not installed on this machine (node_modules/electron/dist is missing).`,
    '',
    'On a developer machine with network access, download it with either of:',
    '  npx electron --version     # the first run downloads Electron into node_modules/electron/dist',
    '  npm rebuild electron',
    '(If ELECTRON_SKIP_BINARY_DOWNLOAD=1 is set in your environment, unset it first.)',
    '',
    'Everything else works without it: `npm test` runs the unit, integration and renderer tests, and `npm run build` bundles the app.',
  ].join('\n');
}

function main() {
  // The development build: the only one with the embedded development provider in it.
  const build = spawnSync(process.execPath, [path.join(root, 'scripts', 'build.mjs'), '--development'], { cwd: root, stdio: 'inherit' });
  if (build.status !== 0) process.exit(build.status ?? 1);

  const electron = locateElectron();
  if (!electron) {
    console.error(missingElectronMessage('start the app'));
    process.exit(1);
  }

  const child = spawn(electron, ['.', ...process.argv.slice(2)], { cwd: root, stdio: 'inherit', windowsHide: false });
  for (const signal of ['SIGINT', 'SIGTERM']) {
    process.on(signal, () => {
      if (child.exitCode === null) child.kill(signal);
    });
  }
  child.on('error', (error) => {
    console.error(`Could not run Electron (${electron}): ${error.message}`);
    process.exit(1);
  });
  child.on('exit', (code, signal) => {
    process.exit(code ?? (signal ? 1 : 0));
  });
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) main();
