#!/usr/bin/env node
/**
 * `npm run dist`: the production build (scripts/build.mjs), then
 * electron-builder for the host OS (`npm run dist -- --linux deb` and other
 * electron-builder arguments pass through).
 *
 * electron-builder downloads Electron's zip for the target and its own tools
 * (NSIS, AppImage, fpm…) from GitHub or the mirrors set in ELECTRON_MIRROR
 * and ELECTRON_BUILDER_BINARIES_MIRROR. Offline it fails only after minutes
 * of retries, with a stack trace; so we first check, in a few seconds, that
 * those hosts resolve, and say so in one message when they do not.
 * DIST_SKIP_NETWORK_CHECK=1 skips the check (a cache already holds everything).
 */
import { spawn, spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { downloadOrigin, unreachableReason } from './electron-binary.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** The hosts electron-builder downloads from, with the setting that moves each. */
export function downloadSources(env = process.env) {
  return [
    { setting: 'ELECTRON_MIRROR', origin: downloadOrigin(env), what: "Electron's zip" },
    { setting: 'ELECTRON_BUILDER_BINARIES_MIRROR', origin: env.ELECTRON_BUILDER_BINARIES_MIRROR || 'https://github.com/electron-userland/electron-builder-binaries/releases/download/', what: "electron-builder's tools" },
  ];
}

/** The message when a download source cannot be reached. */
export function distOfflineMessage(problems) {
  return [
    'Cannot package the app: electron-builder needs to download files, and their hosts cannot be reached from here:',
    ...problems.map(({ what, origin, setting, reason }) => `  - ${what} from ${origin} (${setting}): ${reason}`),
    '',
    'What works:',
    '  - Run `npm run dist` on a machine with network access (or in CI: .github/workflows/ci.yml packages on each OS).',
    '  - Behind a firewall: point the settings above at mirrors you can reach.',
    '  - With everything already in electron-builder\'s cache: DIST_SKIP_NETWORK_CHECK=1 npm run dist.',
    '',
    '`npm run build` builds the app\'s bundles without any download.',
  ].join('\n');
}

async function main() {
  const build = spawnSync(process.execPath, [path.join(root, 'scripts', 'build.mjs')], { cwd: root, stdio: 'inherit' });
  if (build.status !== 0) return build.status ?? 1;

  if (process.env.DIST_SKIP_NETWORK_CHECK !== '1') {
    const problems = [];
    for (const source of downloadSources()) {
      const reason = await unreachableReason(source.origin);
      if (reason !== undefined) problems.push({ ...source, reason });
    }
    if (problems.length > 0) {
      console.error(distOfflineMessage(problems));
      return 1;
    }
  }

  const cli = createRequire(path.join(root, 'package.json')).resolve('electron-builder/cli.js');
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [cli, '--config', 'electron-builder.config.cjs', ...process.argv.slice(2)], { cwd: root, stdio: 'inherit' });
    child.on('error', () => resolve(1));
    child.on('close', (code, signal) => resolve(code ?? (signal ? 1 : 0)));
  });
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) process.exitCode = await main();
