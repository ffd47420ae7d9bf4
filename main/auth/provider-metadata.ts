import * as oidc from 'openid-client';
import type { AuthConfig } from './config';
import { isLoopbackHttpUrl } from './config';
import { AuthError } from './errors';

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
export async function discoverProvider(config: AuthConfig, deps: MetadataDeps): Promise<ProviderMetadata> {
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
    throw new AuthError('issuer_mismatch', `The provider at ${config.issuer} says its issuer is "${server.issuer}". Set issuer to exactly the value the provider publishes.`);
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
  const metadata: ProviderMetadata = { server, jwks: undefined, jwksPending: undefined };
  // Not awaited here: a silent restore sends its refresh request beside it
  // (see clientConfiguration); `keysReady` waits for it where it matters.
  void refreshJwks(metadata, deps).catch(() => undefined);
  return metadata;
}

/** Resolves once the provider's keys are in hand (rejects if fetching them failed). */
export async function keysReady(metadata: ProviderMetadata, deps: MetadataDeps): Promise<void> {
  if (metadata.jwksPending) return metadata.jwksPending;
  if (!metadata.jwks) return refreshJwks(metadata, deps);
}

/** Fetches the provider's JWKS now (joining a fetch already under way) and keeps it on the metadata. */
export function refreshJwks(metadata: ProviderMetadata, deps: MetadataDeps): Promise<void> {
  if (metadata.jwksPending) return metadata.jwksPending;
  const pending = fetchJwks(metadata, deps).finally(() => {
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
    throw new AuthError('discovery_failed', `The provider's signing keys could not be fetched (${(error as Error).message}).`, { cause: error });
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
export function clientConfiguration(metadata: ProviderMetadata, config: AuthConfig, deps: MetadataDeps): oidc.Configuration {
  const configuration = new oidc.Configuration(
    metadata.server,
    config.clientId,
    { [oidc.clockTolerance]: CLOCK_TOLERANCE_SECONDS },
    oidc.None(),
  );
  const base = asCustomFetch(deps.fetch);
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
    return new AuthError('issuer_mismatch', `The provider's discovery document names a different issuer than ${issuer}. Set issuer to exactly the value the provider publishes.`, { cause: error });
  }
  return new AuthError('discovery_failed', `The provider's discovery document at ${issuer} could not be loaded (${(error as Error).message}).`, { cause: error });
}
