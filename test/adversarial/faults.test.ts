/**
 * Faults around the sign-in core: the keychain unavailable, locked or failing
 * mid-session; the provider down at start-up; the network dropping during the
 * token exchange; a keychain that answers late. And, for every scenario run
 * in a child process, a scan of its fresh HOME / XDG_* / TMPDIR and its
 * output for every token, code and verifier it saw.
 *
 * The keychain scenarios use the REAL keytar vault: without D-Bus (a child
 * with DBUS_SESSION_BUS_ADDRESS and DISPLAY unset), and on a private
 * gnome-keyring whose login collection is locked through D-Bus
 * (org.freedesktop.Secret.Service.Lock via dbus-send, inside a nested
 * scripts/with-keyring.mjs so the suite's own keyring is never locked).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { AuthError, createKeytarVault, type SecretVault, type SessionState } from '../../main/auth/index';
import { vaultKey } from '../../main/auth/pending-flow';
import {
  assertNothingLeaked,
  assertUserMessage,
  beginSignIn,
  errorOf,
  expectRejectedSignIn,
  hostileClient,
  leaksIn,
  recordingVault,
  signInFully,
  waitFor,
  waitForState,
} from '../support/hostile-harness';
import type { FaultReport } from '../support/fault-report';
import { startHostileProvider, type HostileProvider } from '../support/hostile-provider';
import { assertNoLeaks, assertSecretEqual, redactSecrets } from '../support/secret-assert';
import { DBUS_KEYCHAIN_ONLY_ON_LINUX } from '../support/platform-parts';

const REPO = fileURLToPath(new URL('../../', import.meta.url));
const CHILD = fileURLToPath(new URL('../support/fault-child.ts', import.meta.url));

interface ChildRun {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly report: FaultReport;
  /** Every file left in the child's HOME / XDG_* / TMPDIR, relative. */
  readonly files: string[];
  /** Secrets found in those files, as `file: secret`. */
  readonly secretsOnDisk: string[];
}

/**
 * Runs a fault-child scenario with HOME, XDG_* and TMPDIR in a fresh folder,
 * then scans every file in that folder, and the child's output, for every
 * secret the child's provider issued or received.
 */
async function runChild(scenario: 'no-dbus' | 'locked' | 'disk', options: { withoutDbus?: boolean; nestedKeyring?: boolean } = {}): Promise<ChildRun> {
  const home = mkdtempSync(join(tmpdir(), `adversarial-${scenario}-home-`));
  const outside = mkdtempSync(join(tmpdir(), `adversarial-${scenario}-report-`));
  const reportPath = join(outside, 'report.json');
  try {
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      HOME: home,
      TMPDIR: home,
      XDG_CONFIG_HOME: join(home, '.config'),
      XDG_CACHE_HOME: join(home, '.cache'),
      XDG_DATA_HOME: join(home, '.local/share'),
      XDG_STATE_HOME: join(home, '.local/state'),
    };
    if (options.withoutDbus) {
      delete env['DBUS_SESSION_BUS_ADDRESS'];
      delete env['DISPLAY'];
      delete env['WAYLAND_DISPLAY'];
      env['XDG_RUNTIME_DIR'] = home; // no bus socket there either
    }
    const node = [process.execPath, '--import', 'tsx', CHILD, scenario, reportPath];
    const [command, ...args] = options.nestedKeyring ? [process.execPath, join(REPO, 'scripts/with-keyring.mjs'), ...node] : node;
    const child = spawn(command as string, args, { cwd: REPO, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    const status = await new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
    let report: FaultReport;
    try {
      report = JSON.parse(readFileSync(reportPath, 'utf8')) as FaultReport;
    } catch (error) {
      // No report, so no list of its secrets: print only the child's own failure line, not its logs.
      const reason = stderr.split('\n').find((line) => line.startsWith(`fault-child ${scenario} failed:`)) ?? '(no failure line)';
      throw new Error(`the ${scenario} child wrote no report (exit ${status}): ${reason}`, { cause: error });
    }
    const files = listFiles(home);
    const secretsOnDisk: string[] = [];
    for (const file of files) {
      const content = readFileSync(join(home, file)).toString('latin1');
      for (const secret of leaksIn(content, report.secrets)) secretsOnDisk.push(`${file}: ${secret}`);
    }
    return { status, stdout, stderr, report, files, secretsOnDisk };
  } finally {
    rmSync(home, { recursive: true, force: true });
    rmSync(outside, { recursive: true, force: true });
  }
}

function listFiles(root: string, dir = root): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    const info = statSync(path, { throwIfNoEntry: false });
    if (!info) continue;
    if (info.isDirectory()) out.push(...listFiles(root, path));
    else if (info.isFile()) out.push(relative(root, path));
  }
  return out;
}

