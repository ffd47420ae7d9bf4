/**
 * main.ts wired to a recording stand-in for `electron` (fake-electron.ts), so
 * the glue itself is checked on machines without the Electron binary: the
 * order of set-up before and after `ready`, the privileged app:// scheme, the
 * window's options and URL, the IPC channels with the sender check, the
 * deep-link sources (cold-start argv, open-url from will-finish-launching,
 * second-instance), the configuration error screen, and shutdown.
 *
 * main.ts is bundled exactly as scripts/build.mjs bundles it (its
 * mainBundleOptions, in both variants: production, and development with the
 * embedded development provider), except that `electron` resolves to the
 * stand-in and keytar to nothing (so the vault fails as on a machine without
 * a keychain, and never touches the developer's own). The provider is an
 * unreachable 127.0.0.1 address, or the embedded development provider on
 * 127.0.0.1: nothing here needs a network or a browser.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';
import * as esbuild from 'esbuild';
import { mainBundleOptions } from '../../../scripts/build.mjs';
import { APP_IDENTITY } from '../../../main/app-identity';
import { buildContentSecurityPolicy } from '../../../main/shell/content-security-policy';
import type { FakeElectronOptions, FakeElectronState } from './fake-electron';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const CALLBACK = `${APP_IDENTITY.urlScheme}:/callback?code=cold-start-code&state=s1`;
const trusted = { senderFrame: { url: `app://${APP_IDENTITY.rendererHost}/index.html`, parent: null }, sender: {} as { mainFrame: unknown } };
trusted.sender.mainFrame = trusted.senderFrame;

/** The contract's invoke channels: session (8), configured APIs (3: getApis, grantApiAccess, stepUpApi) and clipboard (2). */
const IPC_CHANNELS = 13;

