/**
 * The development provider itself: oidc-provider configured with its clients,
 * claims, features and lifetimes.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { exportJWK, generateKeyPair } from 'jose';
import Provider, { errors, type Configuration, type KoaContextWithOIDC, type ResourceServerInfo } from 'oidc-provider';
import { APP_IDENTITY } from '../app-identity';
import { ACR_PASSWORD, ACR_STRONG, findDemoAccount } from './demo-account';
import { describeError } from './error-report';
import type { MemoryStorage } from './memory-storage';
import { devInteractionPolicy, type PushedOfflineAccess } from './offline-access';
import { errorPage, logoutPage, messagePage } from './pages';

export const INTROSPECTOR_CLIENT_ID = 'dev-introspector';

/** Lifetimes in seconds, each a positive whole number. */
export interface ProviderLifetimes {
  readonly accessToken: number;
  readonly idToken: number;
  readonly refreshToken: number;
  readonly code: number;
}

export interface ProviderSettings {
  readonly clientId: string;
  readonly redirectUris: readonly string[];
  readonly postLogoutRedirectUris: readonly string[];
  readonly ttl: ProviderLifetimes;
  readonly par: 'enabled' | 'required' | 'disabled';
  readonly dpop: 'enabled' | 'nonce' | 'disabled';
  /** Secret of the confidential `dev-introspector` client. */
  readonly introspectorSecret: string;
  /** Content-Security-Policy of every page the provider renders. */
  readonly csp: string;
  readonly storage: MemoryStorage;
  readonly pushedOfflineAccess: PushedOfflineAccess;
  readonly report: (message: string) => void;
  /** Resource servers (RFC 8707) the provider issues audience-restricted JWT access tokens for; none turns resource indicators off. */
  readonly resourceServers: readonly DevResourceServer[];
}

/** A resource server the development provider knows by its resource indicator (RFC 8707 §2). */
export interface DevResourceServer {
  /** Absolute URI: the `resource` parameter and the tokens' `aud`. */
  readonly indicator: string;
  /** The scopes a token for it may carry. */
  readonly scopes: readonly string[];
}

const REPORTED_EVENTS = [
  'grant.error',
  'server_error',
  'authorization.error',
  'introspection.error',
  'revocation.error',
  'end_session.error',
  'userinfo.error',
] as const;

/**
 * One public native client (Authorization Code + PKCE S256), one
 * confidential client for introspection from tests, the demo user, and
 * fresh signing and cookie keys. Its error events go to `settings.report`.
 */
