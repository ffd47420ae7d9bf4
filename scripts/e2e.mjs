#!/usr/bin/env node
/**
 * `npm run e2e`: the Electron end-to-end tests (e2e/*.e2e.ts), which drive
 * the built app with Playwright's `_electron`. Not part of `npm test`: they
 * need the Electron binary, which cannot be downloaded on every machine.
 *
 * 1. builds dist/ (scripts/build.mjs);
 * 2. finds the Electron binary, or says it is missing and exits 1;
 * 3. on Linux, runs the tests under `xvfb-run -a` when there is no display,
 *    and inside a private D-Bus session with a fresh, unlocked gnome-keyring
 *    (scripts/with-keyring.sh) so the restored session comes from a real
 *    keychain that is thrown away afterwards;
 * 4. runs node's test runner on e2e/*.e2e.ts, with the binary's path in
 *    E2E_ELECTRON_PATH.
 *
 *   npm run e2e
 *   npm run e2e -- --test-name-pattern=restart
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { locateElectron, missingElectronMessage } from './start.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

function which(command) {
  const result = spawnSync('sh', ['-c', `command -v "${command}"`], { encoding: 'utf8' });
  return result.status === 0 ? result.stdout.trim() : undefined;
}

function main() {
  const electron = locateElectron();
  if (!electron) {
    console.error(missingElectronMessage('run the Electron end-to-end tests'));
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
      const xvfb = which('xvfb-run');
      if (!xvfb) {
        console.error('There is no display ($DISPLAY is unset) and xvfb-run is missing. Install it (apt-get install xvfb) or run from a desktop session.');
        process.exit(1);
      }
      command = [xvfb, '-a', '--server-args=-screen 0 1280x800x24', ...command];
    }
    const keyring = path.join(root, 'scripts', 'with-keyring.sh');
    if (existsSync(keyring) && which('dbus-run-session') && which('gnome-keyring-daemon')) {
      command = ['bash', keyring, ...command];
    } else {
      console.warn('e2e: dbus-run-session or gnome-keyring-daemon is missing: the app uses your own keychain, and the restart test may fail if it is locked.');
    }
  }

  const [program, ...args] = command;
  const child = spawn(program, args, { cwd: root, stdio: 'inherit', env: { ...process.env, E2E_ELECTRON_PATH: electron } });
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
}

main();
