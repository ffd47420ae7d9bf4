/**
 * A hostile discovery document (OpenID Connect Discovery §4.3, RFC 7636
 * §4.2/§7.2), a hostile userinfo endpoint (OpenID Connect Core §5.3.2), and
 * a provider whose clock is off (Core §3.1.3.7 items 9–10).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { assertNothingLeaked, assertUserMessage, errorOf, expectRejectedSignIn, hostileClient, signInFully } from '../support/hostile-harness';
import { startHostileProvider, type HostileProvider, type Json } from '../support/hostile-provider';

describe('hostile provider: discovery', () => {
  let provider: HostileProvider;
  before(async () => {
    provider = await startHostileProvider();
  });
  after(async () => {
    await provider.close();
  });

  /** The document is refused before any browser opens; no flow exists; the app signs in once the provider is fixed. */
  async function expectDiscoveryRefused(discovery: (document: Json) => Json, code: 'issuer_mismatch' | 'provider_unsupported'): Promise<void> {
    provider.reset();
    provider.script = { discovery };
    const client = hostileClient(provider);
    try {
      await assert.rejects(client.auth.signIn(), (error: { code?: string }) => error.code === code);
      const session = client.auth.getSession();
      assert.equal(session.status, 'error');
      assert.equal(errorOf(session)?.code, code);
      assertUserMessage(errorOf(session)?.message, code);
      assert.equal(client.opened.length, 0, 'openExternal was never called: no authorize request, with or without PKCE');
      assert.equal(provider.count('/token'), 0);
      assert.equal(provider.count('/jwks'), 0, 'nothing else is fetched from a provider that failed discovery');
      assert.deepEqual([...(await client.vault.contents()).keys()], [], 'no pending flow was kept');
      // Asking again does not reuse the refused document.
      await assert.rejects(client.auth.ready(), (error: { code?: string }) => error.code === code);
      provider.reset();
      await signInFully(client, provider);
      await client.auth.signOut();
    } finally {
      client.auth.dispose();
    }
  }

  it('issuer different from the configured one', async () => {
    await expectDiscoveryRefused((d) => ({ ...d, issuer: 'https://attacker.example' }), 'issuer_mismatch');
  });

  it('issuer differs only by a trailing slash', async () => {
    await expectDiscoveryRefused((d) => ({ ...d, issuer: `${provider.issuer}/` }), 'issuer_mismatch');
  });

  it('no code_challenge_methods_supported at all (PKCE not advertised)', async () => {
    await expectDiscoveryRefused(({ code_challenge_methods_supported: _dropped, ...rest }) => rest, 'provider_unsupported');
  });

  it('code_challenge_methods_supported is only plain (no downgrade)', async () => {
    await expectDiscoveryRefused((d) => ({ ...d, code_challenge_methods_supported: ['plain'] }), 'provider_unsupported');
  });

  it('code_challenge_methods_supported has "s256" in the wrong case', async () => {
    await expectDiscoveryRefused((d) => ({ ...d, code_challenge_methods_supported: ['plain', 's256'] }), 'provider_unsupported');
  });

  it('no jwks_uri (ID token signatures could not be verified)', async () => {
    await expectDiscoveryRefused(({ jwks_uri: _dropped, ...rest }) => rest, 'provider_unsupported');
  });
});

describe('hostile provider: userinfo', () => {
  let provider: HostileProvider;
  before(async () => {
    provider = await startHostileProvider();
  });
  after(async () => {
    await provider.close();
  });

  for (const [name, change] of [
    ['sub different from the ID token\'s', (c: Json): Json => ({ ...c, sub: 'someone-else', email: `${provider.mint('userinfo')}@attacker.example` })],
    ['sub missing', ({ sub: _dropped, ...rest }: Json): Json => ({ ...rest, email: `${provider.mint('userinfo')}@attacker.example` })],
  ] as const) {
    it(`userinfo: ${name}`, async () => {
      provider.reset();
      const client = hostileClient(provider);
      try {
        await signInFully(client, provider);
        const signedIn = client.auth.getSession();
        const emitted = client.states.length;
        provider.script = { userinfo: change };
        let caught: { code?: string; message?: string } | undefined;
        await assert.rejects(client.auth.getUserInfo(), (error: { code?: string; message?: string }) => {
          caught = error;
          return true;
        });
        assert.equal(caught?.code, 'userinfo_invalid');
        assertUserMessage(caught?.message, 'userinfo_invalid');
        assert.equal(client.auth.getSession(), signedIn, 'the session itself is untouched');
        assert.equal(client.states.length, emitted);
        await assertNothingLeaked(client, provider.secrets().filter((s) => s.startsWith('hostile-userinfo-')));
        provider.script = {};
        const info = await client.auth.getUserInfo();
        assert.equal(info.sub, provider.subject, 'a correct answer is accepted right after');
        await client.auth.signOut();
      } finally {
        client.auth.dispose();
      }
    });
  }
});

describe('hostile provider: clock skew (tolerance ±5 minutes)', () => {
  let provider: HostileProvider;
  before(async () => {
    provider = await startHostileProvider();
  });
  after(async () => {
    await provider.close();
  });

  /** The provider's clock runs `offset` seconds ahead (negative: behind) of ours. */
  const shifted = (offset: number) => (claims: Json): Json => {
    const providerNow = Math.floor(Date.now() / 1000) + offset;
    return { ...claims, iat: providerNow, exp: providerNow + 600 };
  };

  // Issue 16 kind 2: a provider 6 minutes behind mints an iat 6 minutes old with exp still ahead: no
  // error (it was refused as clock_skew before). Its exp lapsing is what refuses a clock further behind.
  for (const minutes of [4, -4, -6]) {
    it(`iat/exp shifted by ${minutes > 0 ? '+' : ''}${minutes} minutes: accepted`, async () => {
      provider.reset();
      const client = hostileClient(provider);
      try {
        provider.script = { idTokenClaims: shifted(minutes * 60) };
        await signInFully(client, provider);
        await client.auth.signOut();
      } finally {
        client.auth.dispose();
      }
    });
  }

  for (const minutes of [6, -16]) {
    it(`iat/exp shifted by ${minutes > 0 ? '+' : ''}${minutes} minutes: refused with clock_skew`, async () => {
      await expectRejectedSignIn(provider, {
        script: { idTokenClaims: shifted(minutes * 60) },
        code: 'clock_skew',
        message: /computer's clock may be wrong/i,
      });
    });
  }
});
