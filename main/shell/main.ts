/**
 * The Electron main process: thin glue. Every decision lives in a small pure
 * module next to this file (deep-link.ts, trusted-sender.ts, app-protocol.ts,
 * navigation-policy.ts, protocol-registration.ts, …), unit-tested without
 * Electron. Here we only wire them to Electron, in order:
 *
 *   before ready: single-instance lock, privileged app:// scheme, deep-link
 *                 listeners (open-url from will-finish-launching,
 *                 second-instance, the cold-start argv) feeding one router
 *   onReady():    setupSecurity → setupAppProtocol → setupIpc → setupWindow
 *                 → setupAuth → setupProtocolClient → setupPower → bootAuth
 *
 * The sign-in core (main/auth) holds every token; this process hands the
 * renderer nothing but SessionState and results.
 */
import { execFile } from 'node:child_process';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { app, BrowserWindow, clipboard, dialog, ipcMain, Menu, nativeTheme, powerMonitor, protocol, screen, session, shell } from 'electron';
import { APP_IDENTITY } from '../app-identity';
import { AuthError, createAuthService, createKeytarVault, isAuthError, loadConfig } from '../auth/index';
import type { AuthService } from '../auth/ports';
import type { SessionState } from '../auth/session-state';
import { APP_ENTRY_URL, APP_ORIGIN, APP_SCHEME, createAppProtocolHandler } from './app-protocol';
import { CONFIG_FILE_NAME, resolveAuthConfig, type DevProviderHandle } from './auth-config';
import { bootAuth } from './boot';
import { registerClipboardHandlers } from './clipboard-handlers';
import { createDeepLinkRouter, type DeepLinkRouter } from './deep-link-router';
import { createIpcRouter } from './ipc-handlers';
import { createRedactingLogger } from './logger';
import { assertBrowserUrl, externalOriginsFor } from './navigation-policy';
import { planProtocolRegistration, planProtocolUnregistration, registerProtocolClient } from './protocol-registration';
import { createConfigurationRecheck } from './configuration-recheck';
import { providerInfoFor, registerSessionHandlers, type SessionHandlerDeps } from './session-handlers';
import { setupAppMenu } from './setup-menu';
import { createMainWindowHolder, type MainWindowHolder } from './setup-window';
import { setupSecurity } from './setup-security';
import { createSignInLinkKeeper } from './sign-in-link';
import { appOriginOf } from './trusted-sender';
import { createUnavailableAuthService } from './unavailable-auth';
import { mainWindowOptions } from './window-options';
import { createWindowStateStore, keepWindowState, nodeWindowStateFiles, restoredBounds, type WindowState, type WindowStateStore } from './window-state';
import { toWireState } from './wire';

const { appId: APP_ID, urlScheme: REDIRECT_SCHEME, productName: PRODUCT_NAME } = APP_IDENTITY;

/** dist/main, where the bundle, the preload and (one level up) the renderer live. */
const HERE = path.dirname(fileURLToPath(import.meta.url));
const PRELOAD = path.join(HERE, 'preload.cjs');
const RENDERER_DIR = path.join(HERE, '..', 'renderer');

const log = createRedactingLogger('shell');

/** The authorize URL of the sign-in in progress, for "Copy sign-in link". */
const signInLink = createSignInLinkKeeper({ status: 'signed-out' });

/**
 * Set by scripts/build.mjs: true only in the development build (`npm start`).
 * In the production build it is false, esbuild drops every branch that
 * depends on it, and the development provider is not in the output at all.
 */
declare const __OIDC_DESKTOP_DEVELOPMENT__: boolean;

interface Services extends SessionHandlerDeps {
  readonly auth: AuthService;
  readonly externalOrigins: readonly string[];
  readonly devProvider?: DevProviderHandle;
  /** False for the stand-in that shows the welcome or configuration screen ("Check again" may replace it). */
  readonly configured: boolean;
}

function main(): void {
  // Name and user-data folder from app-identity.json, not package.json, so one file renames the app.
  // Before the lock: Chromium keys the single-instance lock on the user-data folder.
  app.setName(PRODUCT_NAME);
  app.setPath('userData', path.join(app.getPath('appData'), PRODUCT_NAME));
  const unregister = process.platform === 'linux' ? planProtocolUnregistration({ scheme: REDIRECT_SCHEME, argv: process.argv, env: process.env }) : undefined;
  if (unregister !== undefined) {
    // `<AppImage> --unregister-url-scheme`: remove the desktop entry an AppImage wrote for the scheme, then quit.
    void rm(unregister, { force: true })
      .then(() => log.info(`removed ${unregister}: this AppImage no longer handles ${REDIRECT_SCHEME}: links`))
      .catch((error: unknown) => log.error(`could not remove ${unregister}: ${error instanceof Error ? error.message : String(error)}`))
      .finally(() => app.quit());
    return;
  }
  if (!app.requestSingleInstanceLock()) {
    // Another instance runs: it receives our argv (and a deep link in it) through `second-instance`.
    app.quit();
    return;
  }
  app.setAppUserModelId(APP_ID);
  app.enableSandbox();
  protocol.registerSchemesAsPrivileged([{ scheme: APP_SCHEME, privileges: { standard: true, secure: true } }]);

  let window: MainWindowHolder | undefined;
  const deepLinks = createDeepLinkRouter({ scheme: REDIRECT_SCHEME, logger: log, onDelivered: () => window?.focus() });
  setupDeepLinkSources(deepLinks, () => window?.focus());

  app.whenReady()
    .then(() => onReady(deepLinks, (holder) => (window = holder)))
    .catch((error: unknown) => {
      log.error(`start-up failed: ${error instanceof Error ? error.message : String(error)}`);
      app.exit(1);
    });
}

