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
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import type { Server } from 'node:http';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { chromium, type Browser, type Page } from 'playwright-core';
import { createAuthService, createMemoryVault, loadConfig, type AuthService, type SessionState } from '../../../main/auth/index';
import { startDevProvider } from '../../../main/dev-provider/dev-provider';
import { APP_ORIGIN } from '../../../main/shell/app-protocol';
import { resolveAuthConfig, type DevProviderHandle } from '../../../main/shell/auth-config';
import { bootAuth } from '../../../main/shell/boot';
import { buildContentSecurityPolicy } from '../../../main/shell/content-security-policy';
import { createDeepLinkRouter, type DeepLinkRouter } from '../../../main/shell/deep-link-router';
import { registerClipboardHandlers } from '../../../main/shell/clipboard-handlers';
import { createIpcRouter, type IpcMainLike } from '../../../main/shell/ipc-handlers';
import { providerInfoFor, registerSessionHandlers } from '../../../main/shell/session-handlers';
import { createSignInLinkKeeper } from '../../../main/shell/sign-in-link';
import { appOriginOf, type IpcEventLike } from '../../../main/shell/trusted-sender';
import { toWireState } from '../../../main/shell/wire';
import { APP_IDENTITY } from '../../../main/app-identity';
import { CHROMIUM_ARGS, launchSystemBrowser, systemBrowserPath, type SystemBrowser } from '../../support/system-browser';
import { assertNoSecret, assertSecretEqual, assertSecretNotEqual } from '../../support/secret-assert';
import { bridgeInitScript, buildRenderer, serveRenderer } from '../../support/renderer-page';

const require = createRequire(import.meta.url);
const silent = { info() {}, warn() {}, error() {} };

interface AxeViolation {
  readonly id: string;
  readonly impact: string | null;
  readonly help: string;
  readonly nodes: string[];
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
  /** What the copy actions put on the clipboard: main's clipboard, stubbed. */
  const clipboard: string[] = [];
  /** What main's configuration re-read answers next ("Check again"); undefined: the core's state. */
  let recheckAnswer: SessionState | undefined;

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

  const focusedId = async (): Promise<string> => (await page.evaluate('document.activeElement ? document.activeElement.id : ""')) as string;

  /**
   * Keyboard only: Tab (at most 12 times) until the button has focus, then
   * Enter. Fails if Tab never reaches it, so every button pressed this way is
   * proven reachable and operable without a mouse.
   */
  const pressWithKeyboard = async (id: string): Promise<void> => {
    for (let i = 0; i < 12 && (await focusedId()) !== id; i++) await page.keyboard.press('Tab');
    assert.equal(await focusedId(), id, `Tab reaches #${id}`);
    await page.keyboard.press('Enter');
  };

  /** The next text the copy actions write, bounded. */
  const nextCopy = async (count: number): Promise<string> => {
    const deadline = Date.now() + 10_000;
    while (clipboard.length < count) {
      if (Date.now() > deadline) throw new Error(`no clipboard write #${count} within 10 s`);
      await new Promise((resolve) => setImmediate(resolve));
    }
    return clipboard[count - 1] ?? '';
  };

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
    const signInLink = createSignInLinkKeeper({ status: 'signed-out' });
    auth = createAuthService({
      config: setup.config,
      vault: createMemoryVault(),
      openExternal: async (url) => {
        // As main.ts: the keeper sees every URL the core sends to the browser.
        signInLink.opened(url);
        opened.push(url);
        openWaiters.shift()?.(url);
      },
    });
    auth.onSessionChange((state) => signInLink.stateChanged(state));

