/**
 * Electron's sandbox on Linux, for `npm start` and `npm run e2e`.
 *
 * Chromium sandboxes its renderers with unprivileged user namespaces, or,
 * where those are restricted, with the setuid helper `chrome-sandbox` next
 * to the executable (owner root, mode 4755). Ubuntu 23.10 and later restrict
 * unprivileged user namespaces through AppArmor
 * (kernel.apparmor_restrict_unprivileged_userns=1), and npm unpacks
 * chrome-sandbox as the user, so a development run aborts at launch
 * (electron/electron#42510), as does an AppImage. The .deb is not affected:
 * it installs chrome-sandbox setuid root (and an AppArmor profile).
 *
 * We never turn the sandbox off (`--no-sandbox`): we say how to fix it.
 */
import path from 'node:path';

/** Lines Chromium prints when it cannot set up its sandbox. */
const SANDBOX_FAILURE = /The SUID sandbox helper binary was found, but is not configured correctly|No usable sandbox!|Failed to move to new namespace|setuid sandbox/i;

/** True when Electron's stderr says it aborted for want of a sandbox. */
export function isSandboxFailure(stderrText) {
  return SANDBOX_FAILURE.test(stderrText);
}

/**
 * Whether unprivileged user namespaces are unavailable on this kernel, read
 * from the sysctls that restrict them. `readSysctl` returns the file's text,
 * or undefined when it does not exist.
 *
 * @param {(file: string) => string | undefined} readSysctl
 * @returns {string | undefined} the sysctl that restricts them, e.g. "kernel.apparmor_restrict_unprivileged_userns = 1"
 */
export function userNamespaceRestriction(readSysctl) {
  const checks = [
    ['/proc/sys/kernel/apparmor_restrict_unprivileged_userns', '1', 'kernel.apparmor_restrict_unprivileged_userns = 1'],
    ['/proc/sys/kernel/unprivileged_userns_clone', '0', 'kernel.unprivileged_userns_clone = 0'],
    ['/proc/sys/user/max_user_namespaces', '0', 'user.max_user_namespaces = 0'],
  ];
  for (const [file, value, label] of checks) {
    if (readSysctl(file)?.trim() === value) return label;
  }
  return undefined;
}

/**
 * Whether chrome-sandbox can serve as the setuid helper: owned by root with
 * the setuid bit and mode 4755.
 *
 * @param {{ uid: number, mode: number } | undefined} stats from fs.statSync, or undefined when the file is missing
 */
export function isSetuidHelper(stats) {
  return stats !== undefined && stats.uid === 0 && (stats.mode & 0o7777) === 0o4755;
}

/**
 * The fix for a sandbox that cannot start, for this Electron executable.
 * Exact commands: chown/chmod on chrome-sandbox, or an AppArmor profile that
 * allows user namespaces for this executable.
 */
export function sandboxFixMessage({ electronPath, restriction, productName = 'the app' }) {
  const helper = path.posix.join(path.posix.dirname(electronPath), 'chrome-sandbox');
  const profileName = 'electron-development';
  return [
    `Electron could not start its sandbox${restriction ? ` (${restriction}: unprivileged user namespaces are restricted, as on Ubuntu 23.10 and later)` : ''}.`,
    `Chromium then needs its setuid helper, ${helper}, owned by root with mode 4755. Fix it once (npm ci unpacks it again as you):`,
    '',
    `  sudo chown root:root '${helper}'`,
    `  sudo chmod 4755 '${helper}'`,
    '',
    'or allow user namespaces for this Electron through an AppArmor profile:',
    '',
    `  printf 'abi <abi/4.0>,\\ninclude <tunables/global>\\nprofile ${profileName} "%s" flags=(unconfined) {\\n  userns,\\n}\\n' '${electronPath}' | sudo tee /etc/apparmor.d/${profileName}`,
    `  sudo apparmor_parser -r /etc/apparmor.d/${profileName}`,
    '',
    `Do not run ${productName} with --no-sandbox: it turns off the protection of every page it shows.`,
    'The .deb package is not affected (it installs chrome-sandbox setuid root); the AppImage is, and the same chown/chmod applies to a copy of it extracted with --appimage-extract.',
  ].join('\n');
}

/**
 * Before launching: the message to print when the sandbox is sure to fail
 * (restricted user namespaces and no usable setuid helper), else undefined.
 *
 * @param {{ platform: NodeJS.Platform, electronPath: string, readSysctl: (file: string) => string | undefined,
 *           statHelper: (file: string) => { uid: number, mode: number } | undefined, argv?: readonly string[] }} input
 */
export function sandboxPreflight(input) {
  if (input.platform !== 'linux') return undefined;
  // The user's own explicit choice; we never add it.
  if ((input.argv ?? []).includes('--no-sandbox')) return undefined;
  const restriction = userNamespaceRestriction(input.readSysctl);
  if (restriction === undefined) return undefined;
  const helper = path.posix.join(path.posix.dirname(input.electronPath), 'chrome-sandbox');
  if (isSetuidHelper(input.statHelper(helper))) return undefined;
  return sandboxFixMessage({ electronPath: input.electronPath, restriction });
}
