/**
 * The app's sign-in core wired to a glewlwyd fixture through its public
 * contract (createAuthService), with the OS keychain under a fresh service
 * name, a fetch that records what the core sends and receives, and the
 * headless login standing in for the user at the browser.
 */
import { randomUUID } from 'node:crypto';
import { createAuthService, createKeytarVault, validateConfig, type AuthConfig, type AuthService, type SecretVault, type SessionState } from '../../../main/auth/index';
import { vaultKey } from '../../../main/auth/pending-flow';
import type { Glewlwyd } from '../glewlwyd';
import { recordOpenedUrls } from '../service-observers';
import type { HeadlessLogin } from './login';

/** One HTTP exchange the core made: method, path, status; token endpoint bodies kept to know the tokens the core holds. */
export interface Exchange {
  readonly method: string;
  readonly path: string;
  readonly status: number;
  readonly body?: string;
}

export interface AppService {
  readonly auth: AuthService;
  readonly opened: string[];
  readonly states: SessionState[];
  readonly exchanges: Exchange[];
  nextOpened(): Promise<string>;
  /** Moves the core's clock (ms) from now on; the provider's clock is untouched. */
  advanceClock(ms: number): void;
  /** Token values from the token endpoint's successful answers, in order (never printed). */
  issued(name: 'access_token' | 'refresh_token' | 'id_token'): string[];
}

export interface AppHarness {
  readonly vault: ObservedVault;
  config(overrides?: Record<string, unknown>): AuthConfig;
  service(config?: AuthConfig): AppService;
  /** The stored keychain record for the refresh token, as text (null when none). */
  storedSession(config?: AuthConfig): Promise<string | null>;
  /** signIn, headless login, handleRedirect; resolves with the login (its Location and the user's glewlwyd cookies). */
  signIn(service: AppService): Promise<HeadlessLogin>;
  dispose(): void;
}

/** A vault whose calls can be waited on: `quiet()` resolves once no call is in flight and none started meanwhile. */
export interface ObservedVault extends SecretVault {
  quiet(): Promise<void>;
}

export function observeVault(inner: SecretVault): ObservedVault {
  const inFlight = new Set<Promise<unknown>>();
  const track = <T>(promise: Promise<T>): Promise<T> => {
    inFlight.add(promise);
    void promise.catch(() => undefined).finally(() => inFlight.delete(promise));
    return promise;
  };
  return {
    get: (key) => track(inner.get(key)),
    set: (key, value) => track(inner.set(key, value)),
    delete: (key) => track(inner.delete(key)),
    async quiet() {
      // The core queues keychain calls behind each other; a call queued after
      // the last one we saw starts on a later turn of the event loop.
      for (let turn = 0; turn < 200; turn += 1) {
        await new Promise((resolve) => setImmediate(resolve));
        if (inFlight.size === 0) {
          await new Promise((resolve) => setTimeout(resolve, 20));
          if (inFlight.size === 0) return;
        }
        await Promise.allSettled([...inFlight]);
      }
      throw new Error('the keychain never went quiet');
    },
  };
}

export function createAppHarness(provider: Glewlwyd): AppHarness {
  const vault = observeVault(createKeytarVault(`oidc-desktop-glewlwyd-test-${randomUUID()}`));
  const services: AuthService[] = [];
  const config = (overrides: Record<string, unknown> = {}): AuthConfig =>
    validateConfig({ issuer: provider.issuer, clientId: provider.clientId, redirectUri: 'com.example.desktop:/callback', endSessionInBrowser: false, ...overrides });

  return {
    vault,
    config,
    service(serviceConfig) {
      const urls = recordOpenedUrls();
      const states: SessionState[] = [];
      const exchanges: Exchange[] = [];
      let clockOffset = 0;
      const recording = (async (input: string | URL | Request, init?: RequestInit) => {
        const url = new URL(input instanceof Request ? input.url : String(input));
        const method = init?.method ?? (input instanceof Request ? input.method : 'GET');
        const response = await fetch(input, init);
        const isToken = url.pathname.endsWith('/token');
        exchanges.push({ method, path: url.pathname, status: response.status, ...(isToken ? { body: await response.clone().text() } : {}) });
        return response;
      }) as typeof fetch;
      const auth = createAuthService({
        config: serviceConfig ?? config(),
        vault,
        fetch: recording,
        now: () => Date.now() + clockOffset,
        openExternal: urls.openExternal,
      });
      auth.onSessionChange((state) => states.push(state));
      services.push(auth);
      return {
        auth,
        opened: urls.opened,
        states,
        exchanges,
        nextOpened: urls.nextOpened,
        advanceClock(ms) {
          clockOffset += ms;
        },
        issued(name) {
          return exchanges
            .filter((e) => e.path.endsWith('/token') && e.status === 200 && e.body)
            .map((e) => (JSON.parse(e.body as string) as Record<string, unknown>)[name])
            .filter((v): v is string => typeof v === 'string');
        },
      };
    },
    storedSession: (serviceConfig) => vault.get(vaultKey('refresh-token', serviceConfig ?? config())),
    async signIn(service) {
      const opened = service.nextOpened();
      await service.auth.signIn();
      const login = await provider.login(await opened);
      const handled = await service.auth.handleRedirect(login.location);
      if (!handled) throw new Error(`the core did not recognise its own redirect: ${new URL(login.location).pathname}`);
      return login;
    },
    dispose() {
      for (const auth of services) auth.dispose();
    },
  };
}

/** Token requests by grant, from what the core sent (bodies are not kept for requests, so counted by path and order). */
export function tokenRequests(service: AppService): number {
  return service.exchanges.filter((e) => e.method === 'POST' && e.path.endsWith('/token')).length;
}
