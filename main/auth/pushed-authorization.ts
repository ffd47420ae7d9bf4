import * as oidc from 'openid-client';
import { AuthError } from './errors';
import type { FeatureSetting } from './feature-setting';
import { scrubbedProviderText, toAuthError } from './protocol-errors';

export type ParDecision =
  | { readonly use: false }
  | { readonly use: true; /** True when the provider's `require_pushed_authorization_requests` overrode `never`. */ readonly forced: boolean };

/**
 * Whether the authorization request is pushed (RFC 9126), decided from the
 * discovery document:
 *
 * - `auto`: pushed when the provider lists `pushed_authorization_request_endpoint` (§5).
 * - `always`: pushed, or `provider_unsupported` when the provider has no such endpoint.
 * - `never`: sent in the browser URL, unless the provider states
 *   `require_pushed_authorization_requests: true` (§5): it accepts nothing
 *   else, so a request in the URL could only fail in the browser. Then the
 *   request is pushed anyway and `forced` says so, for the log. (`never`
 *   exists to avoid PAR where it is optional; it cannot make a provider
 *   accept what it refuses.)
 *
 * @throws AuthError `provider_unsupported` for `always` without an endpoint,
 *   or a provider that requires PAR but publishes no endpoint for it.
 */
export function decidePar(setting: FeatureSetting, server: Pick<oidc.ServerMetadata, 'issuer' | 'pushed_authorization_request_endpoint' | 'require_pushed_authorization_requests'>): ParDecision {
  const offered = typeof server.pushed_authorization_request_endpoint === 'string' && server.pushed_authorization_request_endpoint !== '';
  const required = server.require_pushed_authorization_requests === true;
  if (required && !offered) {
    throw new AuthError('provider_unsupported', `The provider at ${server.issuer} requires pushed authorization requests but publishes no pushed_authorization_request_endpoint, so no sign-in can succeed. Contact the provider's administrator.`);
  }
  if (setting === 'always' && !offered) {
    throw new AuthError('provider_unsupported', `The provider at ${server.issuer} does not offer pushed authorization requests (no pushed_authorization_request_endpoint in its discovery document). The configuration asks for them always; set par to "auto" to sign in with this provider.`);
  }
  if (setting === 'never') return required ? { use: true, forced: true } : { use: false };
  return offered ? { use: true, forced: false } : { use: false };
}

/**
 * RFC 6749 §5.2 codes with which providers that list a PAR endpoint without
 * requiring it refuse a public client's push (Keycloak before 23:
 * 400 `invalid_request` "Authentication failed."; Duende IdentityServer:
 * 401 `invalid_client`): the client may not push, not a request that is wrong.
 */
export const PAR_REFUSAL_ERRORS = ['invalid_request', 'invalid_client', 'unauthorized_client'] as const;

/**
 * Whether a sign-in whose push failed with `error` (what
 * {@link pushAuthorizationRequest} threw) goes on with the authorization
 * request in the browser URL instead: only under `auto`, only when the
 * provider does not require PAR (RFC 9126 §5), and only for an OAuth error
 * response (400/401, JSON) with one of {@link PAR_REFUSAL_ERRORS}; never for
 * a 5xx, a timeout, an unreachable provider or a body that is not an OAuth error.
 */
export function mayFallBackFromPush(setting: FeatureSetting, server: Pick<oidc.ServerMetadata, 'require_pushed_authorization_requests'>, error: unknown): boolean {
  if (setting !== 'auto' || server.require_pushed_authorization_requests === true) return false;
  const cause = error instanceof AuthError ? error.cause : error;
  return cause instanceof oidc.ResponseBodyError && (cause.status === 400 || cause.status === 401) && (PAR_REFUSAL_ERRORS as readonly string[]).includes(cause.error);
}

/** The OAuth error code of a refused push, for the log: only when it looks like one (no token, no line break). */
export function pushRefusalCode(error: unknown): string {
  const cause = error instanceof AuthError ? error.cause : error;
  const code = cause instanceof oidc.ResponseBodyError ? cause.error : '';
  return /^[a-z][a-z0-9_]{0,39}$/.test(code) ? code : 'unrecognised error';
}

/**
 * Pushes the authorization request to the provider (RFC 9126 §2) and
 * returns the URL the browser opens: the authorization endpoint with
 * `client_id` and `request_uri` only (§4), so no PKCE challenge, state,
 * nonce or scope appears in what the OS and the browser see.
 *
 * With a DPoP handle the push carries a proof, which binds the code to the
 * key (RFC 9449 §10.1); a `use_dpop_nonce` answer is retried once, with the
 * provider's nonce (openid-client does this).
 *
 * @param why the `par` setting and whether the provider requires PAR: a refusal's message names them.
 * @throws AuthError `authorization_error` when the provider refuses the request
 *   (an OAuth error, §2.3) or answers with something unusable; `network_error`
 *   (retryable) for a 5xx, a timeout or an unreachable provider.
 */
export async function pushAuthorizationRequest(configuration: oidc.Configuration, parameters: Readonly<Record<string, string>> | URLSearchParams, dpop?: oidc.DPoPHandle, why?: { readonly setting: FeatureSetting; readonly required: boolean }): Promise<URL> {
  try {
    return await oidc.buildAuthorizationUrlWithPAR(configuration, parameters instanceof URLSearchParams ? new URLSearchParams(parameters) : { ...parameters }, dpop ? { DPoP: dpop } : undefined);
  } catch (error) {
    // The provider may echo the pushed form (state, nonce, challenge…): none of it reaches a message.
    throw pushError(error, parameters instanceof URLSearchParams ? [...parameters.values()] : Object.values(parameters), why);
  }
}

/** What the user can do about a refused push, by the `par` setting that made the app push. */
function settingAdvice(why: { readonly setting: FeatureSetting; readonly required: boolean } | undefined): string {
  if (!why) return '';
  if (why.required) return ' The provider requires pushed authorization requests, which no par setting can turn off: its administrator must allow this app to push them.';
  if (why.setting === 'always') return ' The par setting is "always"; with "auto" the app would send the sign-in request in the browser URL when the provider refuses the push.';
  return '';
}

function pushError(error: unknown, secrets: readonly string[], why?: { readonly setting: FeatureSetting; readonly required: boolean }): AuthError {
  const providerText = (value: unknown): string => scrubbedProviderText(value, secrets);
  const status = statusOf(error);
  if (status >= 500) {
    return new AuthError('network_error', `The provider had a problem with the sign-in request (HTTP ${status}). Try again in a moment.`, { cause: error });
  }
  if (error instanceof oidc.ResponseBodyError) {
    const description = providerText(error.error_description);
    return new AuthError('authorization_error', `The provider refused the pushed sign-in request (${providerText(error.error)}).${description ? ` The provider said: ${description}` : ''}${settingAdvice(why)}`, { cause: error });
  }
  const mapped = toAuthError(error, 'authorization', secrets);
  if (mapped.code === 'network_error' || mapped.code === 'internal_error') return mapped;
  return new AuthError('authorization_error', 'The provider\'s answer to the sign-in request could not be used. Please try again; if it keeps happening, contact your administrator.', { cause: error });
}

function statusOf(error: unknown): number {
  if (error instanceof oidc.ResponseBodyError) return error.status;
  const cause = (error as { cause?: unknown } | undefined)?.cause;
  return cause instanceof Response ? cause.status : 0;
}
