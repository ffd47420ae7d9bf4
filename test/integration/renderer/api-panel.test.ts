/**
 * The "APIs" section of the signed-in screen (issue 18), in Chromium, with
 * the renderer's real bundle served through the app:// handler, the real
 * preload API over a stand-in for Electron's IPC, main's real IPC handlers
 * and the REAL core against the development provider with resource
 * indicators and three audience-checking resource servers. Each API shows
 * its state; "Call", "Grant access" and "Verify it's you" go through IPC to
 * the core; the browser round-trips happen in a second Chromium (the system
 * browser). Same page set-up as renderer.test.ts (see there for the why).
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import type { Server } from 'node:http';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { chromium, type Browser, type Page } from 'playwright-core';
import { createAuthService, createMemoryVault, validateConfig, type AuthService, type SessionState } from '../../../main/auth/index';
import { ACR_STRONG, DEMO_ONE_TIME_CODE } from '../../../main/dev-provider/demo-account';
import { startDevProvider, type DevProvider } from '../../../main/dev-provider/dev-provider';
import { APP_ORIGIN } from '../../../main/shell/app-protocol';
import { createIpcRouter, type IpcMainLike } from '../../../main/shell/ipc-handlers';
import { providerInfoFor, registerSessionHandlers } from '../../../main/shell/session-handlers';
import { appOriginOf, type IpcEventLike } from '../../../main/shell/trusted-sender';
import { toWireState } from '../../../main/shell/wire';
import { APP_IDENTITY } from '../../../main/app-identity';
import { startAudienceResourceServer, type AudienceResourceServer } from '../../support/audience-resource-server';
import { CHROMIUM_ARGS, launchSystemBrowser, systemBrowserPath, type SystemBrowser } from '../../support/system-browser';
import { bridgeInitScript, buildRenderer, serveRenderer } from '../../support/renderer-page';

const require = createRequire(import.meta.url);
const silent = { info() {}, warn() {}, error() {} };

const ORDERS = 'https://orders.api.test/';
const REPORTS = 'https://reports.api.test/';
const ADMIN = 'https://admin.api.test/';

interface AxeViolation {
  readonly id: string;
  readonly impact: string | null;
  readonly help: string;
  readonly nodes: string[];
}

describe('the APIs section of the signed-in screen, in Chromium against the real core', () => {
  let tempDir: string;
  let server: Server;
  let origin: string;
  let provider: DevProvider;
  let orders: AudienceResourceServer;
  let reports: AudienceResourceServer;
  let admin: AudienceResourceServer;
  let auth: AuthService;
  let appBrowser: Browser;
  let systemBrowser: SystemBrowser;
  let page: Page;
  let axeSource: string;
  const openWaiters: Array<(url: string) => void> = [];
  const pageProblems: string[] = [];
  const nextOpened = (): Promise<string> => new Promise((resolve) => openWaiters.push(resolve));

  const axe = async (label: string): Promise<void> => {
    for (const colorScheme of ['light', 'dark'] as const) {
      await page.emulateMedia({ colorScheme });
      if (!(await page.evaluate('typeof axe !== "undefined"'))) await page.evaluate(axeSource);
      const { violations, passed } = await page.evaluate<{ violations: AxeViolation[]; passed: number }>(`(async () => {
        const result = await axe.run(document, { resultTypes: ['violations'] });
        return { passed: result.passes.length, violations: result.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => n.target.join(' ')) })) };
      })()`);
      assert.ok(passed > 10, `axe ran (${passed} rules passed)`);
      assert.deepEqual(violations, [], `axe violations on the ${label} screen (${colorScheme}): ${JSON.stringify(violations, null, 2)}`);
    }
    await page.emulateMedia({ colorScheme: 'light' });
  };

  /** The API item's state, once it says `state` (bounded). */
  const apiState = (index: number, state: string) => page.waitForSelector(`#api-${index}[data-api-state="${state}"]`, { timeout: 15_000 });

  /** Presses a button of the panel, lets the user do their part in the system browser, hands the redirect to the core. */
  const throughBrowser = async (buttonId: string, options: { oneTimeCode?: string } = {}): Promise<void> => {
    const opened = nextOpened();
    await page.click(`#${buttonId}`);
    const callback = await systemBrowser.signIn(await opened, { redirectPrefix: `${APP_IDENTITY.urlScheme}:`, ...options });
    assert.equal(await auth.handleRedirect(callback), true);
  };

  before(async () => {
    tempDir = await mkdtemp(path.join(tmpdir(), 'api-panel-test-'));
    buildRenderer(tempDir);
    ({ server, origin } = await serveRenderer(path.join(tempDir, 'renderer')));
    axeSource = await readFile(require.resolve('axe-core/axe.min.js'), 'utf8');

    provider = await startDevProvider({
      resourceServers: [
        { indicator: ORDERS, scopes: ['orders.read'] },
        { indicator: REPORTS, scopes: ['reports.read'] },
        { indicator: ADMIN, scopes: ['admin.read'] },
      ],
    });
    orders = await startAudienceResourceServer({ issuer: provider.issuer, resource: ORDERS });
    reports = await startAudienceResourceServer({ issuer: provider.issuer, resource: REPORTS });
    admin = await startAudienceResourceServer({ issuer: provider.issuer, resource: ADMIN, strongAcr: ACR_STRONG });
    const config = validateConfig({
      issuer: provider.issuer,
      clientId: provider.clientId,
      redirectUri: APP_IDENTITY.defaultRedirectUri,
      endSessionInBrowser: false,
      scopes: ['openid', 'profile', 'email', 'offline_access', 'orders.read', 'admin.read'],
      apis: [
        { name: 'Orders', baseUrl: `${orders.baseUrl}whoami`, scopes: ['orders.read'], resource: ORDERS },
        { name: 'Reports', baseUrl: `${reports.baseUrl}whoami`, scopes: ['reports.read'], resource: REPORTS },
        // Every call to this base meets the route that wants the stronger sign-in.
        { name: 'Admin', baseUrl: `${admin.baseUrl}strong`, scopes: ['admin.read'], resource: ADMIN },
      ],
    });
    auth = createAuthService({
      config,
      vault: createMemoryVault(),
      openExternal: async (url) => {
        openWaiters.shift()?.(url);
      },
    });
    const handlers = new Map<string, (event: IpcEventLike, ...args: unknown[]) => unknown>();
    const ipcMain: IpcMainLike = { handle: (c, l) => void handlers.set(c, l), removeHandler: (c) => void handlers.delete(c) };
    const router = createIpcRouter({ ipcMain, origin: appOriginOf(APP_ORIGIN), logger: silent });
    registerSessionHandlers(router, Promise.resolve({ auth, providerInfo: providerInfoFor(config.issuer, true), apiBaseUrls: config.apiBaseUrls }));
    const appFrame = { url: `${APP_ORIGIN}/index.html`, parent: null };
    const trustedEvent: IpcEventLike = { senderFrame: appFrame, sender: { mainFrame: appFrame } };

    systemBrowser = await launchSystemBrowser();
    appBrowser = await chromium.launch({ executablePath: systemBrowserPath(), headless: true, args: [...CHROMIUM_ARGS] });
    page = await appBrowser.newPage();
    page.setDefaultTimeout(15_000);
    page.on('console', (message) => {
      if (message.type() === 'error' || /Content Security Policy/i.test(message.text())) pageProblems.push(message.text());
    });
    page.on('pageerror', (error) => pageProblems.push(error.message));
    await page.exposeFunction('__ipcInvoke', async (channel: string, args: unknown[]) => {
      const handler = handlers.get(channel);
      if (!handler) return { ok: false, error: { code: 'bad_request', message: `no handler for ${channel}` } };
      return handler(trustedEvent, ...args);
    });
    await page.addInitScript({ content: await bridgeInitScript() });
    auth.onSessionChange((state: SessionState) => {
      void page
        .evaluate(([wire]) => {
          (globalThis as unknown as { __ipcEmit(channel: string, payload: unknown): void }).__ipcEmit('session-changed', wire);
        }, [toWireState(state)] as const)
        .catch(() => undefined);
    });
  });

  after(async () => {
    auth?.dispose();
    await appBrowser?.close();
    await systemBrowser?.close();
    await orders?.close();
    await reports?.close();
    await admin?.close();
    await provider?.close();
    await new Promise((resolve) => server?.close(resolve));
    if (tempDir) await rm(tempDir, { recursive: true, force: true });
  });

  it('lists each API with its state; Call, Grant access and Verify it\'s you go through the core; no token reaches the page', async () => {
    await page.goto(`${origin}/index.html`);
    await page.waitForSelector('[data-screen="signed-out"]');
    await throughBrowser('sign-in');
    await page.waitForSelector('[data-screen="signed-in"]');

    // The section lists the three configured APIs, none called yet.
    await page.waitForSelector('#apis:not([hidden])');
    assert.deepEqual(await page.$$eval('#api-list .api-name strong', (nodes) => nodes.map((n) => n.textContent)), ['Orders', 'Reports', 'Admin']);
    for (const index of [0, 1, 2]) await apiState(index, 'idle');
    assert.equal(await page.textContent('#api-0-state'), 'Not called yet');
    await axe('signed-in with APIs');

    // Call Orders (keyboard: the button is reachable and operable).
    await page.focus('#api-0-call');
    await page.keyboard.press('Enter');
    await apiState(0, 'ready');
    await page.waitForSelector('#api-0-outcome:has-text("Answered HTTP 200")');
    assert.equal(orders.calls.at(-1)?.claimedAudience, ORDERS);

    // Reports needs consent: the panel says so and offers "Grant access"; the call opened no browser.
    await page.click('#api-1-call');
    await apiState(1, 'consent_required');
    assert.equal(await page.textContent('#api-1-state'), 'Needs your permission');
    assert.match((await page.textContent('#api-1-message')) ?? '', /Reports needs your permission/);
    assert.equal(await page.getAttribute('#api-1-grant', 'aria-label'), 'Grant access to Reports');
    assert.equal(openWaiters.length, 0, 'no browser was asked to open by the call');
    await axe('signed-in, an API needing consent');
    await throughBrowser('api-1-grant');
    await apiState(1, 'ready');
    await page.waitForSelector('#api-1-outcome:has-text("Answered HTTP 200")');
    assert.equal(reports.calls.at(-1)?.claimedAudience, REPORTS);

    // Admin wants a stronger sign-in: "Verify it's you", the one-time code in the browser, then the call.
    await page.click('#api-2-call');
    await apiState(2, 'step_up_required');
    assert.match((await page.textContent('#api-2-message')) ?? '', new RegExp(`Admin asks you to confirm it's you.*${ACR_STRONG.replaceAll('.', '\\.')}`));
    await axe('signed-in, an API asking for a step-up');
    await throughBrowser('api-2-verify', { oneTimeCode: DEMO_ONE_TIME_CODE });
    await apiState(2, 'ready');
    await page.waitForSelector('#api-2-outcome:has-text("Answered HTTP 200")');
    assert.equal(admin.calls.at(-1)?.outcome, 'ok');

    // Still the same session and user; the page holds no token of any kind.
    assert.equal(await page.textContent('#user-name'), 'Dana Demo');
    const html = await page.content();
    for (const server of [orders, reports, admin]) {
      for (const call of server.calls) assert.ok(call.claimedAudience !== undefined);
    }
    assert.doesNotMatch(html, /eyJ[A-Za-z0-9_-]{10,}\./, 'no JWT in the page');
    assert.deepEqual(pageProblems, []);
  });
});
