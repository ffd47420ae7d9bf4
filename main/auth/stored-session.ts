import type { AuthConfig } from './config';
import type { StoredDpopKey } from './dpop-key';
import type { IdentityClaims } from './id-token-checks';
import { vaultKey } from './pending-flow';
import { checkEndpoints } from './provider-metadata';
import type { SecretVault } from './secret-vault';
import { toUserClaims, type UserClaims } from './session-state';

/**
 * The provider metadata a start-up refresh needs before discovery answers
 * (token request, ID token signature and algorithms). Kept in the keychain
 * record, under the same protection as the refresh token itself, never in a
 * plaintext cache; discovery confirms it afterwards.
 */
export const STORED_METADATA_FIELDS = [
  'issuer',
  'token_endpoint',
  'jwks_uri',
  'id_token_signing_alg_values_supported',
  'token_endpoint_auth_methods_supported',
  'token_endpoint_auth_signing_alg_values_supported',
  'dpop_signing_alg_values_supported',
] as const;

export type StoredMetadata = Readonly<Record<string, unknown>> & { readonly issuer: string; readonly token_endpoint: string; readonly jwks_uri: string };

/**
 * What the keychain keeps between runs, under a key bound to issuer and
 * client id. Version 2 adds what a restart needs to behave as if it had never
 * happened: the original ID token's claims (OIDC Core §12.2), the token
 * endpoint (one round trip at start-up) and, when the logout hint is the ID
 * token, the ID token (RP-Initiated Logout 1.0 §2). Version 3 adds the
 * session's DPoP key (RFC 9449): a public client's refresh token is bound to
 * it (§5), so the two are kept and replaced together; it is written only for
 * DPoP sessions, so a session without DPoP stays a version 2 record. Version
 * 1 and 2 records still read.
 */
export interface StoredSession {
  readonly refreshToken: string;
  readonly user: UserClaims;
  readonly identity?: IdentityClaims;
  readonly metadata?: StoredMetadata;
  readonly idToken?: string;
  /** The private key the refresh token is bound to, as a JWK: only here, never in a file or a log. */
  readonly dpop?: StoredDpopKey;
  /**
   * Refresh tokens of this session's earlier grants, replaced by a consent
   * round-trip for the same user: revoked when the session ends, not before
   * (session-refresh.ts, adoptReauthorization). At most {@link MAX_SUPERSEDED}.
   */
  readonly superseded?: readonly string[];
}

export const MAX_SUPERSEDED = 8;

export async function readStoredSession(vault: SecretVault, config: AuthConfig): Promise<StoredSession | undefined> {
  const text = await vault.get(vaultKey('refresh-token', config));
  if (text === null) return undefined;
  let data: Record<string, unknown>;
  try {
    data = JSON.parse(text) as Record<string, unknown>;
  } catch {
    return undefined;
  }
  if (typeof data !== 'object' || data === null) return undefined;
  const { v, refreshToken, user } = data;
  if ((v !== 1 && v !== 2 && v !== 3) || typeof refreshToken !== 'string' || refreshToken === '' || typeof user !== 'object' || user === null) {
    return undefined;
  }
  let session: StoredSession;
  try {
    session = { refreshToken, user: toUserClaims(user as Record<string, unknown>) };
  } catch {
    return undefined;
  }
  if (v === 1) return session;
  const identity = readIdentity(data['identity']);
  const metadata = readMetadata(data['metadata'], config);
  const idToken = typeof data['idToken'] === 'string' && data['idToken'] !== '' ? data['idToken'] : undefined;
  // Checked when imported (DpopKey.restore): a record whose key cannot be used ends the session then.
  const dpop = v === 3 ? (data['dpop'] as StoredDpopKey | undefined) : undefined;
  if (v === 3 && (typeof dpop !== 'object' || dpop === null)) return undefined;
  const supersededValue = data['superseded'];
  const superseded = Array.isArray(supersededValue) ? supersededValue.filter((token): token is string => typeof token === 'string' && token !== '').slice(-MAX_SUPERSEDED) : [];
  return { ...session, ...(identity ? { identity } : {}), ...(metadata ? { metadata } : {}), ...(idToken ? { idToken } : {}), ...(dpop ? { dpop } : {}), ...(superseded.length > 0 ? { superseded } : {}) };
}

/**
 * One keychain item per issuer and client, replaced in a single write: the
 * Secret Service, Keychain and Credential Manager each swap an item's secret
 * atomically, so a crash leaves either the old token or the new one.
 */
export function writeStoredSession(vault: SecretVault, config: AuthConfig, session: StoredSession): Promise<void> {
  return vault.set(vaultKey('refresh-token', config), JSON.stringify({ v: session.dpop ? 3 : 2, ...session }));
}

export async function clearStoredSession(vault: SecretVault, config: AuthConfig): Promise<void> {
  await vault.delete(vaultKey('refresh-token', config));
}

/** The stored subset of the provider's discovery metadata. */
export function storedMetadataOf(server: Readonly<Record<string, unknown>>): StoredMetadata | undefined {
  const subset: Record<string, unknown> = {};
  for (const field of STORED_METADATA_FIELDS) {
    if (server[field] !== undefined) subset[field] = server[field];
  }
  return typeof subset['issuer'] === 'string' && typeof subset['token_endpoint'] === 'string' && typeof subset['jwks_uri'] === 'string' ? (subset as StoredMetadata) : undefined;
}

function readIdentity(value: unknown): IdentityClaims | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const { iss, sub, aud, azp, auth_time: authTime, nonce } = value as Record<string, unknown>;
  const audOk = typeof aud === 'string' || (Array.isArray(aud) && aud.every((entry) => typeof entry === 'string'));
  if (typeof iss !== 'string' || typeof sub !== 'string' || !audOk) return undefined;
  return {
    iss,
    sub,
    aud: aud as string | string[],
    ...(typeof azp === 'string' ? { azp } : {}),
    ...(typeof authTime === 'number' ? { auth_time: authTime } : {}),
    ...(typeof nonce === 'string' ? { nonce } : {}),
  };
}

/** Only metadata of the configured issuer, with https endpoints under an https issuer, is used. */
function readMetadata(value: unknown, config: AuthConfig): StoredMetadata | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const metadata = storedMetadataOf(value as Record<string, unknown>);
  if (!metadata || metadata.issuer !== config.issuer) return undefined;
  try {
    checkEndpoints(metadata, new URL(config.issuer));
  } catch {
    // A damaged or edited record: the start-up refresh goes through discovery instead.
    return undefined;
  }
  return metadata;
}
