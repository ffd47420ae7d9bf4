import * as oidc from 'openid-client';
import type { AuthConfig } from './config';
import { isLoopbackHttpUrl } from './config';
import { AuthError } from './errors';
import { withoutStrayChallenge } from './http-challenges';
import { providerText } from './protocol-errors';

/**
 * Allowed difference between our clock and the provider's when checking
 * `exp`, `iat` and `nbf` of an ID token: ±5 minutes, the customary tolerance.
 */
export const CLOCK_TOLERANCE_SECONDS = 300;

/** A JWKS older than this is fetched again in the background, before a flow needs it. */
const JWKS_REFRESH_AFTER_SECONDS = 240;

/**
 * What discovery found out about the provider, fetched once (before any
 * browser opens) and reused by every flow, refresh and sign-out.
 */
export interface ProviderMetadata {
  readonly server: oidc.ServerMetadata;
  /** The provider's signing keys and when (epoch seconds) they were fetched. */
  jwks: oidc.ExportedJWKSCache | undefined;
  /** The keys' request while it is under way; operations that need the keys join it instead of asking again. */
  jwksPending: Promise<void> | undefined;
}

export interface MetadataDeps {
  readonly fetch: typeof fetch;
  readonly timeoutMs: number;
}

/**
 * OpenID Connect Discovery 1.0, then the checks this app will not negotiate
 * on: the issuer is exactly the configured one (§4.3), and PKCE with S256 is
 * supported (RFC 7636 §4.2; no fallback to `plain`, no flow without PKCE).
 */
/**
 * @param keysFrom provisional metadata whose key request (same jwks_uri) is joined instead of repeated; asked when discovery answers, so metadata made while discovery was under way counts.
 * @throws AuthError `discovery_failed`, `issuer_mismatch`, `provider_unsupported`.
 */
export async function discoverProvider(config: AuthConfig, deps: MetadataDeps, keysFrom?: () => ProviderMetadata | undefined): Promise<ProviderMetadata> {
  const issuer = new URL(config.issuer);
  let discovered: oidc.Configuration;
  try {
    discovered = await oidc.discovery(issuer, config.clientId, undefined, oidc.None(), {
      [oidc.customFetch]: asCustomFetch(deps.fetch),
      timeout: Math.ceil(deps.timeoutMs / 1000),
      // Cleartext is tolerated for a loopback issuer only (development and tests).
      ...(isLoopbackHttpUrl(issuer) ? { execute: [oidc.allowInsecureRequests] } : {}),
    });
  } catch (error) {
    throw discoveryError(config.issuer, error);
  }
  const server = discovered.serverMetadata();
  if (server.issuer !== config.issuer) {
    throw issuerMismatch(config.issuer, server.issuer);
  }
  if (!server.code_challenge_methods_supported?.includes('S256')) {
    throw new AuthError('provider_unsupported', `The provider at ${config.issuer} does not advertise PKCE with S256 (code_challenge_methods_supported). This app requires it and will not sign in without it.`);
  }
  if (!server.authorization_endpoint || !server.token_endpoint) {
    throw new AuthError('provider_unsupported', `The provider at ${config.issuer} publishes no authorization or token endpoint.`);
  }
  if (!server.jwks_uri) {
    throw new AuthError('provider_unsupported', `The provider at ${config.issuer} publishes no jwks_uri, so ID token signatures cannot be verified.`);
  }
  checkEndpoints(server, issuer);
  const metadata: ProviderMetadata = { server, jwks: undefined, jwksPending: undefined };
  const provisional = keysFrom?.();
  if (provisional && provisional.server.jwks_uri === server.jwks_uri) {
    // The start-up refresh already asked for these keys: join that request.
    metadata.jwks = provisional.jwks;
    const joined = provisional.jwksPending
      ?.then(() => {
        metadata.jwks = provisional.jwks;
      })
      .finally(() => {
        // A failed fetch is not remembered: the next operation that needs the keys asks again.
        if (metadata.jwksPending === joined) metadata.jwksPending = undefined;
      });
    joined?.catch(() => undefined);
    metadata.jwksPending = joined;
    if (metadata.jwks || metadata.jwksPending) return metadata;
  }
  // Not awaited here: a silent restore sends its refresh request beside it
  // (see clientConfiguration); `keysReady` waits for it where it matters.
  void refreshJwks(metadata, deps).catch(() => undefined);
  return metadata;
}