/**
 * The three ways a deep link arrives, all into the one router:
 * macOS `open-url` (listened for from will-finish-launching, so a URL that
 * launches the app is not missed), Windows/Linux `second-instance` argv, and
 * this instance's own argv at a cold start.
 */
function setupDeepLinkSources(deepLinks: DeepLinkRouter, focus: () => void): void {
  let listening = false;
  const listenForOpenUrl = (): void => {
    if (listening) return;
    listening = true;
    app.on('open-url', (event, url) => {
      event.preventDefault();
      deepLinks.receive([url]);
    });
  };
  app.on('will-finish-launching', listenForOpenUrl);
  // Safety net if will-finish-launching came before this module ran; a no-op otherwise.
  void app.whenReady().then(listenForOpenUrl);

  app.on('second-instance', (_event, argv) => {
    // The user acted (clicked the app or the browser handed us the redirect): come forward now, and again once handled.
    deepLinks.receive(argv);
    focus();
  });
  deepLinks.receive(process.argv);
}

async function onReady(deepLinks: DeepLinkRouter, keepWindow: (holder: MainWindowHolder) => void): Promise<void> {
  let services: Services | undefined;
  setupSecurity({
    app,
    session: session.defaultSession,
    shell,
    externalOrigins: () => services?.externalOrigins ?? [],
    logger: log,
  });
  setupAppProtocol();
  const servicesReady = deferred<Services>();
  // The IPC handlers hold this facade: "Check again" can put a configured core in place of the stand-in.
  const live: Services = {
    get auth() {
      return (services as Services).auth;
    },
    get providerInfo() {
      return (services as Services).providerInfo;
    },
    get apiBaseUrls() {
      return (services as Services).apiBaseUrls;
    },
    get externalOrigins() {
      return (services as Services).externalOrigins;
    },
    get configured() {
      return (services as Services).configured;
    },
  };
  let unsubscribe = (): void => undefined;
  const adopt = async (next: Services): Promise<void> => {
    unsubscribe();
    services = next;
    unsubscribe = next.auth.onSessionChange((state) => {
      signInLink.stateChanged(state);
      window.sendSession(toWireState(state));
    });
    window.sendSession(toWireState(next.auth.getSession()));
    if (next.configured) {
      setupLifecycle(next);
      void setupProtocolClient();
      await bootAuth(next.auth, deepLinks, log);
    }
  };
  const recheckConfiguration = createConfigurationRecheck({ current: () => live, setup: setupAuth, adopt, logger: log });
  setupIpc(servicesReady.promise, recheckConfiguration);
  const windowState = createWindowStateStore({ directory: app.getPath('userData'), files: nodeWindowStateFiles, logger: log });
  const window = setupWindow(await windowState.load(), windowState);
  keepWindow(window);
  setupAppMenu({
    Menu,
    dialog,
    platform: process.platform,
    productName: PRODUCT_NAME,
    developmentTools: !app.isPackaged,
    window: () => window.ensure(),
    aboutFacts: () => ({
      productName: PRODUCT_NAME,
      version: app.getVersion(),
      electronVersion: process.versions.electron ?? '',
      chromeVersion: process.versions.chrome ?? '',
      providerHost: services?.providerInfo.issuerHost ?? '',
      development: services?.providerInfo.development ?? false,
    }),
  });

  const first = await setupAuth();
  servicesReady.resolve(live);
  setupPower(live);
  await adopt(first);
}

/** app://com.example.desktop/… serves dist/renderer, with the CSP on every response. */
function setupAppProtocol(): void {
  protocol.handle(APP_SCHEME, createAppProtocolHandler({ rootDir: RENDERER_DIR }));
}

/** The contract's channels, sender-checked. Calls made before the core exists wait for it. */
function setupIpc(services: Promise<Services>, recheckConfiguration: () => Promise<SessionState>): void {
  const router = createIpcRouter({ ipcMain, origin: appOriginOf(APP_ORIGIN), logger: log });
  registerSessionHandlers(router, services, { recheckConfiguration });
  registerClipboardHandlers(router, {
    clipboard,
    signInLink: () => signInLink.current(),
    report: { productName: PRODUCT_NAME, version: app.getVersion(), runtime: `Electron ${process.versions.electron ?? '?'}, ${process.platform} ${process.arch}` },
  });
}