    // Main's IPC handlers, exactly as main.ts registers them.
    const handlers = new Map<string, (event: IpcEventLike, ...args: unknown[]) => unknown>();
    const ipcMain: IpcMainLike = { handle: (c, l) => void handlers.set(c, l), removeHandler: (c) => void handlers.delete(c) };
    const router = createIpcRouter({ ipcMain, origin: appOriginOf(APP_ORIGIN), logger: silent });
    registerSessionHandlers(
      router,
      Promise.resolve({ auth, providerInfo: providerInfoFor(setup.config.issuer, true), apiBaseUrls: setup.config.apiBaseUrls }),
      { recheckConfiguration: async () => recheckAnswer ?? auth.getSession() },
    );
    registerClipboardHandlers(router, {
      clipboard: { writeText: (text) => void clipboard.push(text) },
      signInLink: () => signInLink.current(),
      report: { productName: 'OIDC Desktop', version: '0.1.0', runtime: 'renderer test' },
    });
    const appFrame = { url: `${APP_ORIGIN}/index.html`, parent: null };
    const trustedEvent: IpcEventLike = { senderFrame: appFrame, sender: { mainFrame: appFrame } };

    systemBrowser = await launchSystemBrowser();
    appBrowser = await chromium.launch({ executablePath: systemBrowserPath(), headless: true, args: [...CHROMIUM_ARGS] });
    page = await appBrowser.newPage();
    page.setDefaultTimeout(15_000);
    // Page timers run on a clock the tests can move ("still waiting for the browser" after a minute); it ticks with real time otherwise.
    await page.clock.install();
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
    deepLinks = createDeepLinkRouter({ scheme: APP_IDENTITY.urlScheme, logger: silent });
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

  // Issue 16 item 6: a renewal refused for good is told with the provider's reason, beside the Sign in button.
  it('signed out after a refused renewal: the provider\'s reason is shown; the generic "session ended" is not said twice', async () => {
    const reason = 'Your session could not be renewed: the provider refused it (invalid_request), saying: refresh token not found. Please sign in again.';
    await pushState({ status: 'signed-out', error: { code: 'session_ended', message: reason } });
    await screen('signed-out');
    assert.equal(await page.textContent('#signed-out-reason'), reason);
    assert.ok(await page.isVisible('#sign-in'), 'a Sign in button');
    await axe('signed-out after a refused renewal');
    await pushState({ status: 'signed-out', error: { code: 'session_ended', message: 'Your session ended; please sign in again.' } });
    await page.waitForSelector('#signed-out-reason', { state: 'detached', timeout: 5_000 });
    await pushState(auth.getSession());
    await screen('signed-out');
  });

  it('shows the restoring screen accessibly', async () => {
    await pushState({ status: 'restoring' });
    await screen('restoring');
    await axe('restoring');
    await pushState(auth.getSession());
    await screen('signed-out');
  });

  it('shows "offline, will retry" accessibly while a restore waits for the provider (issue 9), with one message and no "try again"', async () => {
    const retryAt = Date.now() + 30_000;
    await pushState({ status: 'restoring', retry: { code: 'token_request_failed', message: 'not shown: the renderer has its own words', retryAt } });
    await screen('restoring-offline');
    const text = (await page.textContent('[data-screen="restoring-offline"]')) ?? '';
    assert.match(text, /Offline, will retry/);
    assert.match(text, /session is kept, and the app tries again by itself at /);
    assert.equal(await page.getAttribute('[data-screen="restoring-offline"] time', 'datetime'), new Date(retryAt).toISOString());
    // The core's words for token_request_failed end in "Try again": not on this screen, where the app retries by itself.
    assert.doesNotMatch(text, /try again\./i);
    assert.doesNotMatch(text, /not shown/);
    assert.equal(await page.isVisible('[data-screen="restoring-offline"] #sign-in'), true, 'signing in afresh stays possible while offline');
    assert.match((await page.textContent('[role="status"]')) ?? '', /Offline/);
    await axe('restoring-offline');
    // "Sign in now" from the keyboard starts a sign-in (the real core asks the browser to open); cancel it the same way.
    const opening = nextOpened();
    await pressWithKeyboard('sign-in');
    await screen('signing-in');
    assert.ok((await opening).startsWith(`${devProvider.issuer}/`));
    await pressWithKeyboard('cancel-sign-in');
    await screen('signed-out');
  });

