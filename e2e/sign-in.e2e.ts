/**
 * End-to-end: the built app (dist/) in Electron, signing in against the
 * development provider, with Chromium as the system browser.
 *
 * Run through `npm run e2e` (scripts/e2e.mjs), which builds, finds the
 * Electron binary (E2E_ELECTRON_PATH), and on Linux adds xvfb-run and a
 * private keyring. The redirect reaches the app the way Linux and Windows
 * deliver it: a second instance started with the URL in its argv
 * (`electron . <callbackUrl>`), which hands it to the first through
 * `second-instance` and quits.
 *
 * The provider runs in this process (not inside the app) so its keys and
 * grants survive the app's restart; the app reaches it through
 * OIDC_ISSUER / OIDC_CLIENT_ID, exactly as a configured provider.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { _electron as electron, type ElectronApplication, type Page } from 'playwright';
import { startDevProvider, type DevProvider } from '../main/dev-provider/dev-provider';
import { launchSystemBrowser, type SystemBrowser } from '../test/support/system-browser';
import { APP_IDENTITY } from '../main/app-identity';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const electronPath = process.env['E2E_ELECTRON_PATH'];
const SCREEN_TIMEOUT_MS = 30_000;

describe('the app, end to end (Electron)', { timeout: 180_000 }, () => {
  let provider: DevProvider;
  let systemBrowser: SystemBrowser;
  let userDataDir: string;
  let configHome: string;
  let app: ElectronApplication | undefined;
  const appOutput: string[] = [];
  const secrets: string[] = [];

  /** Arguments every instance gets: the app folder and its own profile (the single-instance lock lives there). */
  const baseArgs = (): string[] => [
    '.',
    `--user-data-dir=${userDataDir}`,
    // Chromium refuses to run as root with its sandbox (CI containers); the renderer stays sandbox: true.
    ...(process.platform === 'linux' && process.getuid?.() === 0 ? ['--no-sandbox'] : []),
  ];

  const appEnv = (): Record<string, string> => {
    const env: Record<string, string> = {};
    for (const [name, value] of Object.entries(process.env)) if (value !== undefined && !name.startsWith('OIDC_')) env[name] = value;
    return {
      ...env,
      OIDC_ISSUER: provider.issuer,
      OIDC_CLIENT_ID: provider.clientId,
      OIDC_REDIRECT_URI: APP_IDENTITY.defaultRedirectUri,
      // Linux: app.getPath('appData') follows it, so nothing lands in the developer's ~/.config.
      XDG_CONFIG_HOME: configHome,
      ELECTRON_ENABLE_LOGGING: '1',
    };
  };

  async function launch(): Promise<{ app: ElectronApplication; window: Page }> {
    if (!electronPath) throw new Error('E2E_ELECTRON_PATH is not set: run these tests through `npm run e2e`.');
    const launched = await electron.launch({ executablePath: electronPath, args: baseArgs(), cwd: root, env: appEnv(), timeout: 60_000 });
    launched.process().stdout?.on('data', (chunk: Buffer) => appOutput.push(chunk.toString('utf8')));
    launched.process().stderr?.on('data', (chunk: Buffer) => appOutput.push(chunk.toString('utf8')));
    // The system browser is the test's Chromium: record what the app asks the OS to open instead of opening it.
    await launched.evaluate(({ shell }) => {
      const opened: string[] = [];
      (globalThis as unknown as { __e2eOpened: string[] }).__e2eOpened = opened;
      shell.openExternal = async (url: string) => {
        opened.push(url);
      };
    });
    const window = await launched.firstWindow();
    window.setDefaultTimeout(SCREEN_TIMEOUT_MS);
    app = launched;
    return { app: launched, window };
  }

  /** The next URL the app asked the OS to open (the authorize or end-session URL). */
  async function nextOpened(target: ElectronApplication, already: number): Promise<string> {
    const deadline = Date.now() + SCREEN_TIMEOUT_MS;
    while (Date.now() < deadline) {
      const opened = await target.evaluate(() => (globalThis as unknown as { __e2eOpened?: string[] }).__e2eOpened ?? []);
      if (opened.length > already) return opened[already] as string;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error('the app did not ask to open the browser');
  }

  /** Delivers the redirect as Linux and Windows do: a second instance with the URL in argv, which quits at once. */
  async function deliverThroughSecondInstance(callbackUrl: string): Promise<void> {
    if (!electronPath) throw new Error('E2E_ELECTRON_PATH is not set');
    const second = spawn(electronPath, [...baseArgs(), '--', callbackUrl], { cwd: root, env: appEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    second.stdout.on('data', (chunk: Buffer) => appOutput.push(chunk.toString('utf8')));
    second.stderr.on('data', (chunk: Buffer) => appOutput.push(chunk.toString('utf8')));
    const code = await new Promise<number | null>((resolve, reject) => {
      const timer = setTimeout(() => {
        second.kill();
        reject(new Error('the second instance did not quit within 20 s (did it get the single-instance lock?)'));
      }, 20_000);
      second.on('exit', (exitCode) => {
        clearTimeout(timer);
        resolve(exitCode);
      });
    });
    assert.equal(code, 0, 'the second instance hands over and quits cleanly');
  }

  before(async () => {
    if (!electronPath) throw new Error('E2E_ELECTRON_PATH is not set: run these tests through `npm run e2e`, which finds the Electron binary.');
    userDataDir = await mkdtemp(path.join(tmpdir(), 'oidc-desktop-e2e-profile-'));
    configHome = await mkdtemp(path.join(tmpdir(), 'oidc-desktop-e2e-config-'));
    provider = await startDevProvider();
    systemBrowser = await launchSystemBrowser();
  });

  after(async () => {
    await app?.close().catch(() => undefined);
    await systemBrowser?.close();
    await provider?.close();
    if (userDataDir) await rm(userDataDir, { recursive: true, force: true });
    if (configHome) await rm(configHome, { recursive: true, force: true });
  });

  it('signs in: Sign in → system browser → second instance with the redirect → "Dana Demo"', async () => {
    const { app: running, window } = await launch();
    await window.waitForSelector('[data-screen="signed-out"]');
    await window.click('#sign-in');
    await window.waitForSelector('[data-screen="signing-in"]');

    const authorizeUrl = await nextOpened(running, 0);
    assert.ok(authorizeUrl.startsWith(`${provider.issuer}/`), 'the app opened the provider');
    const callback = await systemBrowser.signIn(authorizeUrl, { redirectPrefix: `${APP_IDENTITY.urlScheme}:` });
    const code = new URL(callback).searchParams.get('code');
    if (code) secrets.push(code);

    await deliverThroughSecondInstance(callback);
    await window.waitForSelector('[data-screen="signed-in"]');
    assert.equal(await window.textContent('#user-name'), 'Dana Demo');
    assert.equal(await window.textContent('#user-email'), 'dana@example.test');

    await window.click('#call-api');
    await window.waitForSelector('#api-output:not([hidden])');
    assert.match((await window.textContent('#api-output')) ?? '', /"name": "Dana Demo"/);

    await running.close();
    app = undefined;
  });

  it('restarts and restores the session from the keychain, without the browser', async () => {
    const { app: running, window } = await launch();
    await window.waitForSelector('[data-screen="signed-in"]');
    assert.equal(await window.textContent('#user-name'), 'Dana Demo');
    assert.deepEqual(await running.evaluate(() => (globalThis as unknown as { __e2eOpened: string[] }).__e2eOpened), [], 'no browser on restore');
  });

  it('signs out back to the signed-out screen', async () => {
    assert.ok(app, 'the app from the restart test is running');
    const window = await app.firstWindow();
    await window.click('#sign-out');
    await window.waitForSelector('[data-screen="signed-out"]');
    await app.close();
    app = undefined;
  });

  it('never logs the authorization code', () => {
    const log = appOutput.join('');
    for (const secret of secrets) assert.ok(!log.includes(secret), 'the authorization code appeared in the app output');
  });
});
