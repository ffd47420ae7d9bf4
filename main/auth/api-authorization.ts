import type { ApiConfig } from './api-config';
import type { ApiCalls } from './api-calls';
import { notAConfiguredApi } from './api-calls';
import { apiTokenFrom } from './api-token-grant';
import type { AuthContext } from './auth-context';
import { AuthError } from './errors';
import { identityOf } from './id-token-checks';
import type { ApiRequest, ApiResponse } from './ports';
import type { SessionRefresh } from './session-refresh';
import { toUserClaims, withKnownDisplayClaims } from './session-state';
import type { ReauthorizationResult, SignInFlow } from './sign-in-flow';
import { checkStepUpResult, type StepUpChallenge } from './step-up';
import { tokenSetFrom } from './token-response';

export interface ApiAuthorization {
  /**
   * Incremental consent: a browser round-trip for the signed-in user asking
   * for `request`'s API's scopes and resource on top of what the session
   * has, then the call. The new grant replaces the session's (same user
   * only: another `sub` is refused and the session left as it was).
   * @throws AuthError `api_not_allowed`, `flow_in_progress`, `identity_unverified` (another user), the flow's and the call's codes.
   */
  grantApiAccess(request: ApiRequest): Promise<ApiResponse>;
  /**
   * Step-up (RFC 9470): a browser round-trip for the signed-in user with the
   * `acr_values` / `max_age` the API asked for; the ID token must show them
   * (step-up.ts), and the access token goes to that API only. Then the call.
   * @throws AuthError `api_not_allowed`, `flow_in_progress`, `identity_unverified` (another user), `step_up_unmet`, the flow's and the call's codes.
   */
  stepUpApi(request: ApiRequest): Promise<ApiResponse>;
  /** Forgets which APIs the grant covers (the session ended or changed hands). */
  reset(): void;
}

/**
 * The browser round-trips an API call may need while signed in: one at a
 * time (the sign-in flow holds one flow), each started only by these
 * operations (a user's click), never by a call. Concurrent requests for the
 * same API and purpose share the round-trip.
 */
export function createApiAuthorization(ctx: AuthContext, session: SessionRefresh, flow: SignInFlow, apis: ApiCalls): ApiAuthorization {
  /** APIs whose scopes the session's grant covers (a consent asks for them again, so the new grant keeps them). */
  const granted = new Set<string>();
  let running: { readonly key: string; readonly promise: Promise<unknown> } | undefined;

  function shared<T>(key: string, work: () => Promise<T>): Promise<T> {
    if (running?.key === key) return running.promise as Promise<T>;
    const promise = work().finally(() => {
      if (running?.promise === promise) running = undefined;
    });
    running = { key, promise };
    return promise;
  }

  function configuredApi(request: ApiRequest): ApiConfig {
    const api = apis.apiOf(request);
    if (!api) throw notAConfiguredApi();
    return api;
  }

  /** The same user, or the result is refused and the session untouched (its tokens are revoked: nothing tracks them). */
  function sameUser(result: ReauthorizationResult): void {
    const current = ctx.tokens;
    if (current && result.claims.sub === current.user.sub) return;
    if (result.response.refresh_token) ctx.retirement.retire({ refreshToken: result.response.refresh_token, accessToken: result.response.access_token }, 'a browser sign-in by another user');
    throw new AuthError('identity_unverified', 'You signed in as someone else in the browser. Your session was kept as it was; to use that account, sign out first.');
  }

  /** A hint of who is signing in (OIDC Core §3.1.2.1 login_hint), from what the session knows. */
  function loginHint(parameters: URLSearchParams): void {
    const email = ctx.tokens?.user.email;
    if (email) parameters.set('login_hint', email);
  }

  async function consent(api: ApiConfig, request: ApiRequest): Promise<ApiResponse> {
    const scopes = new Set(ctx.config.scopes);
    for (const other of ctx.config.apis) if (granted.has(other.name) || other === api) for (const scope of other.scopes) scopes.add(scope);
    const parameters = new URLSearchParams({ scope: [...scopes].join(' ') });
    for (const resource of configuredResources(ctx)) parameters.append('resource', resource);
    loginHint(parameters);
    let result: ReauthorizationResult;
    try {
      result = await flow.reauthorize(parameters);
      sameUser(result);
    } catch (error) {
      if (error instanceof AuthError) apis.noteFailure(api, error);
      throw error;
    }
    const current = ctx.tokens;
    const user = withKnownDisplayClaims(toUserClaims(result.claims), current?.user ?? { sub: result.claims.sub });
    // A provider that issues no refresh token here leaves the session's in place.
    const next = tokenSetFrom(result.response, user, identityOf(result.claims), { refreshToken: current?.refreshToken, idToken: current?.idToken }, ctx.now(), { dpopKey: result.dpopKey, log: ctx.log });
    await session.adoptReauthorization(next);
    // Tokens from the replaced grant may be revoked with it.
    apis.cache.clear();
    granted.add(api.name);
    return apis.call(api, request);
  }

  async function stepUp(api: ApiConfig, challenge: StepUpChallenge, request: ApiRequest): Promise<ApiResponse> {
    const parameters = new URLSearchParams({ scope: ['openid', ...api.scopes].join(' ') });
    if (api.resource) parameters.append('resource', api.resource);
    if (challenge.acrValues.length > 0) parameters.set('acr_values', challenge.acrValues.join(' '));
    if (challenge.maxAge !== undefined) parameters.set('max_age', String(challenge.maxAge));
    loginHint(parameters);
    const tokenParameters = api.resource ? new URLSearchParams({ resource: api.resource }) : undefined;
    try {
      const result = await flow.reauthorize(parameters, tokenParameters);
      sameUser(result);
      // This round-trip asked for no offline_access: a refresh token it brings anyway is not used, and is revoked with the
      // session rather than now (it may belong to the session's own grant, which a revocation could end).
      if (result.response.refresh_token) session.setAside(result.response.refresh_token);
      checkStepUpResult(result.claims, challenge, ctx.now(), api.name);
      apis.cache.put(apiTokenFrom(ctx, api, result.response, result.dpopKey));
    } catch (error) {
      if (error instanceof AuthError) apis.noteFailure(api, error);
      throw error;
    }
    apis.clearStepUp(api);
    return apis.call(api, request);
  }

  return {
    async grantApiAccess(request) {
      const api = configuredApi(request);
      return shared(`consent:${api.name}`, () => consent(api, request));
    },
    async stepUpApi(request) {
      const api = configuredApi(request);
      const challenge = apis.stepUpFor(api);
      // Nothing asked for: the call itself says whether a step-up is needed.
      if (!challenge) return apis.call(api, request);
      return shared(`step-up:${api.name}`, () => stepUp(api, challenge, request));
    },
    reset: () => granted.clear(),
  };
}

/** Every configured API's resource indicator (RFC 8707), in configuration order, once each. */
export function configuredResources(ctx: AuthContext): string[] {
  return [...new Set(ctx.config.apis.flatMap((api) => (api.resource ? [api.resource] : [])))];
}