  it('signs in with the keyboard through the system browser; copies the sign-in link; says when it waited long; shows Dana Demo', async () => {
    const authorizeUrl = nextOpened();
    // Keyboard only: focus sits on the heading; Tab reaches "Sign in"; Enter presses it.
    await page.keyboard.press('Tab');
    assert.equal(await focusedId(), 'sign-in');
    await page.keyboard.press('Enter');

    await screen('signing-in');
    assert.match((await page.textContent('[role="status"]')) ?? '', /browser/);
    assert.equal(await page.isVisible('#still-waiting'), false, 'no "still waiting" note at first');
    await axe('signing-in');
    const firstUrl = await authorizeUrl;

    // "Open the browser again" starts over: a new authorize request (new state), still waiting.
    const reopened = nextOpened();
    await pressWithKeyboard('reopen-browser');
    const secondUrl = await reopened;
    // With PAR (the development provider offers it) the browser sees only a request_uri, which is new for each request.
    const requestOf = (url: string): string | null => new URL(url).searchParams.get('request_uri') ?? new URL(url).searchParams.get('state');
    assert.ok(requestOf(firstUrl), 'the authorize URL names its request (request_uri, or state without PAR)');
    assertSecretNotEqual(requestOf(secondUrl), requestOf(firstUrl), 'a new authorize request has a new state (pushed: a new request_uri)');
    await screen('signing-in');

    // "Copy sign-in link": main puts the flow's authorize URL on the clipboard, the newest one, and nothing else.
    const copies = clipboard.length;
    await pressWithKeyboard('copy-sign-in-link');
    const link = await nextCopy(copies + 1);
    assertSecretEqual(link, secondUrl, 'the copied link is the authorize URL of the flow in progress');
    // Under PAR the link carries the client and the request_uri only: no challenge, state or nonce, let alone a verifier.
    assert.deepEqual([...new URL(link).searchParams.keys()].sort(), ['client_id', 'request_uri']);
    await page.waitForSelector('#copy-confirmation:has-text("Sign-in link copied")');
    assert.match((await page.textContent('[role="status"]')) ?? '', /Sign-in link copied/);

    // After a minute of waiting the screen says so (page clock moved, not waited for).
    await page.clock.fastForward(61_000);
    await page.waitForSelector('#still-waiting:visible');
    assert.match((await page.textContent('#still-waiting')) ?? '', /Still waiting for the browser…/);
    assert.equal(await page.isVisible('#cancel-sign-in'), true);
    await axe('signing-in, waited long');

    const callback = await systemBrowser.signIn(link, { redirectPrefix: `${APP_IDENTITY.urlScheme}:` });
    // As a second instance's argv (Linux/Windows) delivers it.
    assert.equal(deepLinks.receive(['/usr/lib/electron/electron', '.', '--', callback, '--allow-file-access-from-files']), true);
    await deepLinks.idle();

    await screen('signed-in');
    assert.equal(await page.textContent('#user-name'), 'Dana Demo');
    assert.equal(await page.textContent('#user-email'), 'dana@example.test');
    assert.equal(await page.textContent('#user-provider'), `via ${new URL(devProvider.issuer).host}development`);
    assert.equal(await page.textContent('.avatar.initials'), 'DD');
    assert.equal(await page.textContent('#session-line'), 'Your session renews itself while the app is open.');
    const screenText = (await page.textContent('[data-screen="signed-in"]')) ?? '';
    assert.doesNotMatch(screenText, /valid until|expires/i, 'no token expiry on the signed-in screen');
    assert.match((await page.textContent('[role="status"]')) ?? '', /Signed in as Dana Demo/);
    await axe('signed-in');
    // The flow is over: no link is left to copy.
    assert.equal(await page.isVisible('#copy-sign-in-link'), false);
  });

