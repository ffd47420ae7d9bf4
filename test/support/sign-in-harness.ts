import { createAuthService, createKeytarVault, validateConfig, type AuthConfig, type AuthService, type SecretVault, type SessionState } from '../../main/auth/index';
import { startDevProvider, type DevProvider, type DevProviderOptions } from '../../main/dev-provider/dev-provider';
import { recordOpenedUrls } from './service-observers';
import { launchSystemBrowser, type SignInOptions, type SystemBrowser } from './system-browser';
import { APP_IDENTITY } from '../../main/app-identity';
import { deleteKeychainService, testKeychainService } from './platform-parts';

/**
 * The real parts a sign-in test needs: the development provider, Chromium as
 * the system browser, and the OS keychain (under a fresh service name per
 * harness, so tests never see each other's entries).
 */
export interface SignInHarness {
  readonly provider: DevProvider;
  readonly browser: SystemBrowser;
  readonly vault: SecretVault;
  readonly keychainService: string;
  config(overrides?: Record<string, unknown>): AuthConfig;
  /** A service whose openExternal records URLs; `opened` receives them in order. */
  service(config?: AuthConfig, extra?: { vault?: SecretVault; httpTimeoutMs?: number; fetch?: typeof fetch; now?: () => number }): TestService;
  close(): Promise<void>;
}

export interface TestService {
  readonly auth: AuthService;
  /** Every URL the core asked the OS to open. */
  readonly opened: string[];
  /** Every state the core emitted. */
  readonly states: SessionState[];
  /** Resolves with the next URL the core asks to open (or the latest one not yet taken). */
  nextOpened(): Promise<string>;
}

/**
 * The development provider starts without PAR and DPoP here unless a test
 * asks for them: these tests describe the app with a provider that offers
 * neither (where nothing may change), and they count requests and read
 * bearer tokens. test/integration/auth/par-dpop.test.ts covers the rest.
 */
export async function startHarness(options: DevProviderOptions = {}): Promise<SignInHarness> {
  const provider = await startDevProvider({ par: 'disabled', dpop: 'disabled', ...options });
  let browser: SystemBrowser;
  try {
    browser = await launchSystemBrowser();
  } catch (error) {
    await provider.close();
    throw error;
  }
  const keychainService = testKeychainService('sign-in');
  const vault = createKeytarVault(keychainService);
  const services: AuthService[] = [];
  const config = (overrides: Record<string, unknown> = {}): AuthConfig =>
    validateConfig({ issuer: provider.issuer, clientId: provider.clientId, redirectUri: APP_IDENTITY.defaultRedirectUri, endSessionInBrowser: false, ...overrides });
  return {
    provider,
    browser,
    vault,
    keychainService,
    config,
    service(serviceConfig, extra = {}) {
      const urls = recordOpenedUrls();
      const states: SessionState[] = [];
      const auth = createAuthService({
        config: serviceConfig ?? config(),
        vault: extra.vault ?? vault,
        ...(extra.fetch ? { fetch: extra.fetch } : {}),
        ...(extra.now ? { now: extra.now } : {}),
        ...(extra.httpTimeoutMs ? { httpTimeoutMs: extra.httpTimeoutMs } : {}),
        openExternal: urls.openExternal,
      });
      auth.onSessionChange((state) => states.push(state));
      services.push(auth);
      return {
        auth,
        opened: urls.opened,
        states,
        nextOpened: urls.nextOpened,
      };
    },
    async close() {
      for (const auth of services) auth.dispose();
      await browser.close();
      await provider.close();
      await deleteKeychainService(keychainService);
    },
  };
}

/** Clicks "Sign in": the core opens the browser, the user logs in, the OS hands the redirect back. */
export async function signInThroughBrowser(harness: SignInHarness, service: TestService, options: Partial<SignInOptions> = {}): Promise<string> {
  const opened = service.nextOpened();
  await service.auth.signIn();
  const authorizeUrl = await opened;
  const callback = await harness.browser.signIn(authorizeUrl, { redirectPrefix: `${APP_IDENTITY.urlScheme}:`, ...options });
  const handled = await service.auth.handleRedirect(callback);
  if (!handled) throw new Error(`the core did not recognise its own redirect: ${new URL(callback).pathname}`);
  return callback;
}

/** Every string in `haystack` that contains one of `secrets`. */
export function leaks(haystack: string, secrets: readonly string[]): string[] {
  return secrets.filter((secret) => secret.length > 0 && haystack.includes(secret));
}
