/**
 * A fault scenario run in a child process, so that the parent test can give
 * it a fresh HOME / XDG_* / TMPDIR (and take D-Bus away, or lock its keyring)
 * and afterwards scan that folder and the child's output for secrets.
 *
 *   node --import tsx test/support/fault-child.ts <scenario> <report.json>
 *
 * Scenarios:
 * - `no-dbus`: the REAL keytar vault with no D-Bus session (keychain unavailable from the start);
 * - `locked`:  the REAL keytar vault on a private gnome-keyring whose login collection this
 *              script locks through D-Bus (org.freedesktop.Secret.Service.Lock): first mid-session,
 *              then at start. Run it inside scripts/with-keyring.mjs;
 * - `disk`:    the REAL keytar vault on a working keyring, through sign-in, refresh rotation,
 *              sign-out, a rejected sign-in, a network drop and a provider outage.
 *
 * The app's logger writes to stderr here, as the app's does. The child
 * asserts as it goes (a failure exits non-zero with the reason on stderr) and
 * writes what it observed to <report.json>, which the parent keeps outside the
 * scanned folder.
 */
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { createKeytarVault, type SecretVault } from '../../main/auth/index';
import type { FaultReport } from './fault-report';
import { assertSecretEqual } from './secret-assert';
import { beginSignIn, hostileClient, recordingVault, signInFully, waitFor, waitForState, type HostileClient } from './hostile-harness';
import { signJwt, startHostileProvider, tamperPayload, type HostileProvider } from './hostile-provider';

const [scenario, reportPath] = process.argv.slice(2);
if (!scenario || !reportPath) {
  console.error('usage: fault-child.ts <no-dbus|locked|disk> <report.json>');
  process.exit(2);
}

const report: FaultReport = { scenario, observations: {}, nativeErrors: [], states: [], logs: [], secrets: [] };
const clients: HostileClient[] = [];

/** Keeps the native message of every keychain failure (the vault rethrows it as AuthError with a cause). */
function capturingNative(vault: SecretVault): SecretVault {
  const keep = (error: unknown): never => {
    const cause = (error as { cause?: unknown }).cause;
    report.nativeErrors.push(cause instanceof Error ? cause.message : String(error));
    throw error;
  };
  return {
    get: (key) => vault.get(key).catch(keep),
    set: (key, value) => vault.set(key, value).catch(keep),
    delete: (key) => vault.delete(key).catch(keep),
  };
}

function client(provider: HostileProvider, service: string): HostileClient {
  const made = hostileClient(provider, { vault: recordingVault(capturingNative(createKeytarVault(service))) });
  clients.push(made);
  return made;
}

function observe(name: string, value: unknown): void {
  report.observations[name] = value;
}

function lockKeyring(): void {
  execFileSync('dbus-send', [
    '--session',
    '--print-reply',
    '--dest=org.freedesktop.secrets',
    '/org/freedesktop/secrets',
    'org.freedesktop.Secret.Service.Lock',
    'array:objpath:/org/freedesktop/secrets/collection/login',
  ]);
}

async function storedToken(c: HostileClient): Promise<string | undefined> {
  const text = await c.vault.get(`refresh-token:${c.config.issuer}|${c.config.clientId}`).catch(() => null);
  return text === null ? undefined : (JSON.parse(text) as { refreshToken: string }).refreshToken;
}

async function noDbus(provider: HostileProvider): Promise<void> {
  const c = client(provider, `oidc-desktop-fault-${randomUUID()}`);
  await c.auth.restore();
  observe('afterRestore', c.auth.getSession());
  await signInFully(c, provider);
  const warned = await waitForState(c, (s) => s.status === 'signed-in' && s.warning !== undefined, 'the keychain warning');
  observe('signedIn', warned);
  observe('userinfoSub', (await c.auth.getUserInfo()).sub);
  await c.auth.signOut();
  observe('afterSignOut', c.auth.getSession());
}

