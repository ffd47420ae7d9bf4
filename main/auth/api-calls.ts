import * as oidc from 'openid-client';
import { apiFor, type ApiConfig } from './api-config';
import { jsonRequest, parseApiUrl, toApiResponse } from './api-client';
import type { AuthContext } from './auth-context';
import { isLoopbackHttpUrl } from './config';
import { AuthError } from './errors';
import type { ApiRequest, ApiResponse } from './ports';
import { toAuthError } from './protocol-errors';
import { clientConfiguration } from './provider-metadata';
import { MIN_UNAUTHORIZED_REFRESH_INTERVAL_MS } from './resource-calls';
import type { SessionRefresh } from './session-refresh';
import { describeStepUp, stepUpChallengeOf, type StepUpChallenge } from './step-up';
import { requestApiToken } from './api-token-grant';
import { ApiTokenCache, type ApiToken } from './api-tokens';

/** What the UI shows of one configured API (no token, plain data). */
export interface ApiStatus {
  readonly name: string;
  readonly baseUrl: string;
  /**
   * `idle` (no token yet), `ready` (a token in memory), `consent_required`,
   * `step_up_required`, or `error` (the last call failed otherwise).
   */
  readonly state: 'idle' | 'ready' | 'consent_required' | 'step_up_required' | 'error';
  /** Words for the UI: what is needed, or what went wrong. */
  readonly message?: string;
}

export interface ApiCalls {
  /** The configured API `request` goes to, or undefined (then it is an `apiBaseUrls` call, or not allowed). */
  apiOf(request: ApiRequest): ApiConfig | undefined;
  /** A call to a configured API with that API's own token. */
  call(api: ApiConfig, request: ApiRequest): Promise<ApiResponse>;
  /** The step-up the API asked for at its last call, if it is still to be done. */
  stepUpFor(api: ApiConfig): StepUpChallenge | undefined;
  statuses(): ApiStatus[];
  /** Records the outcome of a consent or step-up for the UI. */
  noteFailure(api: ApiConfig, error: AuthError): void;
  readonly cache: ApiTokenCache;
  /** A step-up for `api` succeeded: its challenge is done. */
  clearStepUp(api: ApiConfig): void;
  /** Forgets tokens, challenges and states (the session ended or changed hands). */
  reset(): void;
}

/**
 * Calls to the configured APIs (config `apis`), each with an access token
 * meant for it alone (RFC 8707, RFC 9700 §2.3): obtained from the refresh
 * token on the first call (api-token-grant.ts), reused until shortly before
 * it expires, never sent to another API. A 401 gets one new token per
 * refused token (spaced as for the session's token, resource-calls.ts) and
 * one retry; a 401 step-up challenge (RFC 9470) is returned as
 * `step_up_required` and remembered for `stepUpApi`. No call opens a browser.
 */
