/**
 * Chromium playing the user's system browser in tests.
 *
 * `signIn()` opens an authorize URL in a fresh context, fills the development
 * provider's login page (or presses its Cancel button) and returns the
 * redirect URL the app would receive:
 *
 * - Custom scheme (`redirectPrefix` like `com.example.desktop:`): Chromium
 *   cannot open the scheme, so the provider's final 3xx response is paused
 *   with the DevTools protocol (`Fetch.enable` at the Response stage for the
 *   provider's origin). Its `Location` header, byte for byte, is what the
 *   OS would hand the app; the paused response is answered with a small
 *   "return to the app" page instead.
 * - Loopback (`redirectPrefix` starting with `http://127.0.0.1`): the browser
 *   really navigates to the app's listener. `signIn()` resolves with the URL
 *   the browser ended on once that page has loaded; `lastPageText()` gives
 *   the text of that page (what the user sees after the redirect).
 *
 * When the provider keeps the browser on one of its own pages (wrong
 * password, an error page), `signIn()` rejects with a `SignInRejectedError`
 * carrying the page's alert text. Every call is bounded by `timeoutMs`.
 */
import { chromium } from 'playwright-core';
import type { Browser, CDPSession, Page } from 'playwright-core';
import { systemBrowserPath } from './browser-path';

export { systemBrowserPath };

export const CHROMIUM_ARGS: readonly string[] = Object.freeze([
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  // Every lookup but 127.0.0.1 fails at once: tests never reach the network.
  '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1',
]);

export interface SignInOptions {
  /** `com.example.desktop:` (custom scheme, captured) or `http://127.0.0.1:<port>/callback` (loopback, navigated to). */
  readonly redirectPrefix: string;
  /** Default `demo`. */
  readonly username?: string;
  /** Default `demo`. */
  readonly password?: string;
  /** Typed into the development provider's one-time code field (its stronger sign-in); left empty by default. */
  readonly oneTimeCode?: string;
  /** `login` (default) submits the form; `cancel` presses the provider's Cancel button. */
  readonly action?: 'login' | 'cancel';
  /** Default 20 000. */
  readonly timeoutMs?: number;
}

export interface SystemBrowser {
  /** Resolves with the redirect URL the app receives (see the file comment for both modes). */
  signIn(authorizeUrl: string, options: SignInOptions): Promise<string>;
  /**
   * Text of the page the last `signIn()` ended on: the app's loopback page, the
   * "return to the app" page, or the provider page a rejection happened on.
   */
  lastPageText(): Promise<string>;
  close(): Promise<void>;
}

/** The provider kept the browser on one of its own pages instead of redirecting to the app. */
export class SignInRejectedError extends Error {
  override readonly name = 'SignInRejectedError';
  constructor(
    message: string,
    /** The text of the provider's alert on that page, if any. */
    readonly alertText: string,
    readonly pageUrl: string,
  ) {
    super(message);
  }
}

