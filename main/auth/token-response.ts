import type * as oidc from 'openid-client';
import { AuthError } from './errors';
import type { IdentityClaims } from './id-token-checks';
import type { UserClaims } from './session-state';
import { TokenSet } from './token-set';

/** Used when a token response has no `expires_in` (RFC 6749 §5.1 makes it optional). */
export const DEFAULT_ACCESS_TOKEN_LIFETIME_MS = 5 * 60_000;

/**
 * The session's tokens from a token endpoint response (RFC 6749 §5.1). A
 * refresh response may omit the refresh token (§6: the old one stays valid)
 * and the ID token (OIDC Core §12.2): the previous ones carry over.
 * @param issuedAt epoch ms when the response arrived.
 * @throws AuthError `token_response_invalid` for a token type other than Bearer.
 */
export function tokenSetFrom(
  response: oidc.TokenEndpointResponse,
  user: UserClaims,
  identity: IdentityClaims | undefined,
  previous: { readonly refreshToken?: string | undefined; readonly idToken?: string | undefined },
  issuedAt: number,
): TokenSet {
  if (response.token_type.toLowerCase() !== 'bearer') {
    throw new AuthError('token_response_invalid', `The provider issued a "${response.token_type}" token; this app uses bearer tokens only.`);
  }
  const lifetime = typeof response.expires_in === 'number' && response.expires_in > 0 ? response.expires_in * 1000 : DEFAULT_ACCESS_TOKEN_LIFETIME_MS;
  return new TokenSet({
    accessToken: response.access_token,
    idToken: response.id_token ?? previous.idToken,
    refreshToken: response.refresh_token ?? previous.refreshToken,
    user,
    identity,
    issuedAt,
    expiresAt: issuedAt + lifetime,
  });
}
