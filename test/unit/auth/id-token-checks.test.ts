import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type * as oidc from 'openid-client';
import { AuthError } from '../../../main/auth/errors';
import { checkIdTokenClaims } from '../../../main/auth/id-token-checks';

const now = 1_700_000_000_000;
const CLIENT_ID = 'c';
const base = { iss: 'https://idp', aud: 'c', sub: 'u', exp: now / 1000 + 600, iat: now / 1000 } as oidc.IDToken;

function codeOf(claims: oidc.IDToken): string | undefined {
  try {
    checkIdTokenClaims(claims, now, CLIENT_ID);
    return undefined;
  } catch (error) {
    assert.ok(error instanceof AuthError);
    return error.code;
  }
}

describe('checkIdTokenClaims', () => {
  it('accepts iat within ±5 minutes', () => {
    assert.equal(codeOf({ ...base, iat: now / 1000 + 299 }), undefined);
    assert.equal(codeOf({ ...base, iat: now / 1000 - 299 }), undefined);
  });

  it('refuses iat more than 5 minutes away, blaming the clock', () => {
    assert.equal(codeOf({ ...base, iat: now / 1000 + 301 }), 'clock_skew');
    assert.equal(codeOf({ ...base, iat: now / 1000 - 3600 }), 'clock_skew');
  });

  it('refuses a missing sub', () => {
    assert.equal(codeOf({ ...base, sub: '' }), 'identity_unverified');
  });
});
