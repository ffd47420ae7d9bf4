import { decodeJwt } from 'jose';
import * as oidc from 'openid-client';
import type { ApiConfig } from './api-config';
import type { AuthContext } from './auth-context';
import { checkAccessTokenHash } from './at-hash';
import type { DpopKey } from './dpop-key';
import { AuthError } from './errors';
import { checkIdTokenClaims, checkRefreshedIdToken } from './id-token-checks';
import { scrubbedProviderText, toAuthError } from './protocol-errors';
import { adoptJwks, clientConfiguration } from './provider-metadata';
import type { SessionRefresh } from './session-refresh';
import { ApiToken } from './api-tokens';
import type { TokenSet } from './token-set';

/**
 * OAuth errors a provider answers a token request for one API with when the
 * user has not granted what it names: oidc-provider says `invalid_scope`
 * (a scope the refresh token lacks) or `invalid_target` (a resource it does
 * not cover, RFC 8707 §2); OIDC providers may say `consent_required` or
 * `interaction_required` (OIDC Core §3.1.2.6); Entra ID says
 * `invalid_grant` with `suberror=consent_required` / AADSTS65001 (an
 * `invalid_grant` without that is checked against the session first).
 */
const CONSENT_ERRORS = new Set(['invalid_scope', 'invalid_target', 'consent_required', 'interaction_required']);

/**
 * The refresh token's answer for one API: the refresh token grant (RFC 6749
 * §6) with that API's `scope` (narrowing) and/or `resource` (RFC 8707
 * §2.2), proof of the session's DPoP key when the refresh token is bound to
 * it (RFC 9449 §5). Runs while no other request uses the refresh token; a
 * rotated refresh token replaces the kept one as a session refresh's does,
 * after the same checks of any ID token (OIDC Core §12.2, §3.1.3.8 at_hash).
 * @throws AuthError `consent_required` (the user has not granted it), `session_ended`, `identity_unverified`, `token_response_invalid` (a token for another audience), or the refresh's transport codes.
 */
export async function requestApiToken(ctx: AuthContext, session: SessionRefresh, api: ApiConfig): Promise<ApiToken> {
  try {
    return await session.withRefreshToken((tokens) => grantFor(ctx, session, api, tokens));
  } catch (error) {
    if (!(error instanceof GrantRefused)) throw error;
    if (error.consent) throw consentRequired(api);
    // invalid_grant: the session's grant may be dead, or the provider says so of a scope change. The session's
    // own refresh decides (it ends a dead session); if the session lives on, this API needs consent.
    const renewed = await session.refreshSession();
    if (!renewed && !ctx.tokens) throw new AuthError('session_ended', 'Your session ended; please sign in again.');
    if (!renewed) throw toAuthError(error.cause, 'refresh');
    throw consentRequired(api);
  }
}

async function grantFor(ctx: AuthContext, session: SessionRefresh, api: ApiConfig, tokens: TokenSet): Promise<ApiToken> {
  const meta = await ctx.provider();
  const configuration = clientConfiguration(meta, ctx.config, ctx.deps);
  const refreshToken = tokens.refreshToken as string;
  const parameters = new URLSearchParams();
  if (api.scopes.length > 0) parameters.set('scope', api.scopes.join(' '));
  if (api.resource) parameters.set('resource', api.resource);
  if (api.audience) parameters.set('audience', api.audience);
  const dpopKey = tokens.dpopKey;
  const secrets = [refreshToken, ...ctx.sessionSecrets()];
  let response: oidc.TokenEndpointResponse & oidc.TokenEndpointResponseHelpers;
  try {
    response = await oidc.refreshTokenGrant(configuration, refreshToken, parameters, dpopKey ? { DPoP: dpopKey.handle(configuration) } : undefined);
  } catch (error) {
    if (error instanceof oidc.ResponseBodyError && error.status < 500) {
      if (CONSENT_ERRORS.has(error.error) || (error.error === 'invalid_grant' && consentHint(error))) throw new GrantRefused(true, error);
      if (error.error === 'invalid_grant') throw new GrantRefused(false, error);
    }
    throw toAuthError(error, 'refresh', secrets);
  } finally {
    adoptJwks(meta, configuration);
  }
  const rotated = response.refresh_token;
  try {
    const claims = response.claims();
    if (claims) {
      checkIdTokenClaims(claims, ctx.now(), ctx.config.clientId);
      if (tokens.identity) checkRefreshedIdToken(claims, tokens.identity);
      else if (claims.sub !== tokens.user.sub) throw new AuthError('identity_unverified', 'The provider returned an ID token for a different user; the session was ended.');
      checkAccessTokenHash(response.id_token, claims.at_hash, response.access_token);
    }
  } catch (error) {
    const authError = toAuthError(error, 'refresh', [...secrets, response.access_token, rotated ?? '']);
    // Nothing from this answer is used; a rotated refresh token in it is revoked rather than dropped.
    if (rotated && rotated !== refreshToken) ctx.retirement.retire({ refreshToken: rotated }, `a token request for ${api.name} whose ID token was refused`);
    if (authError.code === 'identity_unverified') await session.endUntrusted(authError);
    throw authError;
  }
  // The rotated refresh token is the session's from here on, whatever becomes of the access token.
  if (rotated && rotated !== refreshToken) session.adoptRotatedRefreshToken(tokens, rotated, response.id_token);
  else if (response.id_token) session.adoptRotatedRefreshToken(tokens, refreshToken, response.id_token);
  return apiTokenFrom(ctx, api, response, dpopKey);
}

