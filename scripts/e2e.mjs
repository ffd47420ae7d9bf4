#!/usr/bin/env node
/**
 * `npm run e2e`: the Electron end-to-end tests (e2e/*.e2e.ts), which drive
 * the built app with Playwright's `_electron`. Not part of `npm test`: they
 * need the Electron binary, which cannot be downloaded on every machine.
 *
 * 1. builds dist/ (scripts/build.mjs);
 * 2. finds the Electron binary, downloading it when it is missing (as
 *    `npm start` does: scripts/electron-binary.mjs), or says why it cannot
 *    and exits 1;
 * 3. on Linux, runs the tests under `xvfb-run -a` when there is no display,
 *    and inside a private D-Bus session with a fresh, unlocked gnome-keyring
 *    (scripts/with-keyring.mjs) so the restored session comes from a real
 *    keychain that is thrown away afterwards;
 * 4. runs node's test runner on e2e/*.e2e.ts, with the binary's path in
 *    E2E_ELECTRON_PATH.
 *
 *   npm run e2e
 *   npm run e2e -- --test-name-pattern=restart
 */
import { spawn, spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureElectron } from './electron-binary.mjs';
import { findExecutable } from './find-executable.mjs';
import { missingKeyringPrograms } from './with-keyring.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

async function main() {
  let electron;
  try {
    electron = await ensureElectron({ root, what: 'run the Electron end-to-end tests' });
  } catch (error) {
    console.error(error instanceof Error ? error.message : String(error));
    process.exit(1);
  }

  const build = spawnSync(process.execPath, [path.join(root, 'scripts', 'build.mjs')], { cwd: root, stdio: 'inherit' });
  if (build.status !== 0) process.exit(build.status ?? 1);

  const files = readdirSync(path.join(root, 'e2e'))
    .filter((name) => name.endsWith('.e2e.ts'))
    .map((name) => path.join('e2e', name));
  const flags = process.argv.slice(2);
  let command = [process.execPath, '--import', 'tsx', '--test', '--test-concurrency=1', '--test-reporter=spec', ...flags, ...files];

  if (process.platform === 'linux') {
    if (!process.env.DISPLAY && !process.env.WAYLAND_DISPLAY) {
      const xvfb = findExecutable('xvfb-run');
      if (!xvfb) {
        console.error('There is no display ($DISPLAY is unset) and xvfb-run is missing. Install it (apt-get install xvfb) or run from a desktop session.');
        process.exit(1);
      }
      command = [xvfb, '-a', '--server-args=-screen 0 1280x800x24', ...command];
    }
    if (missingKeyringPrograms().length === 0) {
      command = [process.execPath, path.join(root, 'scripts', 'with-keyring.mjs'), ...command];
    } else {
      console.warn('e2e: dbus-run-session or gnome-keyring-daemon is missing: the app uses your own keychain, and the restart test may fail if it is locked.');
    }
  }

  const [program, ...args] = command;
  const child = spawn(program, args, { cwd: root, stdio: 'inherit', env: { ...process.env, E2E_ELECTRON_PATH: electron } });
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
}

await main();