/**
 * Provider metadata taken from the keychain record (see stored-session.ts),
 * for the one request of a start-up refresh sent before discovery answers.
 * Its keys are fetched at once, beside that request. Discovery must confirm
 * it (`sameTokenEndpoint`) before its result is used.
 */
export function provisionalMetadata(stored: Readonly<Record<string, unknown>> & { readonly issuer: string }, deps: MetadataDeps): ProviderMetadata {
  const server = stored as unknown as oidc.ServerMetadata;
  checkEndpoints(server, new URL(stored.issuer));
  const metadata: ProviderMetadata = { server, jwks: undefined, jwksPending: undefined };
  // After the refresh request this metadata is made for has left (it is the one the user waits
  // for; the keys are needed only once its answer is in), yet claimed at once, so anything that
  // needs the keys meanwhile joins this request.
  void refreshJwks(metadata, deps, true).catch(() => undefined);
  return metadata;
}

/**
 * True when discovery names the same issuer and token endpoint as the
 * metadata a request was sent with. The keys' URL may move without making
 * the answer doubtful: the ID token was verified with keys fetched over
 * https from the URL kept with the session.
 */
export function sameTokenEndpoint(discovered: ProviderMetadata, used: ProviderMetadata): boolean {
  return discovered.server.issuer === used.server.issuer && discovered.server.token_endpoint === used.server.token_endpoint;
}

/** Endpoint members of discovery metadata (OIDC Discovery §3, RFC 8414 §2, RFC 9126 §5) that the app may call or open. */
const ENDPOINT_FIELDS = [
  'authorization_endpoint',
  'token_endpoint',
  'jwks_uri',
  'userinfo_endpoint',
  'revocation_endpoint',
  'end_session_endpoint',
  'introspection_endpoint',
  'pushed_authorization_request_endpoint',
] as const;

/**
 * Every endpoint taken from discovery uses https when the issuer does; http
 * only under a loopback http issuer (development), and then only on
 * loopback. Anything else (cleartext keys, `data:`, `smb:`…) refuses the
 * provider: a token or a key must never travel in the clear or leave the web.
 * @throws AuthError `provider_unsupported` naming the field.
 */
export function checkEndpoints(server: Readonly<Record<string, unknown>>, issuer: URL): void {
  const developmentIssuer = isLoopbackHttpUrl(issuer);
  for (const field of ENDPOINT_FIELDS) {
    const value = server[field];
    if (value === undefined) continue;
    let url: URL | undefined;
    try {
      url = typeof value === 'string' ? new URL(value) : undefined;
    } catch {
      url = undefined;
    }
    const allowed = url !== undefined && (url.protocol === 'https:' || (developmentIssuer && isLoopbackHttpUrl(url)));
    if (!allowed) {
      throw new AuthError(
        'provider_unsupported',
        `The provider at ${issuer.href} publishes ${field} ${url ? `with "${url.protocol}"` : 'as something that is not a URL'}; under ${issuer.protocol === 'https:' ? 'an https' : 'this'} issuer this app uses https endpoints only. Ask the provider's administrator to correct its discovery document.`,
      );
    }
  }
}

/**
 * The issuer in discovery differs from the configured one. A templated issuer
 * (Microsoft Entra ID's multi-tenant `common`, `organizations` and
 * `consumers` endpoints publish `…/{tenantid}/v2.0`) cannot be matched at
 * all: the user must configure the tenant's own issuer.
 */
export function issuerMismatch(configured: string, published: unknown): AuthError {
  if (typeof published === 'string' && /\{[^}]*\}/.test(published)) {
    return new AuthError(
      'issuer_mismatch',
      `The provider at ${configured} publishes a template instead of an issuer ("${providerText(published)}"): a multi-tenant endpoint such as Microsoft Entra ID's "common" cannot be used as the issuer. Set issuer to your tenant's own issuer, the template with the placeholder replaced by your tenant id (for Entra ID: https://login.microsoftonline.com/<tenant-id>/v2.0; the tenant id is on the app registration's overview page).`,
    );
  }
  return new AuthError('issuer_mismatch', `The provider at ${configured} says its issuer is "${providerText(published)}". Set issuer to exactly the value the provider publishes.`);
}

