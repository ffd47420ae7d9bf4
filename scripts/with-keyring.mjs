#!/usr/bin/env node
/**
 * Runs a command with a keychain that nothing else can see.
 *
 *   node scripts/with-keyring.mjs <command> [args...]
 *
 * On Linux: inside a private D-Bus session (dbus-run-session) with a fresh
 * gnome-keyring, unlocked with a throwaway password, whose files live in a
 * new temporary folder (XDG_DATA_HOME, XDG_RUNTIME_DIR) removed afterwards,
 * so keytar talks to a real Secret Service and a keyring left on the machine
 * (maybe locked with another password) is never touched. Needs the Debian
 * packages `dbus` and `gnome-keyring`.
 *
 * On macOS and Windows the command runs as it is, against the OS's own
 * keychain (Keychain, Credential Manager): the tests that use it take a
 * service name unique to the run and delete every item they made.
 *
 * The command's exit code is this script's. Plain Node, no shell: it runs
 * where bash does not exist.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { findExecutable } from './find-executable.mjs';

const SELF = fileURLToPath(import.meta.url);

/** What each program is, and the Debian package that has it. */
const LINUX_PROGRAMS = [
  ['dbus-run-session', 'dbus'],
  ['dbus-send', 'dbus'],
  ['gnome-keyring-daemon', 'gnome-keyring'],
];

/**
 * Two kinds of the private bus's stderr lines are noise: as root without
 * CAP_SYS_RESOURCE it cannot raise its fd limit, and it reports each service
 * it starts on demand (Chromium asks for org.a11y.Bus). Its other lines and
 * all of the command's stderr pass through.
 */
export const BUS_NOISE = /^dbus-daemon\[\d+\]: \[session [^\]]*\] (org\.freedesktop\.DBus\.Error\.AccessDenied: Failed to set fd limit|Activating service name=|Successfully activated service )/;

/** The Linux programs that are missing, each with its install advice; empty when all are there. */
export function missingKeyringPrograms(env = process.env) {
  return LINUX_PROGRAMS.filter(([program]) => findExecutable(program, env) === undefined).map(
    ([program, pkg]) => `with-keyring: '${program}' is missing. Install it with: apt-get install ${pkg}`,
  );
}

/** Runs a program with inherited stdin/stdout; resolves to its exit code. stderr goes through `onStderrLine` when given. */
function run(program, args, { env, onStderrLine } = {}) {
  return new Promise((resolve) => {
    const child = spawn(program, args, { env, stdio: ['inherit', 'inherit', onStderrLine ? 'pipe' : 'inherit'] });
    if (onStderrLine) createInterface({ input: child.stderr, crlfDelay: Infinity }).on('line', onStderrLine);
    const forward = (signal) => {
      if (child.exitCode === null) child.kill(signal);
    };
    process.on('SIGINT', forward);
    process.on('SIGTERM', forward);
    child.on('error', (error) => {
      console.error(`with-keyring: could not run ${program}: ${error.message}`);
      resolve(127);
    });
    child.on('close', (code, signal) => resolve(code ?? (signal ? 1 : 0)));
  });
}

/** Outside the bus: a fresh folder, a clean environment, then this script again inside dbus-run-session. */
async function outer(command) {
  const missing = missingKeyringPrograms();
  if (missing.length > 0) {
    for (const line of missing) console.error(line);
    return 1;
  }
  const folder = mkdtempSync(path.join(tmpdir(), 'with-keyring.'));
  try {
    mkdirSync(path.join(folder, 'data'), { mode: 0o700 });
    mkdirSync(path.join(folder, 'runtime'), { mode: 0o700 });
    const env = { ...process.env, XDG_DATA_HOME: path.join(folder, 'data'), XDG_RUNTIME_DIR: path.join(folder, 'runtime') };
    // Nothing from an outer desktop session may leak in: the command reaches only the private bus and keyring.
    for (const name of ['DBUS_SESSION_BUS_ADDRESS', 'GNOME_KEYRING_CONTROL', 'GNOME_KEYRING_PID', 'SSH_AUTH_SOCK']) delete env[name];
    // Tells the inner stage it runs on the private bus of this folder (it refuses to run otherwise).
    env.WITH_KEYRING_FOLDER = folder;
    const dbusRunSession = findExecutable('dbus-run-session', env);
    return await run(dbusRunSession, ['--', process.execPath, SELF, '--inside-session', ...command], {
      env,
      onStderrLine: (line) => {
        if (!BUS_NOISE.test(line)) process.stderr.write(`${line}\n`);
      },
    });
  } finally {
    // The daemon leaves when its bus goes away; a late write must not fail the run.
    rmSync(folder, { recursive: true, force: true, maxRetries: 3, retryDelay: 200 });
  }
}