/** The child ran to the end, and nothing secret is on its disk or in its output. */
function assertCleanRun(run: ChildRun): void {
  // The child's output is printed only with every secret it saw replaced by a fingerprint.
  assert.equal(run.status, 0, `the ${run.report.scenario} child failed:\n${redactSecrets(run.stderr, run.report.secrets)}`);
  assert.ok(run.report.secrets.length >= 4, 'the child saw codes, tokens and verifiers');
  assert.ok(run.report.secrets.some((s) => /^[A-Za-z0-9_-]{43,128}$/.test(s)), 'a code_verifier is among the secrets looked for');
  assert.deepEqual(run.secretsOnDisk.map((found) => redactSecrets(found, run.report.secrets)), [], 'no token, code or verifier in any file under HOME / XDG_* / TMPDIR');
  assertNoLeaks(leaksIn(run.stdout + run.stderr, run.report.secrets), 'no token, code or verifier in the output (logs)');
  assertNoLeaks(leaksIn(JSON.stringify(run.report.states), run.report.secrets), 'no secret in the emitted states');
}

const KEYCHAIN_WARNING = { code: 'keychain_unavailable' };

describe('faults: the keychain (real keytar)', { skip: DBUS_KEYCHAIN_ONLY_ON_LINUX }, () => {
  it('keychain unavailable at start (no D-Bus): restore says so, the session works in memory with a warning, nothing written to a file', async () => {
    const run = await runChild('no-dbus', { withoutDbus: true });
    assertCleanRun(run);
    const o = run.report.observations;
    assert.ok(run.report.nativeErrors.some((m) => /Cannot autolaunch D-Bus/.test(m)), `the real "unavailable" error: ${JSON.stringify(run.report.nativeErrors)}`);
    const restored = o['afterRestore'] as SessionState;
    assert.equal(restored.status, 'signed-out');
    assert.equal(errorOf(restored)?.code, 'keychain_unavailable', 'restore tells the user the keychain is unavailable');
    assertUserMessage(errorOf(restored)?.message, 'restore');
    const signedIn = o['signedIn'] as SessionState;
    assert.equal(signedIn.status, 'signed-in');
    assert.ok(signedIn.status === 'signed-in' && signedIn.warning);
    assert.deepEqual(signedIn.status === 'signed-in' && { code: signedIn.warning?.code }, KEYCHAIN_WARNING);
    assertUserMessage(signedIn.status === 'signed-in' ? signedIn.warning?.message : undefined, 'warning');
    assert.equal(o['userinfoSub'], 'hostile-user-1', 'the session works in memory');
    assertNoTokenStoreFiles(run);
  });

  it('keychain locked (gnome-keyring collection locked over D-Bus): mid-session the rotation write fails and the session goes on with a warning; at start the sign-in works in memory with a warning', async () => {
    const run = await runChild('locked', { nestedKeyring: true });
    assertCleanRun(run);
    const o = run.report.observations;
    assert.ok(run.report.nativeErrors.some((m) => /Cannot create an item in a locked collection/.test(m)), `the real "locked" error: ${JSON.stringify(run.report.nativeErrors)}`);
    const mid = o['midSession'] as SessionState;
    assert.equal(mid.status, 'signed-in');
    assert.equal(mid.status === 'signed-in' && mid.warning?.code, 'keychain_unavailable');
    assert.match(mid.status === 'signed-in' ? (mid.warning?.message ?? '') : '', /keychain|keyring/i);
    assert.equal(o['midSessionUserinfoSub'], 'hostile-user-1', 'the session continues');
    // libsecret answers a lookup in a locked collection with "nothing found" once its unlock prompt
    // fails (no display): restore cannot tell locked from empty, and must not write or delete anything.
    const restored = o['restoreWhileLocked'] as SessionState;
    assert.equal(restored.status, 'signed-out');
    assert.deepEqual(o['restoreVaultCalls'], ['get:true'], 'restore only read the keychain');
    const signedIn = o['signedInWhileLocked'] as SessionState;
    assert.equal(signedIn.status === 'signed-in' && signedIn.warning?.code, 'keychain_unavailable');
    assert.match(signedIn.status === 'signed-in' ? (signedIn.warning?.message ?? '') : '', /keychain/i);
    assert.equal(o['lockedUserinfoSub'], 'hostile-user-1');
  });

  it('keychain failing mid-session (vault wrapper: set fails after sign-in, with the native locked error): the session continues with the warning', async () => {
    const provider = await startHostileProvider();
    const store = new Map<string, string>();
    let failWrites = false;
    // The real keytar vault code, over a fake native module that starts failing like a locked keyring.
    const keytar = createKeytarVault('oidc-desktop-fault-mid-session', {
      loadKeytar: async () => ({
        async getPassword(service: string, account: string) {
          return store.get(`${service}/${account}`) ?? null;
        },
        async setPassword(service: string, account: string, password: string) {
          if (failWrites) throw new Error('Cannot create an item in a locked collection');
          store.set(`${service}/${account}`, password);
        },
        async deletePassword(service: string, account: string) {
          return store.delete(`${service}/${account}`);
        },
      }),
    });
    const vault = recordingVault(keytar);
    const client = hostileClient(provider, { vault });
    try {
      provider.script = { tokenResponse: (body) => ({ ...body, expires_in: 1 }) };
      await signInFully(client, provider);
      const key = vaultKey('refresh-token', client.config);
      await waitFor(async () => (await vault.get(key)) !== null, 'the first refresh token in the vault');
      const firstStored = await vault.get(key);
      const signedIn = client.auth.getSession();
      assert.ok(signedIn.status === 'signed-in' && signedIn.warning === undefined, 'no warning while the keychain works');
      failWrites = true;
      const warned = await waitForState(client, (s) => s.status === 'signed-in' && s.warning !== undefined, 'the keychain warning after the rotation write failed');
      assert.ok(warned.status === 'signed-in');
      assert.equal(warned.warning?.code, 'keychain_unavailable');
      assertUserMessage(warned.warning?.message, 'warning');
      assert.ok(vault.calls.some((c) => c.op === 'set' && c.key === key && !c.ok), 'the rotation write was attempted and failed');
      assertSecretEqual(await vault.get(key), firstStored, 'the keychain keeps what it had');
      // The session goes on: the API works, and later refreshes keep the warning.
      assert.equal((await client.auth.getUserInfo()).sub, provider.subject);
      // The assertion is about the session the next refresh makes: wait for that state (a later expiry), not for its request.
      const current = client.auth.getSession();
      const currentExpiry = current.status === 'signed-in' ? current.expiresAt : 0;
      const later = await waitForState(client, (s) => s.status === 'signed-in' && s.expiresAt > currentExpiry, 'the session of the next refresh', 5000);
      assert.ok(later.status === 'signed-in' && later.warning?.code === 'keychain_unavailable', 'the warning stays until a write succeeds');
      await assertNothingLeaked(client, provider.secrets(), { vault: [] });
    } finally {
      client.auth.dispose();
      await provider.close();
    }
  });
});

