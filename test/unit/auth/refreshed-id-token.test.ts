/**
 * Issue 9, kinds 4 and 5: OIDC Core §12.2 (a refreshed ID token keeps the
 * original's iss, sub, aud, azp, auth_time, and nonce if present) and
 * §3.1.3.7 item 5 (azp, when present, is our client id).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type * as oidc from 'openid-client';
import { AuthError } from '../../../main/auth/errors';
import { checkIdTokenClaims, checkRefreshedIdToken, identityOf, type IdentityClaims } from '../../../main/auth/id-token-checks';

const NOW = 1_700_000_000_000;
const CLIENT_ID = 'desktop-client';
const base = { iss: 'https://idp.example', sub: 'user-1', aud: CLIENT_ID, exp: NOW / 1000 + 600, iat: NOW / 1000 } as oidc.IDToken;

function codeOf(check: () => void): string | undefined {
  try {
    check();
    return undefined;
  } catch (error) {
    assert.ok(error instanceof AuthError);
    return error.code;
  }
}

describe('checkIdTokenClaims: azp (OIDC Core §3.1.3.7 item 5)', () => {
  it('the issue\'s input: aud = our client id, azp = "other-client": refused', () => {
    assert.equal(codeOf(() => checkIdTokenClaims({ ...base, aud: CLIENT_ID, azp: 'other-client' }, NOW, CLIENT_ID)), 'identity_unverified');
  });

  it('azp naming another client with several audiences: refused', () => {
    assert.equal(codeOf(() => checkIdTokenClaims({ ...base, aud: [CLIENT_ID, 'api'], azp: 'other-client' }, NOW, CLIENT_ID)), 'identity_unverified');
  });

  it('azp equal to our client id, or absent: accepted', () => {
    assert.equal(codeOf(() => checkIdTokenClaims({ ...base, azp: CLIENT_ID }, NOW, CLIENT_ID)), undefined);
    assert.equal(codeOf(() => checkIdTokenClaims(base, NOW, CLIENT_ID)), undefined);
  });

  it('an empty azp is not our client id', () => {
    assert.equal(codeOf(() => checkIdTokenClaims({ ...base, azp: '' }, NOW, CLIENT_ID)), 'identity_unverified');
  });
});

describe('identityOf', () => {
  it('keeps iss, sub, aud, and azp, auth_time and nonce when present; nothing else', () => {
    const claims = { ...base, azp: CLIENT_ID, auth_time: 1_699_999_000, nonce: 'n-1', name: 'Dana', email: 'd@example.com' } as oidc.IDToken;
    assert.deepEqual(identityOf(claims), { iss: base.iss, sub: base.sub, aud: CLIENT_ID, azp: CLIENT_ID, auth_time: 1_699_999_000, nonce: 'n-1' });
    assert.deepEqual(identityOf(base), { iss: base.iss, sub: base.sub, aud: CLIENT_ID });
  });
});

describe('checkRefreshedIdToken (OIDC Core §12.2)', () => {
  const original: IdentityClaims = { iss: base.iss, sub: base.sub, aud: CLIENT_ID, azp: CLIENT_ID, auth_time: 1_699_999_000, nonce: 'original-nonce' };
  const same = { ...base, azp: CLIENT_ID, auth_time: 1_699_999_000 } as oidc.IDToken;
  const refused = (claims: oidc.IDToken, against: IdentityClaims = original): string | undefined => codeOf(() => checkRefreshedIdToken(claims, against));

  it('the same identity, without a nonce (usual for a refresh) or with the original one: accepted', () => {
    assert.equal(refused(same), undefined);
    assert.equal(refused({ ...same, nonce: 'original-nonce' } as oidc.IDToken), undefined);
  });

  it('the issue\'s input: a different nonce is refused', () => {
    assert.equal(refused({ ...same, nonce: 'another-nonce' } as oidc.IDToken), 'identity_unverified');
  });

  it('a nonce where the original had none is refused', () => {
    const { nonce: _none, ...withoutNonce } = original;
    assert.equal(refused({ ...same, nonce: 'some-nonce' } as oidc.IDToken, withoutNonce), 'identity_unverified');
  });

  for (const [name, change] of [
    ['iss', { iss: 'https://other-idp.example' }],
    ['sub', { sub: 'user-2' }],
    ['aud (another value)', { aud: 'other-client' }],
    ['aud (one more value)', { aud: [CLIENT_ID, 'api'] }],
    ['azp (another value)', { azp: 'other-client' }],
    ['azp (dropped)', { azp: undefined }],
    ['auth_time (another value)', { auth_time: 1_699_999_999 }],
    ['auth_time (dropped)', { auth_time: undefined }],
  ] as const) {
    it(`a changed ${name} is refused, the message naming the claim`, () => {
      let message = '';
      try {
        checkRefreshedIdToken({ ...same, ...change } as oidc.IDToken, original);
      } catch (error) {
        assert.ok(error instanceof AuthError);
        assert.equal(error.code, 'identity_unverified');
        message = error.message;
      }
      assert.match(message, new RegExp(`\\b${name.split(' ')[0]}\\b`));
    });
  }

  it('aud as the same set in another order is the same audience', () => {
    const multi: IdentityClaims = { ...original, aud: [CLIENT_ID, 'api'] };
    assert.equal(refused({ ...same, aud: ['api', CLIENT_ID] } as oidc.IDToken, multi), undefined);
  });

  it('azp and auth_time the original did not have are not compared', () => {
    const bare: IdentityClaims = { iss: base.iss, sub: base.sub, aud: CLIENT_ID };
    assert.equal(refused({ ...base, azp: CLIENT_ID, auth_time: 5 } as oidc.IDToken, bare), undefined);
  });
});