  it('"Show profile details" lists the userinfo claims in words, not raw JSON', async () => {
    await pressWithKeyboard('show-profile');
    await page.waitForSelector('#profile:not([hidden])');
    const value = (claim: string) => page.textContent(`#claims dd[data-claim="${claim}"]`);
    assert.equal(await value('name'), 'Dana Demo');
    assert.equal(await value('email'), 'dana@example.test');
    assert.equal(await value('email_verified'), 'Yes');
    assert.equal(await value('sub'), 'demo-user-1');
    const terms = await page.$$eval('#claims dt', (nodes) => nodes.map((node) => node.textContent));
    assert.deepEqual(terms.slice(0, 3), ['Name', 'E-mail', 'E-mail verified'], 'known claims first, with labels');
    const text = (await page.textContent('#profile')) ?? '';
    assert.doesNotMatch(text, /[{}"]/, 'no JSON syntax');
    assert.match((await page.textContent('[role="status"]')) ?? '', /Profile details shown/);
    await axe('signed-in with profile details');
  });

  it('offline while signed in: one line, with the time it went offline', async () => {
    const live = auth.getSession();
    assert.equal(live.status, 'signed-in');
    if (live.status !== 'signed-in') return;
    await pushState({ ...live, stale: true });
    await page.waitForSelector('#session-line.notice');
    const line = (await page.textContent('#session-line')) ?? '';
    assert.match(line, /^Offline since \S.*\. You stay signed in; the app renews your session when the sign-in service can be reached\.$/);
    assert.ok(await page.getAttribute('#session-line time', 'datetime'), 'the time is machine-readable too');
    await axe('signed-in, offline');
    await pushState(live);
    await page.waitForSelector('#session-line:not(.notice)');
  });

  it('keeps the page free of credentials', async () => {
    const html = await page.content();
    // Not assert.doesNotMatch: its failure would print the page, and the JWT in it.
    assert.ok(!/eyJ[A-Za-z0-9_-]{10,}\./.test(html), 'no JWT in the DOM');
    const globals = (await page.evaluate('Object.keys(window).join(" ")')) as string;
    assert.doesNotMatch(globals, /token|verifier|ipcRenderer/i);
  });

  it('the focus ring is the accent colour, in light and dark, and the system colour in forced-colours mode', async () => {
    await page.focus('#sign-out');
    await page.keyboard.press('Shift+Tab');
    await page.keyboard.press('Tab');
    assert.equal(await focusedId(), 'sign-out');
    const ring = () => page.evaluate('(() => { const s = getComputedStyle(document.activeElement); return s.outlineStyle + " " + s.outlineColor; })()');
    assert.equal(await ring(), 'solid rgb(11, 87, 208)', 'light: the accent');
    await page.emulateMedia({ colorScheme: 'dark' });
    assert.equal(await ring(), 'solid rgb(138, 180, 248)', 'dark: the accent');
    await page.emulateMedia({ colorScheme: 'light', forcedColors: 'active' });
    try {
      const forced = (await ring()) as string;
      assert.match(forced, /^solid /);
      assert.doesNotMatch(forced, /rgb\(11, 87, 208\)/, 'forced colours: the system highlight, not the page colour');
      await axe('signed-in, forced colours');
    } finally {
      await page.emulateMedia({ colorScheme: 'light', forcedColors: 'none' });
    }
  });

  it('signs out with the keyboard back to the signed-out screen', async () => {
    await pressWithKeyboard('sign-out');
    await screen('signed-out');
    assert.equal(auth.getSession().status, 'signed-out');
    assert.match((await page.textContent('[role="status"]')) ?? '', /Signed out/);
  });

  it('"Copy sign-in link" with no sign-in waiting says there is nothing to copy', async () => {
    const result = (await page.evaluate('window.session.copySignInLink()')) as { ok: boolean; error?: { code: string } };
    assert.deepEqual(result, { ok: false, error: { code: 'nothing_to_copy', message: 'No sign-in is waiting for the browser.' } });
  });

  it('shows an error screen with words for the code, provider text as text only, Copy details and Try again', async () => {
    const jwtLike = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJkZW1vIn0.c2lnbmF0dXJlLXBhcnQ';
    await pushState({
      status: 'error',
      error: { code: 'discovery_failed', message: `<img src=x onerror="globalThis.__pwned=1">Provider says <b>no</b> ${jwtLike}` },
    });
    await screen('error');
    assert.equal(await page.textContent('#error-message'), 'The sign-in service could not be reached. Check your internet connection and try again.');
    assert.equal(await page.textContent('.detail'), `<img src=x onerror="globalThis.__pwned=1">Provider says <b>no</b> ${jwtLike}`);
    assert.equal(await page.evaluate('document.querySelectorAll("img, b").length'), 0);
    assert.equal(await page.evaluate('globalThis.__pwned === undefined'), true);
    await axe('error');

    // "Copy details": code, words, time, version; anything token-shaped scrubbed by main.
    const copies = clipboard.length;
    const before = Date.now();
    await pressWithKeyboard('copy-details');
    const report = await nextCopy(copies + 1);
    const lines = report.trimEnd().split('\n');
    assert.equal(lines[0], 'OIDC Desktop 0.1.0 (renderer test)');
    const time = Date.parse((lines[1] ?? '').replace(/^Time: /, ''));
    assert.ok(time >= before - 1000 && time <= Date.now() + 1000, `a current time: ${lines[1]}`);
    assert.equal(lines[2], 'Code: discovery_failed');
    assert.equal(lines[3], 'Message: The sign-in service could not be reached. Check your internet connection and try again.');
    assert.match(lines[4] ?? '', /^Details: <img src=x onerror="globalThis.__pwned=1">Provider says <b>no<\/b> /);
    assertNoSecret(report, [jwtLike], 'the copied details');
    await page.waitForSelector('#copy-confirmation:has-text("Details copied")');

    // Try again starts a sign-in again (the real core: the browser is asked to open).
    const reopened = nextOpened();
    await pressWithKeyboard('retry');
    await screen('signing-in');
    assert.ok((await reopened).startsWith(`${devProvider.issuer}/`));
    await pressWithKeyboard('cancel-sign-in');
    await screen('signed-out');
  });

  it('first run: a welcome screen (not an error) for config_missing, whose "Check again" reads the configuration again', async () => {
    const notSetUp: SessionState = { status: 'error', error: { code: 'config_missing', message: 'Create the file /home/u/.config/OIDC Desktop/oidc-config.json:\n{ "issuer": … }' } };
    await pushState(notSetUp);
    await screen('welcome');
    assert.equal(await page.textContent('#screen-title'), 'Set up sign-in');
    assert.match((await page.textContent('#error-message')) ?? '', /^Welcome! To sign in, the app needs to know your sign-in service/);
    assert.equal(await page.getAttribute('#error-message', 'class'), 'notice info', 'a notice, not an error');
    assert.match((await page.textContent('#config-help')) ?? '', /oidc-config\.json:\n\{ "issuer": … \}/);
    assert.equal(await page.textContent('#retry'), 'Check again');
    assert.match((await page.textContent('[role="status"]')) ?? '', /^Welcome\. Sign-in is not set up yet\.$/);
    await axe('welcome');

    // Still nothing configured: the screen stays and says it checked.
    recheckAnswer = notSetUp;
    await pressWithKeyboard('retry');
    await page.waitForFunction('/still not set up/.test(document.querySelector(\'[role="status"]\')?.textContent ?? "")');
    await screen('welcome');
    // Configured now: the answer is the core's state, and the screen follows it.
    recheckAnswer = undefined;
    await pressWithKeyboard('retry');
    await screen('signed-out');
  });

  it('a configuration that needs a fix (config_invalid): the steps in full, a warning rather than an error, and "Check again"', async () => {
    const broken: SessionState = { status: 'error', error: { code: 'config_invalid', message: 'The sign-in configuration is invalid:\n- issuer: is missing.' } };
    await pushState(broken);
    await screen('setup');
    assert.equal(await page.textContent('#screen-title'), 'Fix the sign-in settings');
    assert.match((await page.textContent('#error-message')) ?? '', /sign-in settings need a fix/);
    assert.equal(await page.getAttribute('#error-message', 'class'), 'notice warning');
    assert.equal(await page.textContent('#config-help'), 'The sign-in configuration is invalid:\n- issuer: is missing.');
    await axe('configuration needs a fix');
    recheckAnswer = broken;
    await pressWithKeyboard('retry');
    await page.waitForFunction('/settings still need a fix/.test(document.querySelector(\'[role="status"]\')?.textContent ?? "")');
    recheckAnswer = undefined;
    await pressWithKeyboard('retry');
    await screen('signed-out');
    assert.deepEqual(pageProblems, [], 'no console errors or CSP violations during the whole run');
  });
});
