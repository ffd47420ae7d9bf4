import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type * as oidc from 'openid-client';
import { AuthError } from '../../../main/auth/errors';
import { checkStepUpResult, describeStepUp, stepUpChallengeOf } from '../../../main/auth/step-up';

const challenge = (scheme: string, parameters: Record<string, string>): oidc.WWWAuthenticateChallenge => ({ scheme, parameters } as unknown as oidc.WWWAuthenticateChallenge);
const NOW = 1_800_000_000_000;
const idToken = (claims: Record<string, unknown>): oidc.IDToken => ({ iss: 'https://op', sub: 'u', aud: 'c', iat: NOW / 1000, exp: NOW / 1000 + 300, ...claims }) as oidc.IDToken;

describe('RFC 9470 step-up challenges', () => {
  it('reads acr_values and max_age from a Bearer or DPoP insufficient_user_authentication challenge', () => {
    assert.deepEqual(stepUpChallengeOf([challenge('bearer', { error: 'insufficient_user_authentication', acr_values: 'urn:a urn:b' })]), { acrValues: ['urn:a', 'urn:b'], maxAge: undefined });
    assert.deepEqual(stepUpChallengeOf([challenge('Basic', { realm: 'x' }), challenge('dpop', { error: 'insufficient_user_authentication', max_age: '300' })]), { acrValues: [], maxAge: 300 });
  });

  for (const [what, parameters] of [
    ['another error', { error: 'invalid_token', acr_values: 'a' }],
    ['nothing asked', { error: 'insufficient_user_authentication' }],
    ['a max_age that is not a number', { error: 'insufficient_user_authentication', max_age: '5m' }],
    ['a negative max_age', { error: 'insufficient_user_authentication', max_age: '-1' }],
    ['an acr value with a control character', { error: 'insufficient_user_authentication', acr_values: 'a\u0007' }],
    ['too many acr values', { error: 'insufficient_user_authentication', acr_values: 'a b c d e f g h i' }],
  ] as const) {
    it(`ignores a challenge with ${what}`, () => {
      assert.equal(stepUpChallengeOf([challenge('Bearer', parameters)]), undefined);
    });
  }

  it('ignores a challenge under another scheme', () => {
    assert.equal(stepUpChallengeOf([challenge('Basic', { error: 'insufficient_user_authentication', acr_values: 'a' })]), undefined);
  });

  it('describes what was asked in words', () => {
    assert.equal(describeStepUp('Orders', { acrValues: ['urn:mfa'], maxAge: 300 }), 'Orders asks you to confirm it\'s you: it needs a stronger sign-in (urn:mfa) and a sign-in within the last 5 minutes. Choose "Verify it\'s you" to sign in again in your browser.');
  });
});

describe('checkStepUpResult (OIDC Core §2, §3.1.2.1)', () => {
  const refused = (fn: () => void, pattern: RegExp) =>
    assert.throws(fn, (error: unknown) => error instanceof AuthError && error.code === 'step_up_unmet' && pattern.test(error.message));

  it('accepts an acr among the asked values and a recent enough auth_time', () => {
    checkStepUpResult(idToken({ acr: 'urn:b', auth_time: NOW / 1000 - 10 }), { acrValues: ['urn:a', 'urn:b'], maxAge: 60 }, NOW, 'Orders');
  });
  it('refuses another acr, or none', () => {
    refused(() => checkStepUpResult(idToken({ acr: 'urn:c' }), { acrValues: ['urn:a'], maxAge: undefined }, NOW, 'Orders'), /"urn:c"/);
    refused(() => checkStepUpResult(idToken({}), { acrValues: ['urn:a'], maxAge: undefined }, NOW, 'Orders'), /no authentication level/);
  });
  it('with max_age: refuses a missing auth_time and one older than max_age plus the clock tolerance', () => {
    refused(() => checkStepUpResult(idToken({}), { acrValues: [], maxAge: 60 }, NOW, 'Orders'), /no auth_time/);
    refused(() => checkStepUpResult(idToken({ auth_time: NOW / 1000 - 361 }), { acrValues: [], maxAge: 60 }, NOW, 'Orders'), /6 minutes ago/);
    checkStepUpResult(idToken({ auth_time: NOW / 1000 - 360 }), { acrValues: [], maxAge: 60 }, NOW, 'Orders');
  });
});
