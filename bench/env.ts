/** What every measurement shares: the provider's endpoints, the app's configuration, one sign-in driven end to end. */
import { createAuthService, validateConfig, type AuthConfig, type AuthService, type SecretVault, type SessionState } from '../main/auth/index';
import { APP_IDENTITY } from '../main/app-identity';
import { headlessLogin, redirectPrefixOf } from './headless-login';

export const CUSTOM_SCHEME_REDIRECT = APP_IDENTITY.defaultRedirectUri;
export const LOOPBACK_REDIRECT = 'http://127.0.0.1/callback';

export interface ProviderEndpoints {
  readonly issuer: string;
  readonly clientId: string;
  readonly authorizationEndpoint: string;
  readonly tokenEndpoint: string;
  readonly revocationEndpoint: string | undefined;
  /** RFC 9126 §5: the core pushes its authorization request when this is listed. */
  readonly pushedAuthorizationRequestEndpoint: string | undefined;
  /** RFC 9449 §5.1 `dpop_signing_alg_values_supported` (empty: no DPoP). */
  readonly dpopAlgorithms: readonly string[];
}

export async function discoverEndpoints(issuer: string, clientId: string): Promise<ProviderEndpoints> {
  const response = await fetch(`${issuer}/.well-known/openid-configuration`);
  if (!response.ok) throw new Error(`discovery at ${issuer} answered HTTP ${response.status}`);
  const meta = (await response.json()) as Record<string, unknown>;
  const text = (name: string): string => {
    const value = meta[name];
    if (typeof value !== 'string') throw new Error(`discovery has no ${name}`);
    return value;
  };
  return {
    issuer,
    clientId,
    authorizationEndpoint: text('authorization_endpoint'),
    tokenEndpoint: text('token_endpoint'),
    revocationEndpoint: typeof meta['revocation_endpoint'] === 'string' ? meta['revocation_endpoint'] : undefined,
    pushedAuthorizationRequestEndpoint: typeof meta['pushed_authorization_request_endpoint'] === 'string' ? meta['pushed_authorization_request_endpoint'] : undefined,
    dpopAlgorithms: Array.isArray(meta['dpop_signing_alg_values_supported']) ? meta['dpop_signing_alg_values_supported'].filter((a): a is string => typeof a === 'string') : [],
  };
}

export function appConfig(endpoints: ProviderEndpoints, redirectUri: string): AuthConfig {
  return validateConfig({ issuer: endpoints.issuer, clientId: endpoints.clientId, redirectUri, endSessionInBrowser: false });
}

/** A service whose `openExternal` hands each URL to the next `nextOpened()` and stamps the moment it was called. */
export interface BenchService {
  readonly auth: AuthService;
  /** performance.now() of the latest openExternal call. */
  lastOpenedAt(): number | undefined;
  nextOpened(): Promise<string>;
}

export function benchService(input: {
  readonly config: AuthConfig;
  readonly vault: SecretVault;
  readonly fetch?: typeof fetch;
  /** Runs synchronously inside openExternal, at the moment the browser is asked to open. */
  readonly onOpen?: (url: string) => void;
  /** Another build of the core to measure (e.g. a candidate change); default main/auth's. */
  readonly create?: typeof createAuthService;
}): BenchService {
  let openedAt: number | undefined;
  const queue: string[] = [];
  const waiters: Array<(url: string) => void> = [];
  const auth = (input.create ?? createAuthService)({
    config: input.config,
    vault: input.vault,
    ...(input.fetch ? { fetch: input.fetch } : {}),
    async openExternal(url) {
      openedAt = performance.now();
      input.onOpen?.(url);
      const waiter = waiters.shift();
      if (waiter) waiter(url);
      else queue.push(url);
    },
  });
  return {
    auth,
    lastOpenedAt: () => openedAt,
    nextOpened() {
      const queued = queue.shift();
      if (queued !== undefined) return Promise.resolve(queued);
      return new Promise((resolve) => waiters.push(resolve));
    },
  };
}

/**
 * The callback for an authorize URL the core opened: the user logs in, the provider redirects to the app.
 * A pushed request (PAR, RFC 9126 §4) leaves `redirect_uri` out of the URL: the callback is then the
 * first redirect off the provider's origin.
 */
export function loginFor(authorizeUrl: string): Promise<string> {
  const redirectUri = new URL(authorizeUrl).searchParams.get('redirect_uri');
  return headlessLogin(authorizeUrl, { redirectPrefix: redirectUri ? redirectPrefixOf(redirectUri) : undefined });
}

export function expectSignedIn(state: SessionState, what: string): void {
  if (state.status !== 'signed-in') {
    const detail = 'error' in state && state.error ? `${state.error.code}: ${state.error.message}` : state.status;
    throw new Error(`${what}: expected signed-in, the core is ${detail}`);
  }
}

/** Revokes a refresh token the benchmark obtained itself, so the in-process provider's storage stays small. */
export async function revokeQuietly(endpoints: ProviderEndpoints, token: string | undefined): Promise<void> {
  if (!token || !endpoints.revocationEndpoint) return;
  const response = await fetch(endpoints.revocationEndpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ token, token_type_hint: 'refresh_token', client_id: endpoints.clientId }).toString(),
  }).catch(() => undefined);
  await response?.body?.cancel().catch(() => undefined);
}