/** Starts gnome-keyring-daemon, unlocking (and so creating) the login keyring; resolves to the variables it prints. */
function startKeyringDaemon(env) {
  return new Promise((resolve, reject) => {
    const daemon = spawn(findExecutable('gnome-keyring-daemon', env), ['--unlock', '--components=secrets'], { env, stdio: ['pipe', 'pipe', 'inherit'] });
    let output = '';
    daemon.stdout.setEncoding('utf8');
    daemon.stdout.on('data', (chunk) => (output += chunk));
    // It forks: its child may keep the pipe open, so settle on the parent's exit, after its output has been read.
    daemon.on('error', reject);
    daemon.on('exit', (code) => {
      setImmediate(() => {
        daemon.stdout.destroy();
        if (code !== 0) reject(new Error(`gnome-keyring-daemon --unlock exited with code ${code}`));
        else resolve(Object.fromEntries(output.split('\n').flatMap((line) => {
          const match = /^([A-Z_][A-Z0-9_]*)=(.*)$/.exec(line);
          return match ? [[match[1], match[2]]] : [];
        })));
      });
    });
    daemon.stdin.end(`with-keyring-${randomBytes(16).toString('hex')}`);
  });
}

/** Whether the Secret Service name has an owner on the session bus. */
function secretServiceUp(env) {
  return new Promise((resolve) => {
    const query = spawn(
      findExecutable('dbus-send', env),
      ['--session', '--print-reply', '--dest=org.freedesktop.DBus', '/org/freedesktop/DBus', 'org.freedesktop.DBus.NameHasOwner', 'string:org.freedesktop.secrets'],
      { env, stdio: ['ignore', 'pipe', 'ignore'] },
    );
    let output = '';
    query.stdout.setEncoding('utf8');
    query.stdout.on('data', (chunk) => (output += chunk));
    query.on('error', () => resolve(false));
    query.on('close', () => resolve(/boolean true/.test(output)));
  });
}

/** Inside the private bus: the daemon, then the command once the Secret Service is on the bus (at most 5 s). */
async function inside(command) {
  const env = { ...process.env };
  // Only on the private bus outer() made: run by hand, the daemon would create or unlock the user's own keyring.
  const folder = env.WITH_KEYRING_FOLDER;
  if (!folder || !env.DBUS_SESSION_BUS_ADDRESS || env.XDG_DATA_HOME !== path.join(folder, 'data')) {
    console.error('with-keyring: --inside-session is internal; run: node scripts/with-keyring.mjs <command> [args...]');
    return 2;
  }
  delete env.WITH_KEYRING_FOLDER;
  try {
    Object.assign(env, await startKeyringDaemon(env));
  } catch (error) {
    console.error(`with-keyring: ${error instanceof Error ? error.message : String(error)}`);
    return 1;
  }
  const deadline = Date.now() + 5000;
  while (!(await secretServiceUp(env))) {
    if (Date.now() > deadline) {
      console.error('with-keyring: the Secret Service (org.freedesktop.secrets) did not appear on the private D-Bus session');
      return 1;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const [program, ...args] = command;
  return run(findExecutable(program, env) ?? program, args, { env });
}

/** Runs `command` with a private keychain (Linux) or the OS's own (elsewhere); resolves to its exit code. */
export async function withKeyring(command) {
  if (process.platform !== 'linux') {
    const [program, ...args] = command;
    return run(program, args, { env: process.env });
  }
  return outer(command);
}

if (process.argv[1] && pathToFileURL(path.resolve(process.argv[1])).href === import.meta.url) {
  const args = process.argv.slice(2);
  if (args[0] === '--inside-session') {
    process.exit(await inside(args.slice(1)));
  }
  if (args.length === 0) {
    console.error('usage: node scripts/with-keyring.mjs <command> [args...]');
    process.exit(2);
  }
  process.exit(await withKeyring(args));
}
