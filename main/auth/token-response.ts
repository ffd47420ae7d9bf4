import type * as oidc from 'openid-client';
import type { DpopKey } from './dpop-key';
import { AuthError } from './errors';
import type { IdentityClaims } from './id-token-checks';
import type { AuthLogger } from './ports';
import type { UserClaims } from './session-state';
import { TokenSet } from './token-set';

/** Used when a token response has no `expires_in` (RFC 6749 §5.1 makes it optional). */
export const DEFAULT_ACCESS_TOKEN_LIFETIME_MS = 5 * 60_000;

/**
 * The session's tokens from a token endpoint response (RFC 6749 §5.1). A
 * refresh response may omit the refresh token (§6: the old one stays valid)
 * and the ID token (OIDC Core §12.2): the previous ones carry over.
 *
 * The token type follows what was asked (RFC 9449 §5): a request with a
 * DPoP proof may get `DPoP` (bound to the key) or `Bearer` (the provider
 * chose not to bind it: used as a bearer token, and logged); a request
 * without a proof gets `Bearer` only.
 * @param issuedAt epoch ms when the response arrived.
 * @param sender the key whose proof the request carried, if any, and where to log a Bearer answer to it.
 * @throws AuthError `token_response_invalid` for `DPoP` without a proof, or any other token type.
 */
export function tokenSetFrom(
  response: oidc.TokenEndpointResponse,
  user: UserClaims,
  identity: IdentityClaims | undefined,
  previous: { readonly refreshToken?: string | undefined; readonly idToken?: string | undefined },
  issuedAt: number,
  sender: { readonly dpopKey: DpopKey | undefined; readonly log: AuthLogger } | undefined = undefined,
): TokenSet {
  const type = response.token_type.toLowerCase();
  const dpopKey = sender?.dpopKey;
  if (type === 'dpop' && !dpopKey) {
    throw new AuthError('token_response_invalid', 'The provider issued a DPoP-bound token although this app sent no proof of possession; the response was refused.');
  }
  if (type !== 'dpop' && type !== 'bearer') {
    throw new AuthError('token_response_invalid', `The provider issued a "${providerTokenType(response.token_type)}" token; this app uses bearer and DPoP tokens only.`);
  }
  if (type === 'bearer' && dpopKey) sender?.log.warn('the provider answered a DPoP request with a bearer access token; it is used as a bearer token (RFC 9449 §5)');
  const lifetime = typeof response.expires_in === 'number' && response.expires_in > 0 ? response.expires_in * 1000 : DEFAULT_ACCESS_TOKEN_LIFETIME_MS;
  return new TokenSet({
    accessToken: response.access_token,
    idToken: response.id_token ?? previous.idToken,
    refreshToken: response.refresh_token ?? previous.refreshToken,
    user,
    identity,
    issuedAt,
    expiresAt: issuedAt + lifetime,
    tokenType: type === 'dpop' ? 'DPoP' : 'Bearer',
    dpopKey,
  });
}

/** A token type is a short name; anything else from the provider is not shown. */
function providerTokenType(value: string): string {
  return /^[\w.-]{1,40}$/.test(value) ? value : 'unknown';
}