/**
 * The access token of a token response for `api`. Its type follows the
 * request (token-response.ts rules). When the token states its audience (a
 * JWT access token, RFC 9068 §2.2), it must include the API's `resource`:
 * a token for another audience is refused. A token that states none cannot
 * be checked: it is used for this API only, and the log says so.
 * @param issuedAt epoch ms when the response arrived (default now).
 * @throws AuthError `token_response_invalid`.
 */
export function apiTokenFrom(ctx: AuthContext, api: ApiConfig, response: oidc.TokenEndpointResponse, dpopKey: DpopKey | undefined, issuedAt = ctx.now()): ApiToken {
  const type = response.token_type.toLowerCase();
  if (type === 'dpop' && !dpopKey) throw new AuthError('token_response_invalid', `The provider issued a DPoP-bound token for ${api.name} although this app sent no proof of possession; it was refused.`);
  if (type !== 'dpop' && type !== 'bearer') throw new AuthError('token_response_invalid', `The provider issued a token of a type this app does not use for ${api.name}; it was refused.`);
  const audience = statedAudience(response.access_token);
  // A token that states it is meant for another configured API is never sent to this one (glewlwyd, for one, pins every
  // token of a grant to the resource of its authorization request).
  const expected = api.resource ?? api.audience;
  const otherApi = ctx.config.apis.find((other) => {
    const theirs = other.resource ?? other.audience;
    return other !== api && theirs !== undefined && theirs !== expected && audience?.includes(theirs);
  });
  if (otherApi) throw new AuthError('token_response_invalid', `The provider issued a token for ${api.name} that is meant for ${otherApi.name}; it was refused and not sent anywhere.`);
  if (expected) {
    if (audience === undefined) {
      ctx.log.warn(`the provider did not state the audience of the access token for ${api.name} (${expected}); it is used for ${api.name} only`);
    } else if (!audience.includes(expected)) {
      throw new AuthError('token_response_invalid', `The provider issued a token for ${api.name} meant for another audience (${scrubbedProviderText(audience.join(' '), [response.access_token])}); it was refused and not sent anywhere.`);
    }
  }
  // RFC 6749 §3.3, §5.1: a token issued with another scope than asked says so in `scope`. One without a scope the API
  // needs would only be refused by the API: the user has not granted it (glewlwyd answers a refresh so, for instance).
  if (typeof response.scope === 'string' && api.scopes.length > 0) {
    const issued = new Set(response.scope.split(' '));
    const missing = api.scopes.filter((scope) => !issued.has(scope));
    if (missing.length > 0) {
      ctx.log.warn(`the provider issued a token for ${api.name} without ${missing.length === 1 ? 'the scope' : 'scopes'} it needs; asking for consent`);
      throw consentRequired(api);
    }
    if (issued.size > api.scopes.length) ctx.log.info(`the provider issued a token for ${api.name} with more scopes than it needs (not narrowed, RFC 6749 §6); it is used for ${api.name} only`);
  }
  const lifetime = typeof response.expires_in === 'number' && response.expires_in > 0 ? response.expires_in * 1000 : 5 * 60_000;
  return new ApiToken({ api: api.name, accessToken: response.access_token, tokenType: type === 'dpop' ? 'DPoP' : 'Bearer', dpopKey: type === 'dpop' ? dpopKey : undefined, issuedAt, expiresAt: issuedAt + lifetime });
}

/** The `aud` a JWT access token states (RFC 9068 §2.2), or undefined for an opaque token or one without `aud`. */
function statedAudience(accessToken: string): string[] | undefined {
  let aud: unknown;
  try {
    aud = decodeJwt(accessToken).aud;
  } catch {
    return undefined;
  }
  if (typeof aud === 'string') return [aud];
  if (Array.isArray(aud) && aud.every((value) => typeof value === 'string')) return aud as string[];
  return undefined;
}

/** Entra ID's way of saying "consent is missing" under invalid_grant. */
function consentHint(error: oidc.ResponseBodyError): boolean {
  const body = error.cause as Record<string, unknown> | undefined;
  const suberror = body?.['suberror'];
  return suberror === 'consent_required' || (typeof error.error_description === 'string' && /\bAADSTS65001\b/.test(error.error_description));
}

export function consentRequired(api: ApiConfig): AuthError {
  return new AuthError('consent_required', `${api.name} needs your permission first (${[...api.scopes, ...(api.resource ? [api.resource] : []), ...(api.audience ? [api.audience] : [])].join(', ')}). Choose "Grant access" to give it in your browser.`);
}

/** The provider refused the token request for one API; `consent` when its answer says the user has not granted it. */
class GrantRefused extends Error {
  constructor(
    readonly consent: boolean,
    override readonly cause: unknown,
  ) {
    super('the provider refused the token request for an API');
  }
}
