import * as oidc from 'openid-client';
import { AuthError } from './errors';

/** Provider-supplied text is shown to the user as text; it is capped so a hostile provider cannot flood the UI. */
const MAX_PROVIDER_TEXT = 300;

export type ProtocolStep = 'authorization' | 'token' | 'refresh' | 'userinfo';

/**
 * Turns whatever openid-client (or the network) threw into an AuthError with
 * a stable code and a message a user understands. Library messages are
 * never passed through verbatim: they can quote response bodies.
 */
export function toAuthError(error: unknown, step: ProtocolStep, secrets: Iterable<string> = []): AuthError {
  const known = [...secrets].filter((secret) => secret.length > 0);
  const providerText = (value: unknown): string => scrubbedProviderText(value, known);
  // openid-client wraps what its fetch throws (our bounded fetch's
  // network_error, or the TimeoutError of an aborted body read) in errors of
  // its own: look for a transport failure along the cause chain first.
  const transport = transportFailure(error);
  if (transport) {
    return step === 'token' || step === 'refresh'
      ? new AuthError('token_request_failed', `${transport.message} Try again.`, { cause: error })
      : new AuthError('network_error', transport.message, { cause: error });
  }
  if (error instanceof AuthError) return error;
  if (error instanceof oidc.AuthorizationResponseError) {
    const description = providerText(error.error_description);
    if (error.error === 'access_denied') {
      return new AuthError('authorization_denied', `The sign-in was cancelled or refused at the provider.${description ? ` The provider said: ${description}` : ''}`, { cause: error });
    }
    return new AuthError('authorization_error', `The provider could not sign you in (${providerText(error.error)}).${description ? ` The provider said: ${description}` : ''}`, { cause: error });
  }
  if (error instanceof oidc.ResponseBodyError) {
    const description = providerText(error.error_description);
    if (error.status >= 500) {
      return new AuthError('token_request_failed', `The provider had a problem (HTTP ${error.status}). Try again in a moment.`, { cause: error });
    }
    if (error.error === 'invalid_grant') {
      const what = step === 'refresh' ? 'Your session ended' : 'The sign-in code was rejected (it may have expired or been used already)';
      return new AuthError(step === 'refresh' ? 'session_ended' : 'token_rejected', `${what}. Please sign in again.`, { cause: error });
    }
    // At the code exchange the code is spent whatever the provider calls its refusal (glewlwyd says invalid_code).
    const advice = step === 'token' ? ' Please sign in again.' : '';
    return new AuthError('token_rejected', `The provider refused the request (${providerText(error.error)}).${description ? ` The provider said: ${description}` : ''}${advice}`, { cause: error });
  }
  if (error instanceof oidc.WWWAuthenticateChallengeError) {
    return new AuthError(step === 'userinfo' ? 'userinfo_invalid' : 'token_rejected', 'The provider refused the access token.', { cause: error });
  }
  const code = (error as { code?: unknown }).code;
  const detail = innermostMessage(error);
  if (code === 'OAUTH_INVALID_RESPONSE' && /"iss" \(issuer\) (response parameter|missing)|response parameter "iss"/.test(detail)) {
    return new AuthError('iss_mismatch', 'The sign-in response did not come from the configured provider (issuer check failed, RFC 9207). Please sign in again.', { cause: error });
  }
  if (code === 'OAUTH_INVALID_RESPONSE' && /state/.test(detail)) {
    return new AuthError('state_mismatch', 'The sign-in response does not belong to this sign-in. Please sign in again.', { cause: error });
  }
  if (step === 'userinfo' && (code === 'OAUTH_JWT_TIMESTAMP_CHECK_FAILED' || code === 'OAUTH_JWT_CLAIM_COMPARISON_FAILED' || code === 'OAUTH_KEY_SELECTION_FAILED' || /JWT|signature|alg/i.test(detail))) {
    // A signed (application/jwt) userinfo answer this app cannot or will not check: it is the user
    // information that was refused, not the ID token (OIDC Core §5.3.2).
    return new AuthError('userinfo_invalid', 'The provider\'s user information came as a signed answer this app could not verify (the provider\'s discovery document may list no userinfo_signing_alg_values_supported), so it was not used.', { cause: error });
  }
  if (code === 'OAUTH_JWT_TIMESTAMP_CHECK_FAILED') {
    return new AuthError('clock_skew', 'The provider\'s ID token is expired or not yet valid. Your computer\'s clock may be wrong: check the date, time and time zone, then sign in again.', { cause: error });
  }
  if (step === 'userinfo' && (code === 'OAUTH_JSON_ATTRIBUTE_COMPARISON_FAILED' || code === 'OAUTH_INVALID_RESPONSE')) {
    return new AuthError('userinfo_invalid', 'The provider\'s user information does not match the signed-in user and was rejected.', { cause: error });
  }
  if (code === 'OAUTH_JWT_CLAIM_COMPARISON_FAILED' || code === 'OAUTH_KEY_SELECTION_FAILED' || /JWT|ID Token|id_token|signature|alg/i.test(detail)) {
    return new AuthError('identity_unverified', 'The provider\'s ID token failed validation and was rejected. Please sign in again; if it keeps happening, contact your administrator.', { cause: error });
  }
  if (code === 'OAUTH_RESPONSE_IS_NOT_CONFORM' && httpStatusOf(error) >= 500) {
    return new AuthError('token_request_failed', `The provider had a problem (HTTP ${httpStatusOf(error)}). Try again in a moment.`, { cause: error });
  }
  if (typeof code === 'string' && code.startsWith('OAUTH_')) {
    return new AuthError('token_response_invalid', 'The provider sent a response this app cannot use. Please try again; if it keeps happening, contact your administrator.', { cause: error });
  }
  if (error instanceof TypeError || (error as Error)?.name === 'AbortError' || (error as Error)?.name === 'TimeoutError') {
    return new AuthError(step === 'token' || step === 'refresh' ? 'token_request_failed' : 'network_error', 'The provider could not be reached. Check the network connection and try again.', { cause: error });
  }
  return new AuthError('internal_error', 'Something went wrong while signing in. Please try again.', { cause: error });
}

