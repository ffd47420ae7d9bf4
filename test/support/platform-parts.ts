/**
 * Parts of the test suite that exist only on some OSes, and the OS keychain
 * the tests use elsewhere.
 *
 * On Linux every part is required: a missing one fails loudly (never a
 * silent skip). On macOS and Windows the tests that need a Linux-only part
 * (glewlwyd, a Debian package; D-Bus and gnome-keyring faults) are skipped
 * with the reason, and the keychain tests use the OS's own keychain under a
 * service name unique to the run, deleting every item they made.
 */
import { randomUUID } from 'node:crypto';

/** `{ skip }` value for node:test: false on Linux, the reason elsewhere. */
export function linuxOnly(part: string): string | false {
  return process.platform === 'linux' ? false : `${part} runs on Linux only (this is ${process.platform}); the GitHub workflow runs it in its Linux jobs`;
}

/** Skip reason for the tests against glewlwyd, the second provider (Debian's package). */
export const GLEWLWYD_ONLY_ON_LINUX = linuxOnly('glewlwyd (Debian package, the second provider implementation)');

/** Skip reason for tests that start, stop or lock a D-Bus Secret Service (gnome-keyring). */
export const DBUS_KEYCHAIN_ONLY_ON_LINUX = linuxOnly('this D-Bus / gnome-keyring scenario');

/** One id per `npm test` run (scripts/test.mjs sets TEST_RUN_ID), so every keychain item of a run shares a prefix. */
export const TEST_RUN_ID = process.env['TEST_RUN_ID'] ?? randomUUID().slice(0, 8);

/** A keychain service name for one test harness, unique to this run and this harness. */
export function testKeychainService(label: string): string {
  return `oidc-desktop-test-${TEST_RUN_ID}.${label}-${randomUUID().slice(0, 8)}`;
}

/**
 * Deletes every item under `service` (keytar's findCredentials), so a run on
 * a developer's own macOS Keychain or Windows Credential Manager leaves
 * nothing behind. Best effort: a keychain that cannot be listed is left as is.
 */
export async function deleteKeychainService(service: string): Promise<void> {
  try {
    const keytar = (await import('keytar')).default;
    for (const { account } of await keytar.findCredentials(service)) await keytar.deletePassword(service, account);
  } catch {
    // Nothing to clean, or the keychain went away with the test's D-Bus session.
  }
}
