import type { AuthConfig } from './config';
import { vaultKey } from './pending-flow';
import type { SecretVault } from './secret-vault';
import { toUserClaims, type UserClaims } from './session-state';

/**
 * What the keychain keeps between runs: the refresh token and the display
 * claims to show while restoring, under a key bound to issuer and client id.
 */
export interface StoredSession {
  readonly refreshToken: string;
  readonly user: UserClaims;
}

export async function readStoredSession(vault: SecretVault, config: AuthConfig): Promise<StoredSession | undefined> {
  const text = await vault.get(vaultKey('refresh-token', config));
  if (text === null) return undefined;
  try {
    const data = JSON.parse(text) as { v?: unknown; refreshToken?: unknown; user?: unknown };
    if (data.v !== 1 || typeof data.refreshToken !== 'string' || data.refreshToken === '' || typeof data.user !== 'object' || data.user === null) {
      return undefined;
    }
    return { refreshToken: data.refreshToken, user: toUserClaims(data.user as Record<string, unknown>) };
  } catch {
    return undefined;
  }
}

/**
 * One keychain item per issuer and client, replaced in a single write: the
 * Secret Service, Keychain and Credential Manager each swap an item's secret
 * atomically, so a crash leaves either the old token or the new one.
 */
export function writeStoredSession(vault: SecretVault, config: AuthConfig, session: StoredSession): Promise<void> {
  return vault.set(vaultKey('refresh-token', config), JSON.stringify({ v: 1, refreshToken: session.refreshToken, user: session.user }));
}

export async function clearStoredSession(vault: SecretVault, config: AuthConfig): Promise<void> {
  await vault.delete(vaultKey('refresh-token', config));
}
