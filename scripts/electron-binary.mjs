/**
 * Electron's binary for `npm start` and `npm run e2e`: find it, and fetch it
 * when it is missing.
 *
 * Since Electron 42 `npm ci` downloads nothing: the binary comes from the
 * electron package's own installer (`node_modules/electron/install.js`, which
 * runs @electron/get), so every standard Electron setting keeps working:
 * ELECTRON_MIRROR, ELECTRON_CUSTOM_DIR, electron_config_cache,
 * electron_use_remote_checksums, ELECTRON_GET_USE_PROXY with HTTPS_PROXY.
 * We never `require('electron')` to get it: that downloads too, but buries a
 * failure under a stack trace.
 */
import { spawn } from 'node:child_process';
import { lookup } from 'node:dns/promises';
import { connect } from 'node:net';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

/** The electron package's folder, or undefined when it is not installed (npm ci not run). */
export function electronPackageDir(root) {
  try {
    return path.dirname(createRequire(path.join(root, 'package.json')).resolve('electron/package.json'));
  } catch {
    return undefined;
  }
}

/** The executable's path inside dist/ for a platform, as the electron package's install.js writes it to path.txt. */
export function platformExecutable(platform) {
  switch (platform) {
    case 'darwin':
    case 'mas':
      return 'Electron.app/Contents/MacOS/Electron';
    case 'win32':
      return 'electron.exe';
    default:
      return 'electron';
  }
}

/**
 * The Electron executable, or undefined when none is installed. Honours
 * ELECTRON_OVERRIDE_DIST_PATH like the electron package does.
 */
export function locateElectron(root, env = process.env, platform = process.platform) {
  const packageDir = electronPackageDir(root);
  if (packageDir === undefined) return undefined;
  const pathFile = path.join(packageDir, 'path.txt');
  const relative = existsSync(pathFile) ? readFileSync(pathFile, 'utf8').trim() : undefined;
  const override = env.ELECTRON_OVERRIDE_DIST_PATH;
  if (override) {
    const candidate = path.join(override, relative || platformExecutable(platform));
    return existsSync(candidate) ? candidate : undefined;
  }
  if (!relative) return undefined;
  const candidate = path.join(packageDir, 'dist', relative);
  return existsSync(candidate) ? candidate : undefined;
}

/** The version the electron package installs (its package.json). */
export function electronVersion(root) {
  const packageDir = electronPackageDir(root);
  if (packageDir === undefined) return undefined;
  return JSON.parse(readFileSync(path.join(packageDir, 'package.json'), 'utf8')).version;
}

/** Where @electron/get downloads from: ELECTRON_MIRROR (or its npm config form) or GitHub's releases. */
export function downloadOrigin(env = process.env) {
  return env.ELECTRON_MIRROR || env.npm_config_electron_mirror || env.NPM_CONFIG_ELECTRON_MIRROR || 'https://github.com/electron/electron/releases/download/';
}

/**
 * Why the download host cannot be reached, in a few words (DNS first: the
 * usual offline failure), or undefined when it resolves. Bounded by `timeoutMs`.
 */
export async function unreachableReason(origin, timeoutMs = 5000) {
  let host;
  try {
    host = new URL(origin).hostname;
  } catch {
    return `ELECTRON_MIRROR is not a URL: ${origin}`;
  }
  let address;
  try {
    const timeout = new Promise((_, reject) => setTimeout(() => reject(Object.assign(new Error('timed out'), { code: 'ETIMEDOUT' })), timeoutMs).unref());
    address = (await Promise.race([lookup(host), timeout])).address;
  } catch (error) {
    return `${host} cannot be resolved (${error?.code ?? 'lookup failed'}): no network, or no DNS for it from here`;
  }
  // Resolved: can a connection be made? (A mirror that is not running refuses it.)
  const url = new URL(origin);
  const port = Number(url.port || (url.protocol === 'http:' ? 80 : 443));
  const refused = await new Promise((resolve) => {
    const socket = connect({ host: address, port });
    const done = (reason) => {
      socket.destroy();
      resolve(reason);
    };
    socket.setTimeout(timeoutMs, () => done(`${host}:${port} did not answer within ${timeoutMs / 1000} s`));
    socket.once('connect', () => done(undefined));
    socket.once('error', (error) => done(`${host}:${port} refused the connection (${error.code ?? error.message})`));
  });
  return refused;
}