/** Provider text that holds no secret by nature (an issuer, a URL): control characters out, length capped. */
export function providerText(value: unknown): string {
  if (typeof value !== 'string') return '';
  return cleanText(value);
}

/**
 * Runs of this many characters from the base64url/base64 alphabets (and dots
 * between JWT segments) are token-shaped: a verifier is 43, a JWT far more.
 * Words of prose never get this long.
 */
const TOKEN_SHAPED = /[A-Za-z0-9_~+/=.-]{32,}/g;

/**
 * Provider text as a user may see it: every secret of the flow and session
 * removed by exact match (a provider may echo the request, RFC 6749 §5.2
 * error_description is free text), anything token-shaped removed, control
 * characters out, length capped. The UI renders it as text, never HTML.
 * @param secrets the code, verifier, state, nonce and tokens in play.
 */
export function scrubbedProviderText(value: unknown, secrets: readonly string[]): string {
  if (typeof value !== 'string') return '';
  let text = value;
  // Longest first, so a secret containing another is removed whole.
  for (const secret of secrets.filter((entry) => entry !== '').sort((a, b) => b.length - a.length)) text = text.split(secret).join('[redacted]');
  return cleanText(text.replace(TOKEN_SHAPED, '[redacted]'));
}

function cleanText(text: string): string {
  // C0 and C1 controls, and bidi overrides that could make the text read differently from what it says.
  const clean = text.replace(/[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g, ' ').trim();
  return clean.length > MAX_PROVIDER_TEXT ? `${clean.slice(0, MAX_PROVIDER_TEXT)}…` : clean;
}

/** A network-level failure somewhere along `error`'s cause chain. */
function transportFailure(error: unknown): AuthError | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 6 && current instanceof Error; depth += 1) {
    if (current instanceof AuthError) return current.code === 'network_error' ? current : undefined;
    const code = (current as { code?: unknown }).code;
    if (current.name === 'TimeoutError' || current.name === 'AbortError' || code === 'OAUTH_TIMEOUT' || code === 'OAUTH_ABORT') {
      return new AuthError('network_error', 'The provider did not answer in time.', { cause: error });
    }
    current = current.cause;
  }
  return undefined;
}

function innermostMessage(error: unknown): string {
  const messages: string[] = [];
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current instanceof Error; depth += 1) {
    messages.push(current.message);
    current = current.cause;
  }
  return messages.join(' | ');
}

function httpStatusOf(error: unknown): number {
  const cause = (error as { cause?: unknown }).cause;
  if (cause instanceof Response) return cause.status;
  const status = (cause as { status?: unknown } | undefined)?.status;
  return typeof status === 'number' ? status : 0;
}