describe('faults: provider and network', () => {
  let provider: HostileProvider;
  before(async () => {
    provider = await startHostileProvider();
  });
  after(async () => {
    await provider.close();
  });

  it('provider down at start-up with a stored refresh token: restore keeps the token, says it will retry, and succeeds once the provider is back', async () => {
    provider.reset();
    const vault = recordingVault();
    const first = hostileClient(provider, { vault });
    await signInFully(first, provider);
    const key = vaultKey('refresh-token', first.config);
    await waitFor(async () => (await vault.get(key)) !== null, 'the refresh token in the vault');
    const stored = await vault.get(key);
    first.auth.dispose();

    provider.setDown(true);
    const restarted = hostileClient(provider, { vault, httpTimeoutMs: 1500 });
    try {
      provider.resetRequests();
      await restarted.auth.restore();
      const down = restarted.auth.getSession();
      // Issue 9: at start-up the user sees "offline, will retry", not "signed out".
      assert.equal(down.status, 'restoring', JSON.stringify(down));
      const error = down.status === 'restoring' ? down.retry : undefined;
      assert.ok(error, 'the user is told');
      assert.ok(new AuthError(error.code, error.message).retryable, `a retryable error (${error.code})`);
      assertUserMessage(error.message, error.code);
      assert.match(error.message, /could not be reached/i);
      assertSecretEqual(await vault.get(key), stored, 'the stored refresh token is kept');
      assert.equal(vault.calls.filter((c) => c.op === 'delete' && c.key === key).length, 0, 'never deleted');
      assert.equal(restarted.opened.length, 0, 'no browser');

      provider.setDown(false);
      const back = await waitForState(restarted, (s) => s.status === 'signed-in', 'the retry to restore the session', 8000);
      assert.equal(back.status === 'signed-in' && back.user.sub, provider.subject);
      assert.equal(provider.count('/token'), 1, 'one refresh request once the provider is back');
      await waitFor(async () => (await vault.get(key)) !== stored, 'the rotated refresh token in the vault');
      await restarted.auth.signOut();
    } finally {
      provider.setDown(false);
      restarted.auth.dispose();
    }
  });

  it('network drop during the token exchange: a retryable error, and the code is never redeemed twice', async () => {
    await expectRejectedSignIn(provider, {
      script: { token: (request) => void request.socket.destroy() },
      code: 'token_request_failed',
      message: /try again/i,
      afterRejection: async (p, client, callback) => {
        const error = errorOf(client.auth.getSession());
        assert.ok(error && new AuthError(error.code, error.message).retryable, 'retryable');
        assert.equal(await client.auth.handleRedirect(callback), true);
        assert.equal(p.count('/token'), 1, 'the same callback again sends no second token request');
        assert.equal(errorOf(client.auth.getSession())?.code, 'no_pending_flow');
        // The error the user saw was replaced by "no sign-in pending"; the next sign-in is fresh.
      },
    });
  });

  it('slow keychain: a pending-flow write that lands after the callback was handled does not resurrect the flow (no second redemption)', async () => {
    provider.reset();
    const vault = recordingVault();
    const client = hostileClient(provider, { vault });
    slowPendingFlowWrites(vault);
    try {
      await client.auth.ready();
      // A provider hiccup (HTTP 503) fails the exchange; the code is spent either way.
      provider.script = { token: (_request, response) => void response.writeHead(503).end() };
      const { authorization } = await beginSignIn(client, provider);
      assert.equal(await client.auth.handleRedirect(authorization.callback), true);
      assert.equal(errorOf(client.auth.getSession())?.code, 'token_request_failed');
      // The late write is what this test is about: wait until it has landed.
      await vault.completed('set', isPendingFlow, 'the slow pending-flow write to land');
      provider.script = {};
      assert.equal(await client.auth.handleRedirect(authorization.callback), true);
      assert.equal(provider.count('/token'), 1, 'the code is redeemed once, however late the keychain answers');
      assert.deepEqual([...(await vault.contents()).keys()], [], 'no pending flow left in the keychain');
    } finally {
      client.auth.dispose();
    }
  });

  it('slow keychain: a replayed callback after a successful sign-in leaves the session untouched', async () => {
    provider.reset();
    const vault = recordingVault();
    const client = hostileClient(provider, { vault });
    slowPendingFlowWrites(vault);
    try {
      const authorization = await signInFully(client, provider);
      // The late write is what this test is about: wait until it has landed.
      await vault.completed('set', isPendingFlow, 'the slow pending-flow write to land');
      const signedIn = client.auth.getSession();
      const emitted = client.states.length;
      provider.resetRequests();
      assert.equal(await client.auth.handleRedirect(authorization.callback), true);
      assert.equal(client.auth.getSession(), signedIn, `the session is untouched (state is ${JSON.stringify(client.auth.getSession())})`);
      assert.equal(client.states.length, emitted, 'no state emitted');
      assert.equal(provider.count('/token'), 0, 'the code is not redeemed again');
      await client.auth.signOut();
    } finally {
      client.auth.dispose();
    }
  });
});