async function locked(provider: HostileProvider): Promise<void> {
  const service = `oidc-desktop-fault-${randomUUID()}`;
  // 1. Mid-session: signed in with a working keychain, then the keyring is locked; the rotation write fails.
  provider.script = { tokenResponse: (body) => ({ ...body, expires_in: 1 }) };
  const first = client(provider, service);
  await signInFully(first, provider);
  await waitFor(async () => (await storedToken(first)) !== undefined, 'the refresh token in the keychain');
  observe('storedBeforeLock', true);
  lockKeyring();
  const warned = await waitForState(first, (s) => s.status === 'signed-in' && s.warning !== undefined, 'the keychain warning after the rotation write failed', 5000);
  observe('midSession', warned);
  observe('midSessionUserinfoSub', (await first.auth.getUserInfo()).sub);
  first.auth.dispose();
  // 2. At start, keyring locked: restore, then a sign-in that cannot be kept.
  provider.script = {};
  const second = client(provider, service);
  await second.auth.restore();
  observe('restoreWhileLocked', second.auth.getSession());
  observe('restoreVaultCalls', second.vault.calls.map((call) => `${call.op}:${call.ok}`));
  await signInFully(second, provider);
  observe('signedInWhileLocked', await waitForState(second, (s) => s.status === 'signed-in' && s.warning !== undefined, 'the keychain warning'));
  observe('lockedUserinfoSub', (await second.auth.getUserInfo()).sub);
  second.auth.dispose();
}

async function disk(provider: HostileProvider): Promise<void> {
  const service = `oidc-desktop-fault-${randomUUID()}`;
  // A sign-in, a refresh rotation (access tokens of 1 s), a sign-out.
  provider.script = { tokenResponse: (body) => ({ ...body, expires_in: 1 }) };
  const a = client(provider, service);
  await signInFully(a, provider);
  await waitFor(async () => (await storedToken(a)) !== undefined, 'the first refresh token in the keychain');
  const firstStored = await storedToken(a);
  await waitFor(async () => { const now = await storedToken(a); return now !== undefined && now !== firstStored; }, 'the rotated refresh token in the keychain', 5000);
  observe('rotated', true);
  await a.auth.signOut();
  observe('afterSignOut', a.auth.getSession());
  assertSecretEqual(await storedToken(a), undefined, 'signed out: no refresh token in the keychain');
  provider.reset();

  // A rejected sign-in: an ID token whose payload was altered.
  provider.script = { signIdToken: async (claims, keys) => tamperPayload(await signJwt(claims, keys.primary.privateKey, 'RS256', keys.primary.kid), (c) => ({ ...c, sub: 'mallory' })) };
  const { authorization: forged } = await beginSignIn(a, provider);
  await a.auth.handleRedirect(forged.callback);
  observe('rejected', a.auth.getSession().status);

  // A network drop during the token exchange.
  provider.script = { token: (request) => void request.socket.destroy() };
  const { authorization: dropped } = await beginSignIn(a, provider);
  await a.auth.handleRedirect(dropped.callback);
  observe('dropped', a.auth.getSession().status);
  provider.reset();

  // The provider down at start-up with a stored session, then back.
  await signInFully(a, provider);
  await waitFor(async () => (await storedToken(a)) !== undefined, 'a refresh token in the keychain');
  a.auth.dispose();
  provider.setDown(true);
  const b = client(provider, service);
  await b.auth.restore();
  observe('restoreWhileDown', b.auth.getSession());
  provider.setDown(false);
  observe('restoredLater', await waitForState(b, (s) => s.status === 'signed-in', 'the restore retry', 8000));
  await b.auth.signOut();
  observe('finalStored', await storedToken(b));
}

const provider = await startHostileProvider();
let status = 0;
try {
  const run = { 'no-dbus': noDbus, locked, disk }[scenario];
  if (!run) throw new Error(`unknown scenario ${scenario}`);
  await run(provider);
} catch (error) {
  status = 1;
  console.error(`fault-child ${scenario} failed:`, error);
} finally {
  for (const c of clients) {
    report.states.push(...c.states);
    report.logs.push(...c.logs);
    c.auth.dispose();
  }
  // The app logs to the console: so does this child, for the parent to scan.
  for (const line of report.logs) console.error(`[auth] ${line}`);
  report.secrets = provider.secrets();
  writeFileSync(reportPath, JSON.stringify(report));
  await provider.close();
}
process.exit(status);
