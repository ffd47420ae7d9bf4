import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { challengeFromVerifier, createCodeVerifier, createNonce, createState } from '../../../main/auth/pkce';
import { fingerprint } from '../../support/secret-assert';

describe('PKCE (RFC 7636)', () => {
  it('computes the S256 challenge of the Appendix B example', async () => {
    assert.equal(await challengeFromVerifier('dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk'), 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM');
  });

  it('makes a verifier of 32 random bytes: 43 base64url characters, §4.1', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 1000; i += 1) {
      const verifier = createCodeVerifier();
      // Not assert.match: its failure would print the verifier.
      assert.ok(/^[A-Za-z0-9_-]{43}$/.test(verifier), `43 base64url characters (${fingerprint(verifier)})`);
      assert.equal(Buffer.from(verifier, 'base64url').length, 32);
      seen.add(verifier);
    }
    assert.equal(seen.size, 1000);
  });

  it('makes fresh state and nonce values', () => {
    const states = new Set(Array.from({ length: 200 }, createState));
    const nonces = new Set(Array.from({ length: 200 }, createNonce));
    assert.equal(states.size, 200);
    assert.equal(nonces.size, 200);
    for (const value of [...states, ...nonces]) assert.ok(value.length >= 43, `at least 43 characters (${fingerprint(value)})`);
  });
});