describe('faults: nothing secret on disk', { skip: DBUS_KEYCHAIN_ONLY_ON_LINUX }, () => {
  it('sign-in, rotation, sign-out, a rejected sign-in, a network drop and a provider outage with the real keychain: no token, code or verifier in any file of a fresh HOME / XDG_* / TMPDIR, nor in the logs', async () => {
    assert.ok(
      process.env['DBUS_SESSION_BUS_ADDRESS'],
      'This scenario needs the real keychain: run it through scripts/with-keyring.mjs (npm test does), e.g. `node scripts/with-keyring.mjs node --import tsx --test test/adversarial/faults.test.ts`.',
    );
    const run = await runChild('disk');
    assertCleanRun(run);
    const o = run.report.observations;
    assert.equal(o['rotated'], true);
    // (The error codes of these two are asserted by their own tests.)
    assert.equal(o['rejected'], 'error');
    assert.equal(o['dropped'], 'error');
    assert.equal((o['restoreWhileDown'] as SessionState).status, 'restoring', 'offline at start-up: the session is kept and retried, not signed out');
    assert.equal((o['restoredLater'] as SessionState).status, 'signed-in');
    assert.equal(o['finalStored'], undefined, 'signed out: the keychain entry is gone');
    assertNoTokenStoreFiles(run);
  });
});

/** No file the child left (the tsx compile cache, nothing of ours) even looks like a token store. */
function assertNoTokenStoreFiles(run: ChildRun): void {
  assert.ok(run.files.every((file) => !/token|session|secret|vault/i.test(file)), `no file that looks like a token store: ${run.files.join(', ')}`);
}

const isPendingFlow = (key: string): boolean => key.startsWith('pending-flow:');

/** The keychain takes 150 ms to store the pending flow (an unlock prompt, a busy Secret Service). */
function slowPendingFlowWrites(vault: SecretVault): void {
  const set = vault.set.bind(vault);
  vault.set = async (key, value) => {
    if (key.startsWith('pending-flow:')) await new Promise((resolve) => setTimeout(resolve, 150));
    return set(key, value);
  };
}
