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

  it('refuses iat more than 5 minutes ahead, blaming the clock', () => {
    assert.equal(codeOf({ ...base, iat: now / 1000 + 301 }), 'clock_skew');
    assert.equal(codeOf({ ...base, iat: now / 1000 + 3600 }), 'clock_skew');
  });

  // Issue 16 kind 2 (was: refused beyond 5 minutes in the past too): a past iat is no error while exp is
  // in the future (openid-client checks exp); Entra back-dates iat by 5 minutes.
  it('accepts iat in the past: 305 s (Entra), an hour, a day', () => {
    for (const age of [305, 3600, 86_400]) assert.equal(codeOf({ ...base, iat: now / 1000 - age }), undefined, `${age} s old`);
  });

  it('refuses a missing sub', () => {
    assert.equal(codeOf({ ...base, sub: '' }), 'identity_unverified');
  });
});