export function createApiCalls(ctx: AuthContext, session: SessionRefresh): ApiCalls {
  const cache = new ApiTokenCache();
  const stepUps = new Map<string, StepUpChallenge>();
  const states = new Map<string, Pick<ApiStatus, 'state' | 'message'>>();
  /** The new token each refused token got: concurrent 401s share it. */
  const renewals = new WeakMap<ApiToken, Promise<ApiToken>>();
  const lastRenewal = new Map<string, number>();

  function obtain(api: ApiConfig): Promise<ApiToken> {
    return cache.get(api.name, ctx.now(), () => requestApiToken(ctx, session, api));
  }

  function renewalFor(api: ApiConfig, refused: ApiToken): Promise<ApiToken> | undefined {
    const known = renewals.get(refused);
    if (known) return known;
    if (ctx.now() - (lastRenewal.get(api.name) ?? Number.NEGATIVE_INFINITY) < MIN_UNAUTHORIZED_REFRESH_INTERVAL_MS) return undefined;
    cache.drop(refused);
    const renewal = obtain(api).then((token) => {
      lastRenewal.set(api.name, ctx.now());
      return token;
    });
    renewals.set(refused, renewal);
    renewal.catch(() => renewals.delete(refused));
    return renewal;
  }

  async function send(url: URL, request: ApiRequest, token: ApiToken): Promise<{ response: ApiResponse; stepUp?: StepUpChallenge }> {
    const configuration = clientConfiguration(await ctx.provider(), ctx.config, ctx.deps);
    if (isLoopbackHttpUrl(url)) oidc.allowInsecureRequests(configuration);
    const { headers, body } = jsonRequest(request);
    const dpop = token.tokenType === 'DPoP' ? token.dpopKey : undefined;
    try {
      const response = await oidc.fetchProtectedResource(configuration, token.accessToken, url, request.method ?? 'GET', body, headers, dpop ? { DPoP: dpop.handle(configuration) } : undefined);
      return { response: await toApiResponse(response) };
    } catch (error) {
      if (!(error instanceof oidc.WWWAuthenticateChallengeError)) throw error;
      // Only a 401 asks for another sign-in (RFC 9470 §3); anything else with a challenge is the API's answer.
      const stepUp = error.response.status === 401 ? stepUpChallengeOf(error.cause) : undefined;
      const response = await toApiResponse(error.response);
      return stepUp ? { response, stepUp } : { response };
    }
  }

  function stepUpRequired(api: ApiConfig, challenge: StepUpChallenge): AuthError {
    stepUps.set(api.name, challenge);
    const message = describeStepUp(api.name, challenge);
    states.set(api.name, { state: 'step_up_required', message });
    ctx.log.info(`${api.name} asked for a step-up (RFC 9470)`);
    return new AuthError('step_up_required', message);
  }

  async function call(api: ApiConfig, request: ApiRequest): Promise<ApiResponse> {
    const url = parseApiUrl(request, ctx.config);
    try {
      const token = await obtain(api);
      let result = await send(url, request, token);
      if (result.stepUp) throw stepUpRequired(api, result.stepUp);
      if (result.response.status === 401) {
        const renewal = renewalFor(api, token);
        // A new token moments ago was refused too: this 401 is the API's answer.
        if (!renewal) return result.response;
        const renewed = await renewal;
        result = await send(url, request, renewed);
        if (result.stepUp) throw stepUpRequired(api, result.stepUp);
      }
      states.set(api.name, { state: 'ready' });
      return result.response;
    } catch (error) {
      const authError = toAuthError(error, 'userinfo', ctx.sessionSecrets());
      if (authError.code === 'consent_required') states.set(api.name, { state: 'consent_required', message: authError.message });
      else if (authError.code !== 'step_up_required') states.set(api.name, { state: 'error', message: authError.message });
      throw authError;
    }
  }

  return {
    apiOf(request) {
      let url: URL;
      try {
        url = new URL(request.url);
      } catch {
        return undefined;
      }
      return apiFor(url, ctx.config.apis);
    },
    call,
    stepUpFor: (api) => stepUps.get(api.name),
    statuses: () =>
      ctx.config.apis.map((api) => {
        const known = states.get(api.name);
        const state = known?.state ?? (cache.peek(api.name) ? 'ready' : 'idle');
        return { name: api.name, baseUrl: api.baseUrl, state, ...(known?.message ? { message: known.message } : {}) };
      }),
    noteFailure(api, error) {
      if (error.code === 'flow_cancelled') return;
      states.set(api.name, { state: stepUps.has(api.name) ? 'step_up_required' : 'error', message: error.message });
    },
    cache,
    clearStepUp(api) {
      stepUps.delete(api.name);
      states.delete(api.name);
    },
    reset() {
      cache.clear();
      stepUps.clear();
      states.clear();
      lastRenewal.clear();
    },
  };
}

/** Why `request` cannot go through grantApiAccess / stepUpApi: it is not for a configured API. */
export function notAConfiguredApi(): AuthError {
  return new AuthError('api_not_allowed', 'This address does not belong to one of the configured APIs (config "apis"); only those get their own access.');
}