/** Resolves once the provider's keys are in hand (rejects if fetching them failed). */
export async function keysReady(metadata: ProviderMetadata, deps: MetadataDeps): Promise<void> {
  if (metadata.jwksPending) return metadata.jwksPending;
  if (!metadata.jwks) return refreshJwks(metadata, deps);
}

/**
 * Fetches the provider's JWKS now (joining a fetch already under way) and keeps it on the metadata.
 * @param yieldFirst send the request on the next turn of the event loop, after what the caller sends in this one.
 */
export function refreshJwks(metadata: ProviderMetadata, deps: MetadataDeps, yieldFirst = false): Promise<void> {
  if (metadata.jwksPending) return metadata.jwksPending;
  const start = yieldFirst ? new Promise<void>((resolve) => setImmediate(resolve)).then(() => fetchJwks(metadata, deps)) : fetchJwks(metadata, deps);
  const pending = start.finally(() => {
    metadata.jwksPending = undefined;
  });
  metadata.jwksPending = pending;
  return pending;
}

async function fetchJwks(metadata: ProviderMetadata, deps: MetadataDeps): Promise<void> {
  const uri = metadata.server.jwks_uri as string;
  let body: unknown;
  try {
    const response = await deps.fetch(uri, { headers: { accept: 'application/json, application/jwk-set+json' }, redirect: 'manual' });
    if (response.status !== 200) {
      await response.body?.cancel();
      throw new Error(`HTTP ${response.status}`);
    }
    body = await response.json();
  } catch (error) {
    if (error instanceof AuthError) throw new AuthError('discovery_failed', `The provider's signing keys could not be fetched: ${error.message}`, { cause: error });
    // Library and parser text can quote the body: it stays in `cause`, out of the message.
    throw new AuthError('discovery_failed', 'The provider\'s signing keys could not be fetched: its jwks_uri did not answer with a JSON Web Key Set.', { cause: error });
  }
  if (!isJwks(body)) {
    throw new AuthError('discovery_failed', 'The provider\'s jwks_uri did not return a JSON Web Key Set.');
  }
  metadata.jwks = { jwks: body, uat: Math.floor(Date.now() / 1000) };
}

/** True when the cached JWKS should be fetched again before the next flow needs it. */
export function jwksIsAging(metadata: ProviderMetadata): boolean {
  return !metadata.jwks || Date.now() / 1000 - metadata.jwks.uat >= JWKS_REFRESH_AFTER_SECONDS;
}

/**
 * A fresh openid-client Configuration for one operation, seeded with the
 * prefetched JWKS. Why fresh: openid-client keeps its key cache per
 * configuration; a new one per flow means the keys we fetched before the
 * browser opened are the ones used, so the token request is the only request
 * after the redirect. An unknown `kid` still makes it refetch once.
 */
export function clientConfiguration(metadata: ProviderMetadata, config: AuthConfig, deps: MetadataDeps, observe?: ResponseObserver): oidc.Configuration {
  const configuration = new oidc.Configuration(
    metadata.server,
    config.clientId,
    { [oidc.clockTolerance]: CLOCK_TOLERANCE_SECONDS },
    clientAuthentication(metadata.server, config.clientSecret),
  );
  const network = asCustomFetch(deps.fetch);
  const base: oidc.CustomFetch = async (url, options) => {
    const response = withoutStrayChallenge(await network(url, options));
    observe?.(url, response);
    return response;
  };
  const jwksUri = metadata.server.jwks_uri;
  // Created before our own request for the keys has answered, this
  // configuration has no keys to be given: its first request for them gets
  // our request's answer, so there is one JWKS request, not two. Any later
  // request (an unknown kid) goes to the network, as does every request of a
  // configuration that was given keys.
  let joinOurs = metadata.jwks === undefined;
  configuration[oidc.customFetch] = (url, options) => {
    if (!joinOurs || url !== jwksUri) return base(url, options);
    joinOurs = false;
    return keysReady(metadata, deps).then(() => Response.json(metadata.jwks?.jwks ?? { keys: [] }));
  };
  configuration.timeout = Math.ceil(deps.timeoutMs / 1000);
  if (isLoopbackHttpUrl(new URL(config.issuer))) oidc.allowInsecureRequests(configuration);
  // The ID token comes over TLS from the token endpoint, which openid-client
  // trusts by default; we verify its signature anyway (defence in depth, and
  // the loopback development provider has no TLS).
  oidc.enableNonRepudiationChecks(configuration);
  if (metadata.jwks) {
    // openid-client refetches keys older than 300 s before using them, and
    // refetches for an unknown kid only when the keys are at least 60 s old.
    // We keep the keys fresh ourselves (refetched in the background when a
    // sign-in starts with keys older than 240 s), so we seed them as exactly
    // 60 s old: a known kid verifies with no request, so the token request
    // stays the only one after the redirect, and an unknown kid (a key
    // rotated during the sign-in) gets exactly one refetch.
    const seededAt = Math.floor(Date.now() / 1000) - 60;
    oidc.setJwksCache(configuration, { jwks: metadata.jwks.jwks, uat: seededAt });
    seeds.set(configuration, seededAt);
  }
  return configuration;
}

