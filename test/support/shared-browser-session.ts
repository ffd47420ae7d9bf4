/**
 * The user's own browser, where the provider's session from an earlier
 * sign-in is still there: one Chromium context shared by several
 * round-trips (test/support/system-browser.ts uses a fresh context per
 * sign-in, which hides what a provider does with its own session, e.g.
 * oidc-provider extending the same grant). Loopback redirect mode, so the
 * browser really navigates back to the app's listener.
 */
import { chromium, type Browser, type BrowserContext } from 'playwright-core';
import { CHROMIUM_ARGS, systemBrowserPath } from './system-browser';

export interface SharedBrowserSession {
  /** Opens `url`; logs in as demo/demo when the provider asks; resolves once the browser is back at the app's 127.0.0.1 listener. */
  open(url: string): Promise<{ loginShown: boolean }>;
  close(): Promise<void>;
}

export async function launchSharedBrowserSession(): Promise<SharedBrowserSession> {
  const browser: Browser = await chromium.launch({ executablePath: systemBrowserPath(), headless: true, args: [...CHROMIUM_ARGS] });
  const context: BrowserContext = await browser.newContext();
  return {
    async open(url) {
      const page = await context.newPage();
      try {
        page.setDefaultTimeout(15_000);
        await page.goto(url);
        const loginShown = (await page.locator('#username').count()) > 0;
        if (loginShown) {
          await page.fill('#username', 'demo');
          await page.fill('#password', 'demo');
          await Promise.all([page.waitForURL((u) => u.hostname === '127.0.0.1' && u.pathname === '/callback'), page.click('button:has-text("Sign in")')]);
        } else {
          await page.waitForURL((u) => u.hostname === '127.0.0.1' && u.pathname === '/callback');
        }
        await page.waitForLoadState('load');
        return { loginShown };
      } finally {
        await page.close();
      }
    },
    async close() {
      await context.close();
      await browser.close();
    },
  };
}