async function until<T>(probe: () => T | undefined, what: string, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** Listening TCP servers in this process: the development provider is one, so a count that stays put means it never started. */
function listeningServers(): number {
  return process.getActiveResourcesInfo().filter((name) => name === 'TCPServerWrap').length;
}

describe('main.ts wiring (Electron stand-in)', () => {
  let outDir: string;
  /** The two builds of main.ts: production (what `npm run dist` packages) and development (`npm start`). */
  const bundleUrls = { production: '', development: '' };
  const savedEnv = { ...process.env };
  const savedConsole = { log: console.log, warn: console.warn, error: console.error };
  /** Everything the app logs (through console), kept out of the test output and checked for secrets. */
  const logged: string[] = [];

  /** Imports a fresh copy of a bundle (main() runs on import) and returns its stand-in's state. */
  async function startApp(
    instance: string,
    env: Record<string, string>,
    argv: string[] = [],
    options: FakeElectronOptions & { readonly variant?: keyof typeof bundleUrls } = {},
  ): Promise<FakeElectronState> {
    for (const name of Object.keys(process.env)) if (name.startsWith('OIDC_')) delete process.env[name];
    Object.assign(process.env, env);
    const savedArgv = process.argv;
    process.argv = [process.execPath, '.', ...argv];
    const { variant = 'production', ...electronOptions } = options;
    (globalThis as unknown as { __fakeElectronNext?: FakeElectronOptions }).__fakeElectronNext = electronOptions;
    try {
      await import(`${bundleUrls[variant]}?instance=${instance}`);
    } finally {
      process.argv = savedArgv;
    }
    const state = (globalThis as unknown as { __fakeElectron?: FakeElectronState }).__fakeElectron;
    if (!state) throw new Error('the Electron stand-in did not load');
    return state;
  }

  async function bundle(variant: keyof typeof bundleUrls): Promise<void> {
    const options = mainBundleOptions({ development: variant === 'development', outdir: path.join(outDir, variant, 'main') });
    await esbuild.build({
      ...options,
      // The stand-in replaces electron, and keytar is never loaded: both are resolved by the plugin below instead.
      external: (options.external ?? []).filter((name) => name !== 'electron' && name !== 'keytar'),
      logLevel: 'silent',
      plugins: [
        {
          name: 'fake-electron',
          setup(build) {
            build.onResolve({ filter: /^electron$/ }, () => ({ path: path.join(root, 'test/unit/shell/fake-electron.ts') }));
            // Never the developer's real keychain from a unit test: the vault fails as on a machine without keytar.
            build.onResolve({ filter: /^keytar$/ }, () => ({ path: 'keytar-not-in-unit-tests', external: true }));
          },
        },
      ],
    });
    // The window's renderer folder sits beside main/, as in dist/.
    const renderer = spawnSync(process.execPath, [path.join(root, 'scripts/build.mjs'), '--renderer-only', '--quiet', '--out', path.join(outDir, variant)], { encoding: 'utf8' });
    assert.equal(renderer.status, 0, renderer.stderr);
    bundleUrls[variant] = pathToFileURL(path.join(outDir, variant, 'main', 'main.mjs')).href;
  }

  /** The session and provider info the renderer would get once the core (or its stand-in) is in place. */
  async function sessionOf(electron: FakeElectronState) {
    electron.becomeReady();
    await until(() => electron.ipcHandlers.size === IPC_CHANNELS, 'the IPC handlers');
    const session = (await electron.ipcHandlers.get('getSession')?.(trusted)) as { ok: true; value: { status: string; error?: { code: string; message: string } } };
    const info = (await electron.ipcHandlers.get('getProviderInfo')?.(trusted)) as { ok: true; value: { issuerHost: string; development: boolean } };
    return { session: session.value, info: info.value };
  }

  before(async () => {
    // Inside the repository (.tmp/ is git-ignored) so the development bundle's external oidc-provider resolves from node_modules.
    await mkdir(path.join(root, '.tmp'), { recursive: true });
    outDir = await mkdtemp(path.join(root, '.tmp', 'main-wiring-'));
    await bundle('production');
    await bundle('development');
    for (const level of ['log', 'warn', 'error'] as const) console[level] = (...args: unknown[]) => void logged.push(args.map(String).join(' '));
  });

  after(async () => {
    Object.assign(console, savedConsole);
    for (const name of Object.keys(process.env)) if (!(name in savedEnv)) delete process.env[name];
    Object.assign(process.env, savedEnv);
    await rm(outDir, { recursive: true, force: true });
  });

  it('sets up before ready, then serves the window, IPC and deep links once the core is ready', async () => {
    const electron = await startApp(
      'configured',
      { OIDC_ISSUER: 'http://127.0.0.1:9', OIDC_CLIENT_ID: 'desktop', OIDC_REDIRECT_URI: `${APP_IDENTITY.urlScheme}:/callback` },
      ['--', CALLBACK],
    );
    const { app } = electron;

    // Before ready: lock, sandbox, privileged scheme; listeners for every deep-link source.
    assert.deepEqual(electron.calls.slice(0, 6), [
      `setName ${APP_IDENTITY.productName}`,
      'setPath userData',
      'requestSingleInstanceLock',
      `setAppUserModelId ${APP_IDENTITY.appId}`,
      'enableSandbox',
      'registerSchemesAsPrivileged',
    ]);
    assert.equal(electron.userData, `/nonexistent/appData/${APP_IDENTITY.productName}`, 'userData is <appData>/<productName> from app-identity.json');
    assert.deepEqual(electron.privileged, [{ scheme: 'app', privileges: { standard: true, secure: true } }]);
    assert.equal(app.listenerCount('will-finish-launching'), 1);
    assert.equal(app.listenerCount('second-instance'), 1);
    assert.equal(app.listenerCount('open-url'), 0, 'open-url is registered from will-finish-launching');
    app.emit('will-finish-launching');
    assert.equal(app.listenerCount('open-url'), 1);
    let prevented = false;
    app.emit('open-url', { preventDefault: () => (prevented = true) }, `${APP_IDENTITY.urlScheme}:/callback?code=mac&state=s2`);
    assert.equal(prevented, true);

    electron.becomeReady();
    const window = await until(() => electron.windows[0], 'the window');
    await until(() => electron.ipcHandlers.size === IPC_CHANNELS, 'the IPC handlers');
    const ready = electron.calls.indexOf('ready');
    assert.ok(electron.calls.indexOf('protocol.handle app') > ready);
    assert.ok(electron.calls.indexOf('protocol.handle app') < electron.calls.indexOf('new BrowserWindow'), 'app:// is served before the window loads');

    // The window.
    assert.equal(window.url, `app://${APP_IDENTITY.rendererHost}/index.html`);
    const prefs = window.options['webPreferences'] as Record<string, unknown>;
    assert.equal(prefs['contextIsolation'], true);
    assert.equal(prefs['sandbox'], true);
    assert.equal(prefs['nodeIntegration'], false);
    assert.match(String(prefs['preload']), /[/\\]main[/\\]preload\.cjs$/);

    // app:// serves the built renderer with the CSP.
    const handler = electron.protocolHandlers.get('app');
    const page = await handler?.(new Request(`app://${APP_IDENTITY.rendererHost}/index.html`));
    assert.equal(page?.status, 200);
    assert.equal(page?.headers.get('content-security-policy'), buildContentSecurityPolicy());
    assert.equal((await handler?.(new Request(`app://${APP_IDENTITY.rendererHost}/..%2f..%2fpackage.json`)))?.status, 404);

    // Guards on every web contents; permissions denied.
    let navigationPrevented = false;
    window.webContents.emit('will-navigate', { url: 'https://evil.example/', preventDefault: () => (navigationPrevented = true) });
    assert.equal(navigationPrevented, true);
    assert.deepEqual(window.webContents.openHandler?.({ url: 'https://evil.example/' }), { action: 'deny' });
    assert.equal(electron.permissionCheck?.(), false);

    // IPC through the sender check.
    const getSession = electron.ipcHandlers.get('getSession');
    const session = (await getSession?.(trusted)) as { ok: boolean; value?: { status: string } };
    assert.equal(session.ok, true);
    assert.ok(['signed-out', 'restoring', 'error'].includes(session.value?.status ?? ''), JSON.stringify(session));
    const foreign = { senderFrame: { url: 'https://evil.example/', parent: null }, sender: {} as { mainFrame: unknown } };
    foreign.sender.mainFrame = foreign.senderFrame;
    assert.deepEqual(await getSession?.(foreign), { ok: false, error: { code: 'sender_rejected', message: 'This page may not use the session.' } });
    assert.deepEqual(await electron.ipcHandlers.get('getProviderInfo')?.(trusted), { ok: true, value: { issuerHost: '127.0.0.1:9', development: false } });

    // The cold-start and open-url links are delivered once the core settles; each delivery focuses the window.
    await until(() => window.focused >= 2, 'the queued deep links to be delivered', 15_000);
    assert.equal(window.minimized, false, 'restored from minimized');
    const focusedBefore = window.focused;
    app.emit('second-instance', {}, ['/usr/lib/electron', '.', '--', `${APP_IDENTITY.urlScheme}:/callback?code=second&state=s3`, '--original-process-start-time=1']);
    assert.equal(window.focused, focusedBefore + 1, 'forward at once');
    await until(() => window.focused === focusedBefore + 2, 'the second-instance link to be delivered (and the window focused again)');
    // A second instance without a link just brings the window forward.
    app.emit('second-instance', {}, ['/usr/lib/electron', '.']);
    assert.equal(window.focused, focusedBefore + 3);

    // State changes reach the page as plain session-changed events.
    await until(() => window.webContents.sent.length > 0, 'a session-changed event');
    for (const [channel, payload] of window.webContents.sent) {
      assert.equal(channel, 'session-changed');
      assert.equal(typeof (payload as { status?: unknown }).status, 'string');
    }

    // Registration (packaged stand-in: the default call), power, shutdown.
    assert.deepEqual(electron.protocolClients, [[APP_IDENTITY.urlScheme]]);
    assert.equal(electron.powerMonitor.listenerCount('resume'), 1);
    electron.powerMonitor.emit('resume');
    app.emit('will-quit');

    // Logged, but never a code or the query that carries it.
    assert.ok(logged.some((line) => line.includes('deep link queued')));
    for (const secret of ['cold-start-code', 'code=mac', 'code=second', 'state=s1']) {
      assert.ok(!logged.some((line) => line.includes(secret)), `${secret} appeared in the log`);
    }
  });

  it('shows config_invalid as the session, without crashing, when the configuration is wrong', async () => {
    const electron = await startApp('invalid', { OIDC_ISSUER: 'http://login.example.com', OIDC_CLIENT_ID: 'desktop', OIDC_REDIRECT_URI: `${APP_IDENTITY.urlScheme}:/callback` });
    electron.becomeReady();
    await until(() => electron.ipcHandlers.size === IPC_CHANNELS, 'the IPC handlers');
    const session = (await electron.ipcHandlers.get('getSession')?.(trusted)) as { ok: true; value: { status: string; error: { code: string; message: string } } };
    assert.equal(session.value.status, 'error');
    assert.equal(session.value.error.code, 'config_invalid');
    assert.match(session.value.error.message, /issuer/);
    const signIn = (await electron.ipcHandlers.get('signIn')?.(trusted)) as { ok: false; error: { code: string } };
    assert.equal(signIn.error.code, 'config_invalid');
    assert.ok(!electron.calls.some((call) => call.startsWith('exit')), 'the app did not exit');
    electron.app.emit('will-quit');
  });

  // Issue 10 (High): a packaged app never starts the development provider; a partial configuration never falls back to it.
  for (const variant of ['production', 'development'] as const) {
    it(`packaged (${variant} build), nothing configured: starts nothing and shows the configuration screen with the real path`, async () => {
      const appData = `/home/dana/.config ${variant}`;
      const userData = `${appData}/${APP_IDENTITY.productName}`;
      const serversBefore = listeningServers();
      const electron = await startApp(`packaged-unconfigured-${variant}`, {}, [], { variant, isPackaged: true, appData });
      const { session, info } = await sessionOf(electron);
      assert.equal(session.status, 'error');
      assert.equal(session.error?.code, 'config_missing');
      assert.ok(session.error?.message.includes(`Create the file ${userData}/oidc-config.json`), session.error?.message);
      assert.ok(session.error?.message.includes('- Windows: %APPDATA%'), session.error?.message);
      assert.deepEqual(info, { issuerHost: '', development: false });
      assert.equal(listeningServers(), serversBefore, 'a server was started');
      assert.ok(!logged.some((line) => line.includes('using the development provider')), 'the development provider was used');
      const signIn = (await electron.ipcHandlers.get('signIn')?.(trusted)) as { ok: false; error: { code: string } };
      assert.equal(signIn.error.code, 'config_missing');
      assert.deepEqual(electron.opened, [], 'no browser was opened');
      electron.app.emit('will-quit');
    });
  }

  // Issue 15: the first run is a welcome, and "Check again" reads the file the user just created, without a restart.
  it('welcome, then "Check again" after the configuration file was created: the configured core takes over, no restart', async () => {
    const appData = await mkdtemp(path.join(outDir, 'recheck-'));
    const electron = await startApp('recheck', {}, [], { isPackaged: true, appData });
    const { session } = await sessionOf(electron);
    assert.equal(session.error?.code, 'config_missing');
    const recheck = electron.ipcHandlers.get('recheckConfiguration');
    assert.ok(recheck, 'the channel exists');
    const still = (await recheck(trusted)) as { ok: true; value: { status: string; error?: { code: string } } };
    assert.equal(still.value.error?.code, 'config_missing', 'nothing created yet: still the welcome');

    await mkdir(path.join(appData, APP_IDENTITY.productName), { recursive: true });
    await writeFile(
      path.join(appData, APP_IDENTITY.productName, 'oidc-config.json'),
      JSON.stringify({ issuer: 'http://127.0.0.1:9', clientId: 'desktop', redirectUri: APP_IDENTITY.defaultRedirectUri }),
    );
    const after = (await recheck(trusted)) as { ok: true; value: { status: string; error?: { code: string } } };
    assert.notEqual(after.value.status, 'error', `configured now: ${JSON.stringify(after.value)}`);
    const info = (await electron.ipcHandlers.get('getProviderInfo')?.(trusted)) as { ok: true; value: { issuerHost: string } };
    assert.equal(info.value.issuerHost, '127.0.0.1:9', 'the IPC handlers use the new core');
    const window = electron.windows[0];
    assert.ok(window?.webContents.sent.some(([, payload]) => (payload as { status?: string }).status !== 'error'), 'the renderer was told the new state');
    electron.app.emit('will-quit');
  });

  it('the production build, not packaged, nothing configured: no development provider either', async () => {
    const serversBefore = listeningServers();
    const electron = await startApp('unpackaged-production', {}, [], { variant: 'production', isPackaged: false });
    const { session, info } = await sessionOf(electron);
    assert.equal(session.error?.code, 'config_missing');
    assert.equal(info.development, false);
    assert.equal(listeningServers(), serversBefore, 'a server was started');
    electron.app.emit('will-quit');
  });

  for (const [name, env, missing] of [
    ['only OIDC_API_BASE_URLS', { OIDC_API_BASE_URLS: 'https://api.example.com/' }, ['issuer', 'clientId', 'redirectUri']],
    ['an issuer without a client id', { OIDC_ISSUER: 'https://login.example.com', OIDC_REDIRECT_URI: `${APP_IDENTITY.urlScheme}:/callback` }, ['clientId']],
  ] as const) {
    for (const isPackaged of [true, false]) {
      it(`${isPackaged ? 'packaged' : 'development run'}, ${name}: starts nothing and names the missing fields`, async () => {
        const serversBefore = listeningServers();
        const electron = await startApp(`partial-${isPackaged}-${missing.length}`, env, [], { variant: 'development', isPackaged });
        const { session, info } = await sessionOf(electron);
        assert.equal(session.error?.code, 'config_invalid');
        for (const field of missing) assert.ok(session.error?.message.includes(`- ${field}: is missing`), `${field} not named: ${session.error?.message}`);
        assert.equal(info.development, false);
        assert.equal(listeningServers(), serversBefore, 'a server was started');
        electron.app.emit('will-quit');
      });
    }
  }

  it('a development run (development build, not packaged) starts the embedded development provider when nothing is configured, and stops it on quit', async () => {
    const electron = await startApp('development', {}, [], { variant: 'development', isPackaged: false });
    // The provider is stopped on quit: also when an assertion fails, or it would keep the test process alive.
    let issuerHost = '';
    try {
      electron.becomeReady();
      await until(() => electron.ipcHandlers.size === IPC_CHANNELS, 'the IPC handlers');
      const info = (await electron.ipcHandlers.get('getProviderInfo')?.(trusted)) as { ok: true; value: { issuerHost: string; development: boolean } };
      issuerHost = info.value.issuerHost;
      assert.equal(info.value.development, true);
      assert.match(issuerHost, /^127\.0\.0\.1:\d+$/);
      const discovery = await fetch(`http://${issuerHost}/.well-known/openid-configuration`);
      assert.equal(discovery.status, 200, 'the development provider answers');
      await discovery.arrayBuffer();

      // Sign in opens the provider's authorize URL in the system browser. The development provider offers
      // pushed authorization requests (RFC 9126), so the URL carries only the client id and the request_uri;
      // the redirect (custom scheme) travelled in the pushed request.
      const signIn = (await electron.ipcHandlers.get('signIn')?.(trusted)) as { ok: boolean };
      assert.equal(signIn.ok, true, JSON.stringify(signIn));
      const authorize = new URL(await until(() => electron.opened[0], 'the browser to be opened'));
      assert.equal(authorize.host, issuerHost);
      assert.equal(authorize.searchParams.get('client_id'), 'oidc-desktop-dev');
      assert.match(authorize.searchParams.get('request_uri') ?? '', /^urn:ietf:params:oauth:request_uri:/);
      await electron.ipcHandlers.get('cancelSignIn')?.(trusted);
    } finally {
      electron.app.emit('will-quit');
    }
    const deadline = Date.now() + 5_000;
    let stopped = false;
    while (!stopped && Date.now() < deadline) {
      stopped = await fetch(`http://${issuerHost}/.well-known/openid-configuration`).then(
        async (response) => (await response.arrayBuffer(), false),
        () => true,
      );
      if (!stopped) await new Promise((resolve) => setTimeout(resolve, 50));
    }
    assert.equal(stopped, true, 'the development provider stopped on quit');
  });

  it('quits at once when another instance holds the lock', async () => {
    const fake = (globalThis as unknown as { __fakeElectron?: FakeElectronState }).__fakeElectron;
    assert.ok(fake);
    // The next import creates a new stand-in; make it refuse the lock from the start.
    const original = Object.getOwnPropertyDescriptor(globalThis, '__fakeElectron');
    let lockRefused = false;
    Object.defineProperty(globalThis, '__fakeElectron', {
      configurable: true,
      get: () => original?.value,
      set: (value: FakeElectronState) => {
        value.lockGranted = false;
        lockRefused = true;
        Object.defineProperty(globalThis, '__fakeElectron', { configurable: true, writable: true, value });
      },
    });
    const electron = await startApp('second', {}, [CALLBACK]);
    assert.equal(lockRefused, true);
    assert.deepEqual(electron.calls, [`setName ${APP_IDENTITY.productName}`, 'setPath userData', 'requestSingleInstanceLock', 'quit']);
    assert.equal(electron.app.listenerCount('second-instance'), 0);
  });

  it('the app menu (developer tools only in development runs), the About box, and the window where it was last time', async () => {
    const appData = await mkdtemp(path.join(outDir, 'appData-'));
    const userData = path.join(appData, APP_IDENTITY.productName);
    type Item = { id?: string; role?: string; label?: string; click?: () => void; submenu?: Item[] };
    const flat = (template: unknown): Item[] => (template as Item[]).flatMap((item) => [item, ...(Array.isArray(item.submenu) ? flat(item.submenu) : [])]);
    const env = { OIDC_ISSUER: 'http://127.0.0.1:9', OIDC_CLIENT_ID: 'desktop', OIDC_REDIRECT_URI: `${APP_IDENTITY.urlScheme}:/callback` };

    const packaged = await startApp('menu-packaged', env, [], { isPackaged: true, appData });
    packaged.becomeReady();
    const window = await until(() => packaged.windows[0], 'the window');
    await until(() => packaged.ipcHandlers.size === IPC_CHANNELS, 'the IPC handlers');
    const menu = flat(await until(() => packaged.applicationMenu ?? undefined, 'the application menu'));
    assert.deepEqual(
      menu.filter((item) => ['toggleDevTools', 'reload', 'forceReload'].includes(item.role ?? '')),
      [],
      'no developer tools or reload in a packaged build',
    );
    // Once the core is in place (the provider info answers), the box names its host.
    await packaged.ipcHandlers.get('getProviderInfo')?.(trusted);
    const about = menu.find((item) => item.id === 'about');
    about?.click?.();
    const box = (await until(() => packaged.messageBoxes[0], 'the About box')) as { title: string; detail: string };
    assert.equal(box.title, `About ${APP_IDENTITY.productName}`);
    assert.match(box.detail, /^Version 0\.1\.0-test\nElectron .*\nSign-in service: 127\.0\.0\.1:9$/);
    assert.equal(window.options['x'], undefined, 'first run: the default place');

    // Closing saves the bounds in the user-data folder; the next run opens there.
    window.emit('close');
    await until(() => existsSync(path.join(userData, 'window-state.json')), 'the saved window state');
    const saved = JSON.parse(await readFile(path.join(userData, 'window-state.json'), 'utf8')) as { bounds: Record<string, number>; maximized: boolean };
    assert.deepEqual(saved, { bounds: { x: 100, y: 100, width: window.options['width'], height: window.options['height'] }, maximized: false });
    await writeFile(path.join(userData, 'window-state.json'), JSON.stringify({ bounds: { x: 3000, y: 200, width: 600, height: 700 }, maximized: true }));
    const again = await startApp('menu-packaged-again', env, [], { isPackaged: true, appData });
    again.becomeReady();
    const reopened = await until(() => again.windows[0], 'the window');
    // Saved on a display that is gone (x 3000 on a 1920-wide screen): centred on the one there is, maximized as it was.
    assert.deepEqual([reopened.options['x'], reopened.options['y'], reopened.options['width'], reopened.options['height']], [660, 170, 600, 700]);
    assert.equal(reopened.isMaximized(), true);
    await until(() => again.ipcHandlers.size === IPC_CHANNELS, 'the IPC handlers');

    const development = await startApp('menu-development', env, [], { isPackaged: false, appData, variant: 'development' });
    development.becomeReady();
    const devMenu = flat(await until(() => development.applicationMenu ?? undefined, 'the application menu'));
    assert.ok(devMenu.some((item) => item.role === 'toggleDevTools'), 'development runs keep the developer tools');
    await until(() => development.ipcHandlers.size === IPC_CHANNELS, 'the IPC handlers');
    // Each instance's core stops its timers on quit, as the app does.
    for (const instance of [packaged, again, development]) {
      await instance.ipcHandlers.get('getProviderInfo')?.(trusted);
      instance.app.emit('will-quit');
    }
  });
});
