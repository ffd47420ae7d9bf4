#!/usr/bin/env node
/**
 * `npm start`: builds the development variant of the app (scripts/build.mjs
 * --development, which holds the embedded development provider used when no
 * provider is configured), fetches Electron's binary when it is missing
 * (through the electron package's own installer: scripts/electron-binary.mjs),
 * then runs the app with it, passing on any extra arguments
 * (`npm start -- <args>`).
 *
 * On Linux, when Electron aborts because it cannot start its sandbox
 * (restricted user namespaces, as on Ubuntu 23.10+), prints the exact fix
 * (scripts/linux-sandbox.mjs). The sandbox is never turned off.
 */
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { ensureElectron } from './electron-binary.mjs';
import { isSandboxFailure, sandboxFixMessage, sandboxPreflight } from './linux-sandbox.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** Reads a /proc/sys file, or undefined when it does not exist. */
export function readSysctl(file) {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

/** `fs.statSync` as the sandbox check needs it, or undefined when the file does not exist. */
export function statHelper(file) {
  try {
    const stats = statSync(file);
    return { uid: stats.uid, mode: stats.mode };
  } catch {
    return undefined;
  }
}

/**
 * Runs Electron on the app folder, its output passed through; resolves to
 * its exit code. When it fails and its stderr (or the sandbox preflight) says
 * the sandbox could not start, prints the fix once.
 */
export function runElectron(electron, args, { cwd = root, env = process.env } = {}) {
  const predicted = sandboxPreflight({ platform: process.platform, electronPath: electron, readSysctl, statHelper, argv: args });
  return new Promise((resolve) => {
    const child = spawn(electron, args, { cwd, env, stdio: ['inherit', 'inherit', 'pipe'], windowsHide: false });
    let tail = '';
    child.stderr.on('data', (chunk) => {
      process.stderr.write(chunk);
      // The sandbox failure is among Chromium's first lines; keep a bounded tail to look for it.
      tail = (tail + chunk.toString('utf8')).slice(-16384);
    });
    for (const signal of ['SIGINT', 'SIGTERM']) {
      process.on(signal, () => {
        if (child.exitCode === null) child.kill(signal);
      });
    }
    child.on('error', (error) => {
      console.error(`Could not run Electron (${electron}): ${error.message}`);
      resolve(1);
    });
    child.on('close', (code, signal) => {
      const status = code ?? (signal ? 1 : 0);
      if (status !== 0 && process.platform === 'linux' && (isSandboxFailure(tail) || predicted !== undefined)) {
        console.error(`\n${predicted ?? sandboxFixMessage({ electronPath: electron })}`);
      }
      resolve(status);
    });
  });
}

async function main() {
  // The development build: the only one with the embedded development provider in it.
  const build = spawnSync(process.execPath, [path.join(root, 'scripts', 'build.mjs'), '--development'], { cwd: root, stdio: 'inherit' });
  if (build.status !== 0) process.exit(build.status ?? 1);

  let electron;
  try {
    electron = await ensureElectron({ root, what: 'start the app' });
  } catch (error) {
    console.error(error instanceof Error ? error.message : String(error));
    process.exit(1);
  }
  process.exit(await runElectron(electron, ['.', ...process.argv.slice(2)]));
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) await main();
