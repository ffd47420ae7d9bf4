import type * as oidc from 'openid-client';
import { AuthError } from './errors';
import { CLOCK_TOLERANCE_SECONDS } from './provider-metadata';

/**
 * Checks openid-client leaves to the application (it validates signature,
 * iss, aud, azp, exp and nonce): `iat` must be close to now, since an ID
 * token from the token endpoint is minted for this very request (OIDC Core
 * §3.1.3.7 item 10 lets the client bound it); `sub` must be present.
 */
export function checkIdTokenClaims(claims: oidc.IDToken, nowMs: number): void {
  if (typeof claims.sub !== 'string' || claims.sub === '') {
    throw new AuthError('identity_unverified', 'The provider\'s ID token has no subject and was rejected.');
  }
  const nowSeconds = Math.floor(nowMs / 1000);
  if (typeof claims.iat !== 'number' || Math.abs(claims.iat - nowSeconds) > CLOCK_TOLERANCE_SECONDS) {
    throw new AuthError('clock_skew', 'The provider\'s ID token was issued at a time more than 5 minutes away from this computer\'s. Your computer\'s clock may be wrong: check the date, time and time zone, then sign in again.');
  }
}
