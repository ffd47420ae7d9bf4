/**
 * `npm run screenshots`: pictures of the app's main screens, light and dark,
 * for the README (docs/screenshots/*.png).
 *
 * The renderer is the real bundle (scripts/build.mjs --renderer-only, as the
 * renderer tests build it), served through the app's own app:// handler with
 * its CSP, in Chromium through playwright-core: TEST_BROWSER when set, else
 * the OS's usual Chromium, Chrome or Edge (test/support/browser-path.ts). `window.session` is a stand-in that answers
 * each screen's session state, the same states the renderer tests
 * (test/integration/renderer/renderer.test.ts) drive the real core into; the
 * clock is fixed, so the pictures change only when the UI does.
 *
 * Run it after changing anything under renderer/, look at the pictures, and
 * commit them with the change.
 */
import { mkdir, mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Page } from 'playwright-core';
import type { ApiInfo, ProviderInfo, SessionState, UserInfo } from '../main/ipc/contract';
import { APP_IDENTITY } from '../main/app-identity';
import { notConfiguredMessage } from '../main/shell/auth-config';
import { systemBrowserPath } from '../test/support/browser-path';
import { buildRenderer, serveRenderer } from '../test/support/renderer-page';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const OUT_DIR = path.join(root, 'docs', 'screenshots');
/** The APIs section of the signed-in screen (issue 18): one API in use, one that needs consent. */
const APIS: readonly ApiInfo[] = [
  { name: 'Orders', baseUrl: 'https://orders.example.com/', state: 'ready' },
  { name: 'Reports', baseUrl: 'https://reports.example.com/', state: 'consent_required' },
];
const BROWSER = systemBrowserPath();
/** The app window's default width (main/shell/window-options.ts); each picture is as tall as its screen, at least this. */
const VIEWPORT = { width: 520, height: 420 };
/** A fixed moment for every picture: 10:42 UTC. */
const NOW = Date.parse('2026-03-02T10:42:00Z');

const configuredProvider: ProviderInfo = { issuerHost: 'login.example.com', development: false };
const claims: UserInfo = {
  sub: '248289761001',
  name: 'Dana Demo',
  given_name: 'Dana',
  family_name: 'Demo',
  email: 'dana@example.com',
  email_verified: true,
  locale: 'en-GB',
};

interface Scene {
  readonly name: string;
  readonly state: SessionState;
  /** Default: a configured provider. Unconfigured (the welcome screen): no host. */
  readonly provider?: ProviderInfo;
  /** What to do on the page before the picture (a click, the clock moved on). */
  readonly act?: (page: Page) => Promise<void>;
}

const scenes: readonly Scene[] = [
  { name: 'signed-out', state: { status: 'signed-out' } },
  {
    name: 'signing-in',
    state: { status: 'signing-in' },
    act: async (page) => {
      // The note a sign-in shows after waiting a minute.
      await page.clock.runFor(61_000);
      await page.waitForSelector('#still-waiting:visible');
    },
  },
  {
    name: 'signed-in',
    state: { status: 'signed-in', user: { sub: claims.sub, name: 'Dana Demo', email: 'dana@example.com' }, expiresAt: NOW + 3_600_000 },
    act: async (page) => {
      await page.click('#show-profile');
      await page.waitForSelector('#profile:not([hidden])');
      // The picture shows the screen, not the focus ring or hover of the button just clicked.
      await page.evaluate('document.activeElement && document.activeElement.blur()');
      await page.mouse.move(0, 0);
    },
  },
  { name: 'offline', state: { status: 'restoring', retry: { code: 'network_error', message: '', retryAt: NOW + 90_000 } } },
  {
    name: 'error',
    state: { status: 'error', error: { code: 'discovery_failed', message: 'The provider at https://login.example.com answered HTTP 503.' } },
  },
  {
    name: 'welcome',
    provider: { issuerHost: '', development: false },
    state: {
      status: 'error',
      error: {
        code: 'config_missing',
        // The words the app really shows (auth-config.ts), for a user on Linux.
        message: notConfiguredMessage(`/home/dana/.config/${APP_IDENTITY.productName}/oidc-config.json`),
      },
    },
  },
];

/** `window.session` for one scene: answers its state, and userinfo with the claims above. */
function bridgeScript(state: SessionState, provider: ProviderInfo): string {
  return `(() => {
    const ok = (value) => Promise.resolve({ ok: true, value });
    const state = ${JSON.stringify(state)};
    Object.defineProperty(window, 'session', {
      enumerable: true,
      value: Object.freeze({
        getSession: () => ok(state),
        getProviderInfo: () => ok(${JSON.stringify(provider)}),
        signIn: () => ok(undefined),
        cancelSignIn: () => ok(undefined),
        signOut: () => ok(undefined),
        getUserInfo: () => ok(${JSON.stringify(claims)}),
        callApi: () => ok({ status: 200, contentType: null, body: null }),
        getApis: () => ok(${JSON.stringify(APIS)}),
        grantApiAccess: () => ok({ status: 200, contentType: null, body: null }),
        stepUpApi: () => ok({ status: 200, contentType: null, body: null }),
        recheckConfiguration: () => ok(state),
        copySignInLink: () => ok(undefined),
        copyErrorDetails: () => ok(undefined),
        onSessionChanged: () => () => {},
      }),
    });
  })();`;
}

async function main(): Promise<void> {
  const buildDir = await mkdtemp(path.join(tmpdir(), 'screenshots-'));
  // The renderer tests' own build and app:// server (test/support/renderer-page.ts).
  buildRenderer(buildDir);
  const { server, origin } = await serveRenderer(path.join(buildDir, 'renderer'));
  try {

    await mkdir(OUT_DIR, { recursive: true });
    const browser = await chromium.launch({ executablePath: BROWSER, headless: true, args: ['--no-sandbox', '--disable-gpu', '--font-render-hinting=none'] });
    try {
      for (const colorScheme of ['light', 'dark'] as const) {
        for (const scene of scenes) {
          const context = await browser.newContext({ viewport: VIEWPORT, deviceScaleFactor: 1, colorScheme, locale: 'en-GB', timezoneId: 'UTC' });
          const page = await context.newPage();
          page.setDefaultTimeout(15_000);
          const problems: string[] = [];
          page.on('console', (message) => {
            if (message.type() === 'error') problems.push(message.text());
          });
          page.on('pageerror', (error) => problems.push(error.message));
          await page.clock.install({ time: NOW });
          await page.addInitScript({ content: bridgeScript(scene.state, scene.provider ?? configuredProvider) });
          await page.goto(`${origin}/index.html`);
          await page.waitForSelector(`[data-screen]:not([data-screen="starting"])`);
          await scene.act?.(page);
          if (problems.length > 0) throw new Error(`the ${scene.name} screen (${colorScheme}) logged errors: ${problems.join('; ')}`);
          const file = path.join(OUT_DIR, `${scene.name}-${colorScheme}.png`);
          await page.screenshot({ path: file, fullPage: true });
          process.stdout.write(`${path.relative(root, file)} (${Math.round((await stat(file)).size / 1024)} KB)\n`);
          await context.close();
        }
      }
    } finally {
      await browser.close();
    }
  } finally {
    server.close();
    await rm(buildDir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`screenshots: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
