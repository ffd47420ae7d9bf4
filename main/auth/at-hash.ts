import { createHash, timingSafeEqual } from 'node:crypto';
import { decodeProtectedHeader } from 'jose';
import { AuthError } from './errors';

/**
 * The hash behind `at_hash` for the ID token's `alg` (OIDC Core §3.1.3.8,
 * §3.3.2.11: the hash of the JWS algorithm; SHA-512 for EdDSA with Ed25519,
 * as the OpenID Connect errata and the providers that sign with it use).
 */
function hashOf(alg: unknown): 'sha256' | 'sha384' | 'sha512' | undefined {
  if (alg === 'EdDSA' || alg === 'Ed25519') return 'sha512';
  if (typeof alg !== 'string') return undefined;
  const size = /^(?:RS|PS|ES)(256|384|512)$/.exec(alg)?.[1] ?? (alg === 'ES256K' ? '256' : undefined);
  return size ? (`sha${size}` as 'sha256' | 'sha384' | 'sha512') : undefined;
}

/**
 * OIDC Core §3.1.3.8 (code flow) and §12.2 (refresh): when the ID token has
 * an `at_hash`, it must be the base64url of the left half of the hash of the
 * access token issued with it. openid-client does not check it; a token
 * response whose access token was swapped (or an ID token from another
 * response) is refused here. Call after the ID token's signature was verified.
 * @param idToken the compact JWS the claims came from.
 * @throws AuthError `identity_unverified` when `at_hash` is present and does not match, or cannot be checked.
 */
export function checkAccessTokenHash(idToken: string | undefined, atHash: unknown, accessToken: string): void {
  if (atHash === undefined || idToken === undefined) return;
  let alg: unknown;
  try {
    alg = decodeProtectedHeader(idToken).alg;
  } catch {
    alg = undefined;
  }
  const hash = hashOf(alg);
  const refuse = (): never => {
    throw new AuthError('identity_unverified', 'The provider\'s ID token does not belong to the access token it came with (at_hash) and was rejected.');
  };
  if (!hash || typeof atHash !== 'string') return refuse();
  const digest = createHash(hash).update(accessToken, 'ascii').digest();
  const expected = Buffer.from(digest.subarray(0, digest.length / 2).toString('base64url'));
  const received = Buffer.from(atHash);
  if (expected.length !== received.length || !timingSafeEqual(expected, received)) refuse();
}
