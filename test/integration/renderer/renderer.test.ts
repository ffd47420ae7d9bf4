/**
 * The renderer's real bundle (built by scripts/build.mjs into a temp folder)
 * in Chromium, served through the app's own app:// handler
 * (createAppProtocolHandler, so the CSP header and path rules are the real
 * ones) behind a 127.0.0.1 HTTP server.
 *
 * `window.session` is the real preload API (createSessionBridge, bundled with
 * esbuild into an init script) over a bridge that plays Electron's IPC:
 * `page.exposeFunction` carries invoke calls into this process, where the
 * real IPC handlers (createIpcRouter + registerSessionHandlers) run against
 * the REAL core (createAuthService) and the development provider, configured
 * the way the app configures it when nothing else is (resolveAuthConfig).
 * Only SessionState and results cross, as over IPC. The sign-in happens in a
 * second Chromium (the "system browser"), and its redirect reaches the core
 * through the shell's deep-link router, as a second instance's argv would.
 *
 * The IPC sender check is not what is tested here (the page is on
 * http://127.0.0.1, not app://): the bridge presents the app's top-level
 * frame, as Electron would for the real window.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';
import { chromium, type Browser, type Page } from 'playwright-core';
import { createAuthService, createMemoryVault, loadConfig, type AuthService, type SessionState } from '../../../main/auth/index';
import { startDevProvider } from '../../../main/dev-provider/dev-provider';
import { APP_ORIGIN, createAppProtocolHandler } from '../../../main/shell/app-protocol';
import { resolveAuthConfig, type DevProviderHandle } from '../../../main/shell/auth-config';
import { bootAuth } from '../../../main/shell/boot';
import { buildContentSecurityPolicy } from '../../../main/shell/content-security-policy';
import { createDeepLinkRouter, type DeepLinkRouter } from '../../../main/shell/deep-link-router';
import { createIpcRouter, type IpcMainLike } from '../../../main/shell/ipc-handlers';
import { providerInfoFor, registerSessionHandlers } from '../../../main/shell/session-handlers';
import { appOriginOf, type IpcEventLike } from '../../../main/shell/trusted-sender';
import { toWireState } from '../../../main/shell/wire';
import { APP_IDENTITY } from '../../../main/app-identity';
import { CHROMIUM_ARGS, CHROMIUM_PATH, launchSystemBrowser, type SystemBrowser } from '../../support/system-browser';
import { assertSecretNotEqual } from '../../support/secret-assert';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const require = createRequire(import.meta.url);
const silent = { info() {}, warn() {}, error() {} };

interface AxeViolation {
  readonly id: string;
  readonly impact: string | null;
  readonly help: string;
  readonly nodes: string[];
}

/** Runs the same build the app uses, renderer only, into `outDir`. */
function buildRenderer(outDir: string): void {
  const result = spawnSync(process.execPath, [path.join(root, 'scripts/build.mjs'), '--renderer-only', '--quiet', '--out', outDir], { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`the renderer build failed: ${result.stderr || result.stdout}`);
}

/** The preload's real API, bundled for an init script, over a transport that plays ipcRenderer. */
async function bridgeInitScript(): Promise<string> {
  const result = await esbuild.build({
    stdin: {
      resolveDir: root,
      loader: 'ts',
      sourcefile: 'renderer-test-preload.ts',
      contents: `
        import { createSessionBridge } from './main/shell/preload-api';
        const listeners = new Map();
        const transport = {
          invoke: (channel, ...args) => window.__ipcInvoke(channel, args),
          on: (channel, listener) => {
            if (!listeners.has(channel)) listeners.set(channel, new Set());
            listeners.get(channel).add(listener);
          },
          removeListener: (channel, listener) => listeners.get(channel)?.delete(listener),
        };
        Object.defineProperty(window, '__ipcEmit', {
          value: (channel, payload) => { for (const listener of listeners.get(channel) ?? []) listener({ sender: 'ipc' }, payload); },
        });
        Object.defineProperty(window, 'session', { value: createSessionBridge(transport), enumerable: true });
      `,
    },
    bundle: true,
    format: 'iife',
    write: false,
    logLevel: 'silent',
  });
  const file = result.outputFiles[0];
  if (!file) throw new Error('esbuild produced no preload bundle');
  return file.text;
}

/** Serves dist/renderer from a temp folder through the app:// handler. */
async function serveRenderer(rendererDir: string): Promise<{ server: Server; origin: string }> {
  const handler = createAppProtocolHandler({ rootDir: rendererDir });
  const server = createServer((req, res) => {
    handler(new Request(`${APP_ORIGIN}${req.url ?? '/'}`, { method: req.method ?? 'GET' }))
      .then(async (response) => {
        res.writeHead(response.status, Object.fromEntries(response.headers));
        res.end(Buffer.from(await response.arrayBuffer()));
      })
      .catch(() => {
        res.writeHead(500);
        res.end();
      });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { server, origin: `http://127.0.0.1:${port}` };
}

describe('renderer in Chromium against the real core', () => {
  let tempDir: string;
  let server: Server;
  let origin: string;
  let devProvider: DevProviderHandle;
  let auth: AuthService;
  let deepLinks: DeepLinkRouter;
  let appBrowser: Browser;
  let systemBrowser: SystemBrowser;
  let page: Page;
  let axeSource: string;
  const opened: string[] = [];
  const openWaiters: Array<(url: string) => void> = [];
  const pageProblems: string[] = [];

  const nextOpened = (): Promise<string> => new Promise((resolve) => openWaiters.push(resolve));

  /** What main does on every state change: send it to the window as plain data. */
  const pushState = async (state: SessionState): Promise<void> => {
    await page.evaluate(([wire]) => {
      (globalThis as unknown as { __ipcEmit(channel: string, payload: unknown): void }).__ipcEmit('session-changed', wire);
    }, [toWireState(state)] as const);
  };

  const axe = async (label: string): Promise<void> => {
    for (const colorScheme of ['light', 'dark'] as const) {
      await page.emulateMedia({ colorScheme });
      const hasAxe = await page.evaluate('typeof axe !== "undefined"');
      if (!hasAxe) await page.evaluate(axeSource);
      const { violations, passed } = await page.evaluate<{ violations: AxeViolation[]; passed: number }>(`(async () => {
        const result = await axe.run(document, { resultTypes: ['violations'] });
        return {
          passed: result.passes.length,
          violations: result.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => n.target.join(' ')) })),
        };
      })()`);
      assert.ok(passed > 10, `axe ran (${passed} rules passed)`);
      assert.deepEqual(violations, [], `axe violations on the ${label} screen (${colorScheme}): ${JSON.stringify(violations, null, 2)}`);
    }
    await page.emulateMedia({ colorScheme: 'light' });
  };

  const screen = (name: string) => page.waitForSelector(`[data-screen="${name}"]`, { timeout: 15_000 });

  before(async () => {
    tempDir = await mkdtemp(path.join(tmpdir(), 'renderer-test-'));
    buildRenderer(tempDir);
    ({ server, origin } = await serveRenderer(path.join(tempDir, 'renderer')));
    axeSource = await readFile(require.resolve('axe-core/axe.min.js'), 'utf8');

    // What the app does with no configuration: the development provider, custom-scheme redirect.
    const setup = await resolveAuthConfig({
      configFile: path.join(tempDir, 'oidc-config.json'),
      redirectTarget: { identity: APP_IDENTITY, platform: 'linux', isPackaged: false },
      env: {},
      loadConfig,
      startDevProvider: () => startDevProvider(),
      logger: silent,
    });
    assert.equal(setup.kind, 'configured', 'the development provider started');
    if (setup.kind !== 'configured' || !setup.devProvider) throw new Error('no development provider');
    devProvider = setup.devProvider;
    auth = createAuthService({
      config: setup.config,
      vault: createMemoryVault(),
      openExternal: async (url) => {
        opened.push(url);
        openWaiters.shift()?.(url);
      },
    });

    // Main's IPC handlers, exactly as main.ts registers them.
    const handlers = new Map<string, (event: IpcEventLike, ...args: unknown[]) => unknown>();
    const ipcMain: IpcMainLike = { handle: (c, l) => void handlers.set(c, l), removeHandler: (c) => void handlers.delete(c) };
    registerSessionHandlers(
      createIpcRouter({ ipcMain, origin: appOriginOf(APP_ORIGIN), logger: silent }),
      Promise.resolve({ auth, providerInfo: providerInfoFor(setup.config.issuer, true), apiBaseUrls: setup.config.apiBaseUrls }),
    );
    const appFrame = { url: `${APP_ORIGIN}/index.html`, parent: null };
    const trustedEvent: IpcEventLike = { senderFrame: appFrame, sender: { mainFrame: appFrame } };

    systemBrowser = await launchSystemBrowser();
    appBrowser = await chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: [...CHROMIUM_ARGS] });
    page = await appBrowser.newPage();
    page.setDefaultTimeout(15_000);
    page.on('console', (message) => {
      if (message.type() === 'error' || /Content Security Policy/i.test(message.text())) pageProblems.push(message.text());
    });
    page.on('pageerror', (error) => pageProblems.push(error.message));
    page.on('response', (response) => {
      if (response.status() >= 400) pageProblems.push(`${response.status()} ${response.url()}`);
    });
    await page.exposeFunction('__ipcInvoke', async (channel: string, args: unknown[]) => {
      const handler = handlers.get(channel);
      if (!handler) return { ok: false, error: { code: 'bad_request', message: `no handler for ${channel}` } };
      return handler(trustedEvent, ...args);
    });
    await page.addInitScript({ content: await bridgeInitScript() });

    auth.onSessionChange((state) => {
      void pushState(state).catch(() => undefined);
    });
    deepLinks = createDeepLinkRouter({ scheme: 'com.example.desktop', logger: silent });
    await bootAuth(auth, deepLinks, silent);
  });

  after(async () => {
    auth?.dispose();
    await appBrowser?.close();
    await systemBrowser?.close();
    await devProvider?.close();
    await new Promise((resolve) => server?.close(resolve));
    if (tempDir) await rm(tempDir, { recursive: true, force: true });
  });

  it('is served with the strict CSP and loads without CSP violations or errors', async () => {
    const response = await page.goto(`${origin}/index.html`);
    assert.equal(response?.status(), 200);
    assert.equal(response?.headers()['content-security-policy'], buildContentSecurityPolicy());
    await screen('signed-out');
    assert.deepEqual(pageProblems, []);
  });

  it('shows the signed-out screen with the provider host, accessibly', async () => {
    await screen('signed-out');
    const text = await page.textContent('[data-screen="signed-out"]');
    assert.match(text ?? '', new RegExp(`Sign-in service: ${new URL(devProvider.issuer).host.replace(/\./g, '\\.')}`));
    assert.match(text ?? '', /development/);
    await axe('signed-out');
  });

  it('shows the restoring screen accessibly', async () => {
    await pushState({ status: 'restoring' });
    await screen('restoring');
    await axe('restoring');
    await pushState(auth.getSession());
    await screen('signed-out');
  });

  it('shows "offline, will retry" accessibly while a restore waits for the provider (issue 9), not "signed out"', async () => {
    await pushState({ status: 'restoring', retry: { code: 'token_request_failed', message: 'not shown: the renderer has its own words', retryAt: Date.now() + 30_000 } });
    await screen('restoring-offline');
    const text = (await page.textContent('[data-screen="restoring-offline"]')) ?? '';
    assert.match(text, /Offline, will retry/);
    assert.match(text, /session is kept/);
    assert.equal(await page.isVisible('[data-screen="restoring-offline"] #sign-in'), true, 'signing in afresh stays possible while offline');
    assert.match((await page.textContent('[role="status"]')) ?? '', /Offline/);
    await axe('restoring-offline');
    await pushState(auth.getSession());
    await screen('signed-out');
  });

  it('signs in with the keyboard through the system browser and shows Dana Demo', async () => {
    const authorizeUrl = nextOpened();
    // Keyboard only: focus sits on the heading; Tab reaches "Sign in"; Enter presses it.
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate('document.activeElement && document.activeElement.id'), 'sign-in');
    await page.keyboard.press('Enter');

    await screen('signing-in');
    assert.match((await page.textContent('[role="status"]')) ?? '', /browser/);
    await axe('signing-in');
    const firstUrl = await authorizeUrl;

    // "Open the browser again" starts over: a new authorize request (new state), still waiting.
    const reopened = nextOpened();
    await page.click('#reopen-browser');
    const secondUrl = await reopened;
    // With PAR (the development provider offers it) the browser sees only a request_uri, which is new for each request.
    const requestOf = (url: string): string | null => new URL(url).searchParams.get('request_uri') ?? new URL(url).searchParams.get('state');
    assert.ok(requestOf(firstUrl), 'the authorize URL names its request (request_uri, or state without PAR)');
    assertSecretNotEqual(requestOf(secondUrl), requestOf(firstUrl), 'a new authorize request has a new state (pushed: a new request_uri)');
    await screen('signing-in');

    const callback = await systemBrowser.signIn(secondUrl, { redirectPrefix: 'com.example.desktop:' });
    // As a second instance's argv (Linux/Windows) delivers it.
    assert.equal(deepLinks.receive(['/usr/lib/electron/electron', '.', '--', callback, '--allow-file-access-from-files']), true);
    await deepLinks.idle();

    await screen('signed-in');
    assert.equal(await page.textContent('#user-name'), 'Dana Demo');
    assert.equal(await page.textContent('#user-email'), 'dana@example.test');
    assert.match((await page.textContent('[role="status"]')) ?? '', /Signed in as Dana Demo/);
    await axe('signed-in');
  });

  it('"Call API" shows the userinfo response as formatted JSON text', async () => {
    await page.click('#call-api');
    await page.waitForSelector('#api-output:not([hidden])');
    const text = (await page.textContent('#api-output')) ?? '';
    const claims = JSON.parse(text) as Record<string, unknown>;
    assert.equal(claims['name'], 'Dana Demo');
    assert.equal(typeof claims['sub'], 'string');
    assert.ok(text.includes('\n  "'), 'indented JSON');
    await axe('signed-in with the API response');
  });

  it('keeps the page free of credentials', async () => {
    const html = await page.content();
    // Not assert.doesNotMatch: its failure would print the page, and the JWT in it.
    assert.ok(!/eyJ[A-Za-z0-9_-]{10,}\./.test(html), 'no JWT in the DOM');
    const globals = (await page.evaluate('Object.keys(window).join(" ")')) as string;
    assert.doesNotMatch(globals, /token|verifier|ipcRenderer/i);
  });

  it('signs out back to the signed-out screen', async () => {
    await page.click('#sign-out');
    await screen('signed-out');
    assert.equal(auth.getSession().status, 'signed-out');
    assert.match((await page.textContent('[role="status"]')) ?? '', /Signed out/);
  });

  it('shows an error screen with words for the code, provider text as text only, and Retry', async () => {
    await pushState({
      status: 'error',
      error: { code: 'discovery_failed', message: '<img src=x onerror="globalThis.__pwned=1">Provider says <b>no</b>' },
    });
    await screen('error');
    assert.equal(await page.textContent('#error-message'), 'The sign-in service could not be reached. Check your internet connection and try again.');
    assert.equal(await page.textContent('.detail'), '<img src=x onerror="globalThis.__pwned=1">Provider says <b>no</b>');
    assert.equal(await page.evaluate('document.querySelectorAll("img, b").length'), 0);
    assert.equal(await page.evaluate('globalThis.__pwned === undefined'), true);
    await axe('error');

    // Retry starts a sign-in again (the real core: the browser is asked to open).
    const reopened = nextOpened();
    await page.click('#retry');
    await screen('signing-in');
    assert.ok((await reopened).startsWith(`${devProvider.issuer}/`));
    await page.click('#cancel-sign-in');
    await screen('signed-out');
  });

  it('shows the configuration error screen the shell produces for config_invalid', async () => {
    await pushState({ status: 'error', error: { code: 'config_invalid', message: 'The sign-in configuration is invalid:\n- issuer: is missing.' } });
    await screen('error');
    assert.match((await page.textContent('#error-message')) ?? '', /sign-in settings are not valid/);
    assert.equal(await page.textContent('#retry'), 'Check again');
    await axe('configuration error');
    assert.deepEqual(pageProblems, [], 'no console errors or CSP violations during the whole run');
  });
});