export async function createOidcProvider(issuer: string, settings: ProviderSettings): Promise<Provider> {
  const { csp, ttl } = settings;
  const provider = new Provider(issuer, {
    adapter: settings.storage.factory,
    clients: [
      {
        client_id: settings.clientId,
        client_name: `${APP_IDENTITY.productName} (development)`,
        application_type: 'native',
        token_endpoint_auth_method: 'none',
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
        redirect_uris: [...settings.redirectUris],
        post_logout_redirect_uris: [...settings.postLogoutRedirectUris],
      },
      {
        client_id: INTROSPECTOR_CLIENT_ID,
        client_secret: settings.introspectorSecret,
        token_endpoint_auth_method: 'client_secret_basic',
        grant_types: [],
        response_types: [],
        redirect_uris: [],
      },
    ],
    scopes: ['openid', 'offline_access', 'profile', 'email', ...new Set(settings.resourceServers.flatMap((server) => server.scopes))],
    // A password sign-in, and one with the user's one-time code (demo-account.ts): what a step-up (RFC 9470) asks for.
    acrValues: [ACR_PASSWORD, ACR_STRONG],
    claims: {
      openid: ['sub'],
      profile: ['name', 'picture'],
      email: ['email', 'email_verified'],
    },
    responseTypes: ['code'],
    // Put the profile and email claims the scopes grant into the ID token too, not only into userinfo.
    conformIdTokenClaims: false,
    cookies: { keys: [randomBytes(32).toString('base64url')] },
    jwks: { keys: [await generateSigningKey()] },
    findAccount: (_ctx, sub) => findDemoAccount(sub),
    // The library's default policy, stated here on purpose: a refresh token when the
    // client may use the refresh_token grant and offline_access is in the code's scope.
    // keepRequestedOfflineAccess (offline-access.ts) is what keeps offline_access in that scope.
    issueRefreshToken: (_ctx, client, code) =>
      client.grantTypeAllowed('refresh_token') && code.scopes.has('offline_access'),
    rotateRefreshToken: true,
    pkce: { required: () => true },
    interactions: {
      policy: devInteractionPolicy(settings.pushedOfflineAccess),
      url: (_ctx, interaction) => `/interaction/${interaction.uid}`,
    },
    renderError: (ctx, out) => {
      ctx.type = 'html';
      ctx.set('Content-Security-Policy', csp);
      ctx.body = errorPage('Sign-in error', `${out['error'] ?? 'error'}: ${out['error_description'] ?? ''}`);
    },
    // Resource servers learn how the user signed in from the token itself (RFC 9068 §2.2.1, RFC 9470 §4).
    extraTokenClaims: (ctx, token) => authenticationClaimsFor(ctx, token),
    features: {
      devInteractions: { enabled: false },
      resourceIndicators: resourceIndicatorsFor(settings.resourceServers),
      pushedAuthorizationRequests: {
        enabled: settings.par !== 'disabled',
        requirePushedAuthorizationRequests: settings.par === 'required',
      },
      dPoP:
        settings.dpop === 'nonce'
          ? { enabled: true, nonceSecret: randomBytes(32), requireNonce: () => true }
          : { enabled: settings.dpop === 'enabled' },
      revocation: {
        enabled: true,
        // Only the client a token was issued to may revoke it.
        allowedPolicy: (_ctx, client, token) => token.clientId === client.clientId,
      },
      introspection: {
        enabled: true,
        // The test-only confidential client may introspect anything; others only their own tokens.
        allowedPolicy: (_ctx, client, token) => client.clientId === INTROSPECTOR_CLIENT_ID || token.clientId === client.clientId,
      },
      rpInitiatedLogout: {
        enabled: true,
        logoutSource: (ctx, form) => {
          ctx.type = 'html';
          ctx.set('Content-Security-Policy', csp);
          ctx.body = logoutPage(form);
        },
        postLogoutSuccessSource: (ctx) => {
          ctx.type = 'html';
          ctx.set('Content-Security-Policy', csp);
          ctx.body = messagePage('Signed out', 'You are signed out of the development provider. You can close this tab.');
        },
      },
    },
    ttl: {
      AccessToken: ttl.accessToken,
      AuthorizationCode: ttl.code,
      IdToken: ttl.idToken,
      RefreshToken: ttl.refreshToken,
      // A grant must outlive the refresh tokens issued under it.
      Grant: ttl.refreshToken,
      Session: ttl.refreshToken,
      Interaction: 10 * 60,
    },
  });

  for (const event of REPORTED_EVENTS) {
    provider.on(event, (_ctx, error) => {
      settings.report(`${event}: ${describeError(error)}`);
    });
  }
  provider.use(settings.pushedOfflineAccess.middleware);
  return provider;
}

/**
 * RFC 8707: a `resource` names one of `servers` (anything else is
 * `invalid_target`); its access tokens are JWTs (RFC 9068) whose `aud` is the
 * indicator, with the server's scopes only. The token endpoint uses what the
 * request names: without `resource` a request gets a token for userinfo.
 */
function resourceIndicatorsFor(servers: readonly DevResourceServer[]): NonNullable<NonNullable<Configuration['features']>['resourceIndicators']> {
  const byIndicator = new Map(servers.map((server) => [server.indicator, server]));
  return {
    enabled: servers.length > 0,
    defaultResource: async (_ctx, _client, oneOf) => oneOf,
    useGrantedResource: async () => false,
    getResourceServerInfo: async (_ctx, indicator): Promise<ResourceServerInfo> => {
      const server = byIndicator.get(indicator);
      if (!server) throw new errors.InvalidTarget();
      return { scope: server.scopes.join(' '), audience: server.indicator, accessTokenFormat: 'jwt', jwt: { sign: { alg: 'RS256' } } };
    },
  };
}

/** `acr` and `auth_time` of the sign-in behind an access token, for resource servers' step-up checks. */
function authenticationClaimsFor(ctx: KoaContextWithOIDC, token: { readonly kind?: string }): Record<string, unknown> | undefined {
  if (token.kind !== 'AccessToken') return undefined;
  const source = ctx.oidc.entities.AuthorizationCode ?? ctx.oidc.entities.RefreshToken;
  if (!source) return undefined;
  return {
    ...(typeof source.acr === 'string' ? { acr: source.acr } : {}),
    ...(typeof source.authTime === 'number' ? { auth_time: source.authTime } : {}),
  };
}

async function generateSigningKey(): Promise<{ kty: string } & Record<string, unknown>> {
  const { privateKey } = await generateKeyPair('RS256', { extractable: true });
  const jwk = await exportJWK(privateKey);
  if (typeof jwk.kty !== 'string') {
    throw new Error('jose exported a JWK without kty');
  }
  return { ...jwk, kty: jwk.kty, kid: `dev-${randomUUID()}`, alg: 'RS256', use: 'sig' };
}
