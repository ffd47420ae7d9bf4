import * as oidc from 'openid-client';

/**
 * RFC 7636 proof key. The verifier is 32 bytes from the platform CSPRNG,
 * base64url-encoded to 43 characters (§4.1); the challenge is its S256 hash
 * (§4.2). `plain` is never used: a provider that lacks S256 is refused at
 * discovery.
 */
export function createCodeVerifier(): string {
  return oidc.randomPKCECodeVerifier();
}

export function challengeFromVerifier(verifier: string): Promise<string> {
  return oidc.calculatePKCECodeChallenge(verifier);
}

/** Fresh per flow: binds the callback to this flow (RFC 6749 §10.12). */
export function createState(): string {
  return oidc.randomState();
}

/** Fresh per flow: binds the ID token to this flow (OIDC Core §3.1.2.1). */
export function createNonce(): string {
  return oidc.randomNonce();
}