/** The one window, where it was last time (window-state.ts), saved again when it closes. */
function setupWindow(saved: WindowState | undefined, windowState: WindowStateStore): MainWindowHolder {
  const options = mainWindowOptions(PRELOAD, PRODUCT_NAME, nativeTheme.shouldUseDarkColors ? 'dark' : 'light', !app.isPackaged);
  let first = true;
  app.on('browser-window-created', (_event, created) => {
    keepWindowState(created, windowState, first && saved?.maximized === true);
    first = false;
  });
  const displays = [screen.getPrimaryDisplay(), ...screen.getAllDisplays()];
  const holder = createMainWindowHolder({
    BrowserWindow,
    options: { ...options, ...restoredBounds(saved, displays, options) },
    entryUrl: APP_ENTRY_URL,
    logger: log,
    focusApp: () => {
      if (process.platform === 'darwin') app.focus({ steal: true });
    },
  });
  app.on('window-all-closed', () => {
    if (process.platform !== 'darwin') app.quit();
  });
  app.on('activate', () => holder.ensure());
  holder.ensure();
  return holder;
}

/**
 * The core, against the configured provider. In a development run only (the
 * development build, not packaged) the embedded development provider stands
 * in when nothing at all is configured. A missing, partial or invalid
 * configuration gives a stand-in whose session state is the config_invalid
 * error the UI shows as the configuration screen.
 */
async function setupAuth(): Promise<Services> {
  // Both conditions: a packaged app never starts it, even from a development build.
  const startDevProvider =
    __OIDC_DESKTOP_DEVELOPMENT__ && !app.isPackaged
      ? async (): Promise<DevProviderHandle> => (await import('../dev-provider/dev-provider')).startDevProvider()
      : undefined;
  const setup = await resolveAuthConfig({
    // Electron's userData: <appData>/<productName>, shown to the user as is when the file is missing.
    configFile: path.join(app.getPath('userData'), CONFIG_FILE_NAME),
    env: process.env,
    loadConfig,
    ...(startDevProvider === undefined ? {} : { startDevProvider }),
    redirectTarget: { identity: APP_IDENTITY, platform: process.platform, isPackaged: app.isPackaged },
    logger: log,
  });
  const unavailable = (error: AuthError): Services => ({
    auth: createUnavailableAuthService(error),
    providerInfo: { issuerHost: '', development: false },
    apiBaseUrls: [],
    externalOrigins: [],
    configured: false,
  });
  if (setup.kind === 'invalid') return unavailable(setup.error);
  const { config } = setup;
  let auth: AuthService;
  try {
    auth = createAuthService({
      config,
      vault: createKeytarVault(APP_IDENTITY.keychainService),
      openExternal: (url) => {
        // assertBrowserUrl throws for a URL the browser may not get; only a URL it let through is kept.
        const opening = shell.openExternal(assertBrowserUrl(url));
        signInLink.opened(url);
        return opening;
      },
      logger: createRedactingLogger('auth'),
    });
  } catch (error) {
    log.error(`the sign-in service could not start: ${error instanceof Error ? error.message : String(error)}`);
    if (setup.devProvider) void Promise.resolve(setup.devProvider.close()).catch(() => undefined);
    return unavailable(isAuthError(error) ? error : new AuthError('internal_error', 'The sign-in service could not start.', { cause: error }));
  }
  return {
    auth,
    providerInfo: providerInfoFor(config.issuer, setup.devProvider !== undefined),
    apiBaseUrls: config.apiBaseUrls,
    externalOrigins: externalOriginsFor(config.issuer),
    ...(setup.devProvider === undefined ? {} : { devProvider: setup.devProvider }),
    configured: true,
  };
}

/** Makes this app the OS handler of com.example.desktop: (see protocol-registration.ts). */
async function setupProtocolClient(): Promise<void> {
  const plan = planProtocolRegistration({
    scheme: REDIRECT_SCHEME,
    platform: process.platform,
    isPackaged: app.isPackaged,
    execPath: process.execPath,
    argv: process.argv,
    env: process.env,
    productName: PRODUCT_NAME,
  });
  await registerProtocolClient(plan, {
    setAsDefaultProtocolClient: (scheme, execPath, args) =>
      execPath === undefined ? app.setAsDefaultProtocolClient(scheme) : app.setAsDefaultProtocolClient(scheme, execPath, args),
    mkdir: async (directory) => {
      await mkdir(directory, { recursive: true });
    },
    writeFile: (file, contents) => writeFile(file, contents, { encoding: 'utf8', mode: 0o644 }),
    execFile: (file, args) =>
      new Promise((resolve, reject) => {
        execFile(file, [...args], { timeout: 10_000 }, (error) => (error ? reject(error) : resolve()));
      }),
    logger: log,
  });
}

/** After sleep the access token may be due: the core refreshes if so. */
function setupPower(services: Pick<Services, 'auth'>): void {
  powerMonitor.on('resume', () => services.auth.resume());
}

/** On quit: stop the core's timers and listeners, and the development provider if we started it. */
function setupLifecycle(services: Services): void {
  app.once('will-quit', () => {
    services.auth.dispose();
    if (services.devProvider) void Promise.resolve(services.devProvider.close()).catch(() => undefined);
  });
}

function deferred<T>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

main();