const RETURN_TO_APP_PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Return to the app</title></head>
<body><main><h1>Return to the app</h1><p>Sign-in is complete. You can close this tab and return to the app.</p></main></body></html>`;

const CLEANUP_STEP_MS = 3_000;

export async function launchSystemBrowser(): Promise<SystemBrowser> {
  // TEST_BROWSER, or the OS's usual Chromium/Chrome/Edge; throws a message naming TEST_BROWSER when there is none.
  const browser = await chromium.launch({ executablePath: systemBrowserPath(), headless: true, args: [...CHROMIUM_ARGS] });
  let lastText = '';
  let closed = false;

  return {
    async signIn(authorizeUrl, options) {
      if (closed) throw new Error('the system browser is closed');
      const outcome = await signInOnce(browser, authorizeUrl, options);
      lastText = outcome.pageText;
      if (outcome.error) throw outcome.error;
      return outcome.url;
    },
    async lastPageText() {
      return lastText;
    },
    async close() {
      if (closed) return;
      closed = true;
      await browser.close();
    },
  };
}

interface SignInOutcome {
  readonly url: string;
  readonly pageText: string;
  readonly error?: Error;
}

async function signInOnce(browser: Browser, authorizeUrl: string, options: SignInOptions): Promise<SignInOutcome> {
  const timeoutMs = options.timeoutMs ?? 20_000;
  const loopback = options.redirectPrefix.startsWith('http://127.0.0.1');
  const providerOrigin = new URL(authorizeUrl).origin;
  const context = await browser.newContext();
  const page = await context.newPage();
  page.setDefaultTimeout(timeoutMs);
  page.setDefaultNavigationTimeout(timeoutMs);
  let cdp: CDPSession | undefined;

  try {
    let capture: Capture | undefined;
    if (!loopback) {
      cdp = await context.newCDPSession(page);
      capture = await captureRedirect(cdp, providerOrigin, options.redirectPrefix);
    }
    const flow = runFlow(page, authorizeUrl, options, loopback, capture);
    const url = await withDeadline(flow, timeoutMs, () =>
      `signIn did not reach ${options.redirectPrefix} within ${timeoutMs} ms (the page was at ${page.url()})`,
    );
    // A captured redirect can win the race against the load of the "return to the app" page.
    await bounded(page.waitForLoadState('load'));
    return { url, pageText: await pageText(page) };
  } catch (error) {
    return { url: '', pageText: await pageText(page), error: error instanceof Error ? error : new Error(String(error)) };
  } finally {
    // Order matters: with Fetch still enabled, closing the page can hang.
    if (cdp) {
      const session = cdp;
      await bounded(session.send('Fetch.disable'));
      await bounded(session.detach());
    }
    await bounded(page.close());
    await bounded(context.close());
  }
}

async function runFlow(
  page: Page,
  authorizeUrl: string,
  options: SignInOptions,
  loopback: boolean,
  capture: Capture | undefined,
): Promise<string> {
  const reached = (): string | undefined => {
    if (capture?.url) return capture.url;
    if (loopback && page.url().startsWith(options.redirectPrefix)) return page.url();
    return undefined;
  };
  const settle = async (navigation: Promise<unknown>): Promise<string | undefined> => {
    // A captured redirect settles the flow even if the page is still loading the "return" page.
    const captured = capture ? capture.done.then(() => undefined) : new Promise<never>(() => undefined);
    await Promise.race([navigation, captured]);
    if (capture?.error) throw capture.error;
    return reached();
  };

  // Straight from the authorize request (an error, or a session that needs no login).
  let result = await settle(page.goto(authorizeUrl, { waitUntil: 'load' }));
  if (result) return result;

  const username = page.locator('#username');
  if ((await username.count()) === 0) {
    throw await rejection(page, 'the provider did not show its login page');
  }
  const before = page.url();
  if ((options.action ?? 'login') === 'cancel') {
    const cancel = page.getByRole('button', { name: 'Cancel' });
    result = await settle(
      cancel.click().then(() => page.waitForURL((u) => u.href !== before, { waitUntil: 'load' })),
    );
  } else {
    await username.fill(options.username ?? 'demo');
    await page.getByLabel('Password').fill(options.password ?? 'demo');
    if (options.oneTimeCode !== undefined) await page.locator('#code').fill(options.oneTimeCode);
    const submit = page.getByRole('button', { name: 'Sign in' });
    result = await settle(
      submit.click().then(() => page.waitForURL((u) => u.href !== before, { waitUntil: 'load' })),
    );
  }
  if (result) return result;
  // Redirects do not commit, so the first new URL is where the chain ended: a provider page.
  throw await rejection(page, 'the browser did not end at the app');
}

async function rejection(page: Page, what: string): Promise<SignInRejectedError> {
  const alert = page.getByRole('alert');
  const alertText = (await alert.count()) > 0 ? (await alert.first().innerText()).trim() : '';
  const detail = alertText || (await pageText(page)).slice(0, 300);
  return new SignInRejectedError(`${what}; it showed: ${detail}`, alertText, page.url());
}

interface Capture {
  /** Set once the redirect to the app was seen. */
  url: string | undefined;
  /** Set when the provider redirected to a scheme that is not the app's. */
  error: Error | undefined;
  /** Settles when either is set. */
  readonly done: Promise<void>;
}

/** Pauses every response from the provider's origin and keeps the one that redirects to the app. */
async function captureRedirect(cdp: CDPSession, providerOrigin: string, redirectPrefix: string): Promise<Capture> {
  let settle: () => void = () => undefined;
  const capture: Capture = {
    url: undefined,
    error: undefined,
    done: new Promise<void>((resolve) => {
      settle = resolve;
    }),
  };

  cdp.on('Fetch.requestPaused', (event) => {
    const status = event.responseStatusCode ?? 0;
    const location = event.responseHeaders?.find((h) => h.name.toLowerCase() === 'location')?.value;
    const isRedirect = status >= 300 && status < 400 && location !== undefined;
    const toApp = isRedirect && location.startsWith(redirectPrefix);
    const toOtherScheme = isRedirect && !toApp && !/^(?:https?:|\/)/i.test(location);
    if (!toApp && !toOtherScheme) {
      cdp.send('Fetch.continueRequest', { requestId: event.requestId }).catch(() => undefined);
      return;
    }
    if (toApp) {
      capture.url ??= location;
    } else {
      capture.error ??= new Error(`the provider redirected to ${location}, which does not start with ${redirectPrefix}`);
    }
    cdp
      .send('Fetch.fulfillRequest', {
        requestId: event.requestId,
        responseCode: 200,
        responseHeaders: [
          { name: 'Content-Type', value: 'text/html; charset=utf-8' },
          { name: 'Cache-Control', value: 'no-store' },
        ],
        body: Buffer.from(RETURN_TO_APP_PAGE, 'utf8').toString('base64'),
      })
      .catch(() => undefined)
      .finally(settle);
  });

  await cdp.send('Fetch.enable', { patterns: [{ urlPattern: `${providerOrigin}/*`, requestStage: 'Response' }] });
  return capture;
}

async function pageText(page: Page): Promise<string> {
  if (page.isClosed()) return '';
  try {
    return (await page.locator('body').innerText({ timeout: CLEANUP_STEP_MS })).trim();
  } catch {
    return '';
  }
}

function withDeadline<T>(work: Promise<T>, ms: number, message: () => string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(message())), ms);
  });
  // The losing promise may still reject later (its page gets closed); that is expected.
  work.catch(() => undefined);
  return Promise.race([work, deadline]).finally(() => clearTimeout(timer));
}

/** Clean-up steps must never hang a test run. */
async function bounded(step: Promise<unknown>): Promise<void> {
  await withDeadline(step, CLEANUP_STEP_MS, () => 'clean-up step timed out').catch(() => undefined);
}