/**
 * The one message for a machine where Electron is missing and could not be
 * fetched: what failed, then advice that works.
 */
export function electronUnavailableMessage({ what, version, origin, reason, platform = process.platform, arch = process.arch }) {
  const zip = `electron-v${version}-${platform}-${arch}.zip`;
  return [
    `Cannot ${what}: Electron ${version} is not installed in node_modules/electron/dist, and downloading it (${zip}, about 100 MB) from ${origin} failed${reason ? `: ${reason}` : '.'}`,
    '',
    'What works:',
    '  - With network access: run the same command again; it downloads Electron by itself (or run: node node_modules/electron/install.js).',
    '  - Behind a firewall: set ELECTRON_MIRROR to a mirror you can reach (it must hold v<version>/<zip>),',
    '    or ELECTRON_GET_USE_PROXY=1 with HTTPS_PROXY for a proxy.',
    `  - Offline: set ELECTRON_OVERRIDE_DIST_PATH to a folder holding an unpacked Electron ${version} for this OS.`,
    '',
    'Everything else works without it: `npm test` runs the unit, integration and renderer tests, and `npm run build` bundles the app.',
  ].join('\n');
}

/**
 * Runs the electron package's install.js, saying what happens while it
 * downloads, and resolves to the executable's path. Rejects with an Error
 * whose message is electronUnavailableMessage() when it cannot.
 *
 * @param {{ root: string, what: string, env?: NodeJS.ProcessEnv, log?: (line: string) => void }} options
 */
export async function ensureElectron({ root, what, env = process.env, log = (line) => console.log(line) }) {
  const found = locateElectron(root, env);
  if (found) return found;
  const override = env.ELECTRON_OVERRIDE_DIST_PATH;
  if (override) {
    // The user named a folder: downloading elsewhere would ignore them.
    throw new Error(`Cannot ${what}: ELECTRON_OVERRIDE_DIST_PATH is ${override}, which holds no ${platformExecutable(process.platform)}. Point it at an unpacked Electron ${electronVersion(root) ?? ''} for this OS, or unset it to download Electron.`);
  }
  const mirror = env.ELECTRON_MIRROR;
  if (mirror && !mirror.endsWith('/')) {
    // @electron/get appends "v<version>/<file>" to it as it is.
    throw new Error(`Cannot ${what}: ELECTRON_MIRROR must end with "/" (it is ${mirror}); e.g. ELECTRON_MIRROR=${mirror}/`);
  }
  const packageDir = electronPackageDir(root);
  if (packageDir === undefined) {
    throw new Error(`Cannot ${what}: the electron package is not installed. Run: npm ci`);
  }
  const version = electronVersion(root);
  const origin = downloadOrigin(env);
  log(`Electron ${version} is not installed yet: downloading it (about 100 MB) from ${origin} through node_modules/electron/install.js…`);
  const started = Date.now();
  const { code, stderr } = await new Promise((resolve) => {
    const child = spawn(process.execPath, [path.join(packageDir, 'install.js')], { cwd: root, env, stdio: ['ignore', 'inherit', 'pipe'] });
    let text = '';
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk) => {
      // Keep the first 8 KB: enough for the error's first line, bounded whatever the installer prints.
      if (text.length < 8192) text += chunk;
    });
    child.on('error', (error) => resolve({ code: 1, stderr: error.message }));
    child.on('close', (status) => resolve({ code: status ?? 1, stderr: text }));
  });
  const executable = locateElectron(root, env);
  if (code === 0 && executable) {
    log(`Electron ${version} downloaded and unpacked in ${((Date.now() - started) / 1000).toFixed(1)} s.`);
    return executable;
  }
  const firstLine = stderr.split('\n').find((line) => line.trim() !== '')?.trim();
  const reason = (await unreachableReason(origin)) ?? firstLine ?? `the installer exited with code ${code}`;
  throw new Error(electronUnavailableMessage({ what, version, origin, reason }));
}