const seeds = new WeakMap<oidc.Configuration, number>();

/**
 * A public client sends no credential (`none`). With a configured
 * installed-app "secret" (config.clientSecret), it goes in the body or the
 * Basic header as the provider lists in token_endpoint_auth_methods_supported
 * (RFC 8414 §2: client_secret_basic when the list is absent); openid-client
 * sends it to the token and revocation endpoints only, never in a URL.
 */
function clientAuthentication(server: oidc.ServerMetadata, clientSecret: string | undefined): oidc.ClientAuth {
  if (clientSecret === undefined) return oidc.None();
  const methods = server.token_endpoint_auth_methods_supported;
  if (methods && !methods.includes('client_secret_basic') && methods.includes('client_secret_post')) return oidc.ClientSecretPost(clientSecret);
  return oidc.ClientSecretBasic(clientSecret);
}

/** Sees every response an operation receives (before openid-client reads it), e.g. to classify a failed refresh. */
export type ResponseObserver = (url: string, response: Response) => void;

/** After an operation, keep the keys openid-client refetched (an unknown kid), if it did. */
export function adoptJwks(metadata: ProviderMetadata, configuration: oidc.Configuration): void {
  const cache = oidc.getJwksCache(configuration);
  const seededAt = seeds.get(configuration);
  if (cache && (seededAt === undefined || cache.uat > seededAt)) metadata.jwks = cache;
}

/**
 * openid-client's fetch options differ from RequestInit only in allowing an
 * explicit `undefined` body, which fetch accepts at run time.
 */
function asCustomFetch(fetchImpl: typeof fetch): oidc.CustomFetch {
  return (url, options) => fetchImpl(url, options as RequestInit);
}

function isJwks(value: unknown): value is oidc.JWKS {
  if (typeof value !== 'object' || value === null) return false;
  const keys = (value as { keys?: unknown }).keys;
  return Array.isArray(keys) && keys.every((key) => typeof key === 'object' && key !== null && !Array.isArray(key));
}

function discoveryError(issuer: string, error: unknown): AuthError {
  if (error instanceof AuthError) {
    return new AuthError('discovery_failed', `The provider at ${issuer} could not be reached: ${error.message}`, { cause: error });
  }
  const code = (error as { code?: unknown }).code;
  if (code === 'OAUTH_JSON_ATTRIBUTE_COMPARISON_FAILED') {
    const published = (error as { cause?: { body?: { issuer?: unknown } } }).cause?.body?.issuer;
    const mismatch = issuerMismatch(issuer, published);
    return new AuthError(mismatch.code, mismatch.message, { cause: error });
  }
  return new AuthError('discovery_failed', `The provider's discovery document at ${issuer} could not be loaded${discoveryDetail(error)}.`, { cause: error });
}

/** Our own words for what went wrong; library text (which can quote the body) stays in the cause. */
function discoveryDetail(error: unknown): string {
  const status = (error as { cause?: unknown }).cause instanceof Response ? ((error as { cause: Response }).cause.status) : undefined;
  if (status !== undefined) return ` (HTTP ${status})`;
  const code = (error as { code?: unknown }).code;
  if (code === 'OAUTH_PARSE_ERROR' || code === 'OAUTH_RESPONSE_IS_NOT_JSON') return ': it is not JSON';
  if (code === 'OAUTH_INVALID_RESPONSE') return ': it is not a valid discovery document';
  return '';
}
