import type * as oidc from 'openid-client';
import { AuthError } from './errors';
import { CLOCK_TOLERANCE_SECONDS } from './provider-metadata';

/**
 * What an API asked for in an RFC 9470 step-up challenge
 * (`WWW-Authenticate: Bearer error="insufficient_user_authentication"`):
 * an authentication context (`acr_values`, §3) and/or a maximum age of the
 * sign-in in seconds (`max_age`, §3).
 */
export interface StepUpChallenge {
  /** Acceptable `acr` values, in the API's order of preference. */
  readonly acrValues: readonly string[];
  /** Seconds; the sign-in must be at most this old. */
  readonly maxAge: number | undefined;
}

/** An `acr` value is a short printable string (OIDC Core §2); anything else in a challenge is not taken. */
const ACR_VALUE = /^[\x21-\x7E]{1,200}$/;
const MAX_ACR_VALUES = 8;

/**
 * The step-up challenge among `challenges` (parsed by openid-client from a
 * 401's `WWW-Authenticate`), or undefined. Only a Bearer or DPoP challenge
 * with `error="insufficient_user_authentication"` counts, and only with
 * `acr_values` and/or `max_age` that this app can ask for (RFC 9470 §3):
 * values it cannot use make the 401 the API's plain answer.
 */
export function stepUpChallengeOf(challenges: readonly oidc.WWWAuthenticateChallenge[]): StepUpChallenge | undefined {
  for (const challenge of challenges) {
    const scheme = challenge.scheme.toLowerCase();
    if (scheme !== 'bearer' && scheme !== 'dpop') continue;
    const parameters = challenge.parameters;
    if (parameters.error !== 'insufficient_user_authentication') continue;
    const acrText = parameters['acr_values'];
    const acrValues = typeof acrText === 'string' ? acrText.split(' ').filter(Boolean) : [];
    if (acrValues.length > MAX_ACR_VALUES || acrValues.some((value) => !ACR_VALUE.test(value))) return undefined;
    const maxAgeText = parameters['max_age'];
    let maxAge: number | undefined;
    if (maxAgeText !== undefined) {
      if (typeof maxAgeText !== 'string' || !/^\d{1,9}$/.test(maxAgeText)) return undefined;
      maxAge = Number(maxAgeText);
    }
    if (acrValues.length === 0 && maxAge === undefined) return undefined;
    return Object.freeze({ acrValues: Object.freeze(acrValues), maxAge });
  }
  return undefined;
}

/** What the API asked for, in words for the user. */
export function describeStepUp(api: string, challenge: StepUpChallenge): string {
  const parts: string[] = [];
  if (challenge.acrValues.length > 0) parts.push(`a stronger sign-in (${challenge.acrValues.join(' or ')})`);
  if (challenge.maxAge !== undefined) parts.push(`a sign-in within the last ${durationText(challenge.maxAge)}`);
  return `${api} asks you to confirm it's you: it needs ${parts.join(' and ')}. Choose "Verify it's you" to sign in again in your browser.`;
}

/**
 * Checks the ID token of a step-up sign-in against what the API asked for
 * (OIDC Core §2 `acr` and `auth_time`, §3.1.2.1 `acr_values` and
 * `max_age`): `acr` must be one of the asked values; with `max_age`,
 * `auth_time` must be present and no older than `max_age` (plus the clock
 * tolerance).
 * @param nowMs epoch milliseconds.
 * @throws AuthError `step_up_unmet`, saying what was missing.
 */
export function checkStepUpResult(claims: oidc.IDToken, challenge: StepUpChallenge, nowMs: number, api: string): void {
  if (challenge.acrValues.length > 0) {
    const acr = claims.acr;
    if (typeof acr !== 'string' || !challenge.acrValues.includes(acr)) {
      throw new AuthError('step_up_unmet', `The sign-in did not reach what ${api} asked for (${challenge.acrValues.join(' or ')}); the provider reported ${typeof acr === 'string' && ACR_VALUE.test(acr) ? `"${acr}"` : 'no authentication level'}. Try again and complete the stronger sign-in.`);
    }
  }
  if (challenge.maxAge !== undefined) {
    const authTime = claims.auth_time;
    // 0 is no time at all (glewlwyd sends it): the sign-in's time is unknown.
    if (typeof authTime !== 'number' || authTime <= 0) {
      throw new AuthError('step_up_unmet', `The provider did not say when you signed in (no auth_time), so the sign-in cannot be shown to be as recent as ${api} asks.`);
    }
    const age = Math.floor(nowMs / 1000) - authTime;
    if (age > challenge.maxAge + CLOCK_TOLERANCE_SECONDS) {
      throw new AuthError('step_up_unmet', `The provider reused a sign-in from ${durationText(age)} ago; ${api} asks for one within the last ${durationText(challenge.maxAge)}. Try again and sign in anew.`);
    }
  }
}

function durationText(seconds: number): string {
  if (seconds < 120) return `${seconds} seconds`;
  if (seconds < 2 * 3600) return `${Math.round(seconds / 60)} minutes`;
  return `${Math.round(seconds / 3600)} hours`;
}
