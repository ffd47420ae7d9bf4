import type * as oidc from 'openid-client';
import { AuthError } from './errors';
import { CLOCK_TOLERANCE_SECONDS } from './provider-metadata';

/**
 * What a refreshed ID token is compared with (OIDC Core §12.2): the claims
 * of the ID token the session started with. Kept with the refresh token in
 * the keychain so the comparison survives a restart.
 */
export interface IdentityClaims {
  readonly iss: string;
  readonly sub: string;
  readonly aud: string | readonly string[];
  readonly azp?: string;
  /** Epoch seconds. */
  readonly auth_time?: number;
  readonly nonce?: string;
}

/**
 * Checks openid-client leaves to the application (it validates signature,
 * iss, aud, exp and nonce, and `azp` only when `aud` has several values):
 * `sub` must be present; `azp`, when present, must be our client id (OIDC
 * Core §3.1.3.7 item 5, whatever `aud` holds); `iat` must not be in the
 * future beyond the clock tolerance. A past `iat` is no error while `exp`
 * (checked by openid-client, with the same tolerance) is in the future:
 * §3.1.3.7 item 10 leaves the window to the client, and providers back-date
 * it (Entra ID by 5 minutes, with `nbf`; openid-client checks `nbf`).
 * @param nowMs epoch milliseconds.
 * @throws AuthError `identity_unverified` or `clock_skew`.
 */
export function checkIdTokenClaims(claims: oidc.IDToken, nowMs: number, clientId: string): void {
  if (typeof claims.sub !== 'string' || claims.sub === '') {
    throw new AuthError('identity_unverified', 'The provider\'s ID token has no subject and was rejected.');
  }
  if (claims.azp !== undefined && claims.azp !== clientId) {
    throw new AuthError('identity_unverified', 'The provider\'s ID token was issued to another application (azp) and was rejected.');
  }
  const nowSeconds = Math.floor(nowMs / 1000);
  if (typeof claims.iat !== 'number' || claims.iat - nowSeconds > CLOCK_TOLERANCE_SECONDS) {
    throw new AuthError('clock_skew', 'The provider\'s ID token was issued more than 5 minutes ahead of this computer\'s time. Your computer\'s clock may be wrong: check the date, time and time zone, then sign in again.');
  }
}

/** The claims of the session's first ID token that §12.2 compares later ones with. */
export function identityOf(claims: oidc.IDToken): IdentityClaims {
  return {
    iss: claims.iss,
    sub: claims.sub,
    aud: claims.aud,
    ...(typeof claims.azp === 'string' ? { azp: claims.azp } : {}),
    ...(typeof claims.auth_time === 'number' ? { auth_time: claims.auth_time } : {}),
    ...(typeof claims.nonce === 'string' ? { nonce: claims.nonce } : {}),
  };
}

/**
 * OIDC Core §12.2: an ID token from a refresh keeps the original's `iss`,
 * `sub` and `aud`, its `azp` and `auth_time` when the original had them, and
 * carries no `nonce` other than the original's.
 * @throws AuthError `identity_unverified` naming the claim that changed.
 */
export function checkRefreshedIdToken(claims: oidc.IDToken, original: IdentityClaims): void {
  const changed: string[] = [];
  if (claims.iss !== original.iss) changed.push('iss');
  if (claims.sub !== original.sub) changed.push('sub');
  if (!sameAudience(claims.aud, original.aud)) changed.push('aud');
  if (original.azp !== undefined && claims.azp !== original.azp) changed.push('azp');
  if (original.auth_time !== undefined && claims.auth_time !== original.auth_time) changed.push('auth_time');
  if (claims.nonce !== undefined && claims.nonce !== original.nonce) changed.push('nonce');
  if (changed.length > 0) {
    throw new AuthError('identity_unverified', `The provider's refreshed ID token does not match the one the session started with (${changed.join(', ')}); the session was ended.`);
  }
}

function sameAudience(a: string | readonly string[], b: string | readonly string[]): boolean {
  const left = [...(typeof a === 'string' ? [a] : a)].sort();
  const right = [...(typeof b === 'string' ? [b] : b)].sort();
  return left.length === right.length && left.every((value, index) => value === right[index]);
}
