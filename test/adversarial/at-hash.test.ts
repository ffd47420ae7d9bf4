/**
 * Issue 17: an ID token's `at_hash`, when present, must match the access
 * token it came with (OIDC Core §3.1.3.8 for the code exchange, §12.2 for a
 * refresh): the one injected fault the core still accepted. openid-client
 * does not check it.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { vaultKey } from '../../main/auth/pending-flow';
import { expectRejectedSignIn, hostileClient, signInFully } from '../support/hostile-harness';
import { startHostileProvider, type HostileProvider } from '../support/hostile-provider';

function atHashOf(accessToken: string, hash: 'sha256' | 'sha512' = 'sha256'): string {
  const digest = createHash(hash).update(accessToken, 'ascii').digest();
  return digest.subarray(0, digest.length / 2).toString('base64url');
}

describe('at_hash (OIDC Core §3.1.3.8, §12.2)', () => {
  let provider: HostileProvider;
  before(async () => {
    provider = await startHostileProvider();
  });
  after(async () => {
    await provider.close();
  });

  /** The access token of the response being built: the provider mints it just before the ID token. */
  const currentAccessToken = (): string => provider.secrets().filter((s) => s.startsWith('hostile-at-')).at(-1) ?? '';

  it('at_hash of another access token: the sign-in is refused', async () => {
    await expectRejectedSignIn(provider, {
      script: { idTokenClaims: (claims) => ({ ...claims, at_hash: atHashOf('some-other-access-token') }) },
      code: 'identity_unverified',
      message: /at_hash/,
    });
  });

  it('at_hash that is not a string: the sign-in is refused', async () => {
    await expectRejectedSignIn(provider, {
      script: { idTokenClaims: (claims) => ({ ...claims, at_hash: 12345 }) },
      code: 'identity_unverified',
      message: /at_hash/,
    });
  });

  it('at_hash of the right access token under the wrong hash (SHA-512 for an RS256 ID token): refused', async () => {
    await expectRejectedSignIn(provider, {
      script: { idTokenClaims: (claims) => ({ ...claims, at_hash: atHashOf(currentAccessToken(), 'sha512') }) },
      code: 'identity_unverified',
      message: /at_hash/,
    });
  });

  it('at_hash of the access token it came with: signed in, and a refresh with a matching at_hash keeps the session', async () => {
    provider.reset();
    provider.script = { idTokenClaims: (claims) => ({ ...claims, at_hash: atHashOf(currentAccessToken()) }) };
    let offsetMs = 0;
    const client = hostileClient(provider, { now: () => Date.now() + offsetMs });
    try {
      await signInFully(client, provider);
      const expiresAt = client.auth.getSession().status === 'signed-in' ? (client.auth.getSession() as { expiresAt: number }).expiresAt : 0;
      offsetMs = 250_000;
      client.auth.resume();
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('no refresh')), 10_000);
        const off = client.auth.onSessionChange((state) => {
          if (state.status === 'signed-in' && state.expiresAt !== expiresAt) {
            clearTimeout(timer);
            off();
            resolve();
          }
        });
      });
      assert.equal(client.auth.getSession().status, 'signed-in');
    } finally {
      client.auth.dispose();
    }
  });

  it('a refresh whose ID token has the at_hash of another access token: the session ends and the keychain keeps the refresh token', async () => {
    provider.reset();
    let offsetMs = 0;
    const client = hostileClient(provider, { now: () => Date.now() + offsetMs });
    try {
      await signInFully(client, provider);
      const key = vaultKey('refresh-token', client.config);
      await client.vault.completed('set', key, 'the session written to the keychain');
      provider.script = { idTokenClaims: (claims, context) => (context.grantType === 'refresh_token' ? { ...claims, at_hash: atHashOf('some-other-access-token') } : claims) };
      offsetMs = 250_000;
      client.auth.resume();
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('the session did not end')), 10_000);
        const off = client.auth.onSessionChange((state) => {
          if (state.status !== 'signed-in') {
            clearTimeout(timer);
            off();
            resolve();
          }
        });
      });
      const state = client.auth.getSession();
      assert.equal(state.status, 'signed-out');
      assert.equal(state.status === 'signed-out' && state.error?.code, 'identity_unverified');
      assert.notEqual(await client.vault.get(key), null, 'nothing from the provider said the grant is dead');
    } finally {
      client.auth.dispose();
    }
  });
});
