import * as oidc from 'openid-client';
import { parseApiUrl, sendApiRequest, sendDpopApiRequest } from './api-client';
import type { AuthContext } from './auth-context';
import { AuthError } from './errors';
import type { ApiRequest, ApiResponse } from './ports';
import { toAuthError } from './protocol-errors';
import { clientConfiguration } from './provider-metadata';
import type { SessionRefresh } from './session-refresh';
import { httpStatus } from './token-revocation';
import { toUserClaims, type UserClaims } from './session-state';
import type { TokenSet } from './token-set';

/**
 * A refused access token (401) is renewed at most once, and a renewal for a
 * 401 follows the previous one by at least this long (ms): an API that
 * refuses every token (wrong audience, a resource server's clock, a bug)
 * gets its 401 back instead of costing a refresh grant per call.
 */
export const MIN_UNAUTHORIZED_REFRESH_INTERVAL_MS = 30_000;

export interface ResourceCalls {
  getUserInfo(): Promise<UserClaims & Readonly<Record<string, unknown>>>;
  callApi(request: ApiRequest): Promise<ApiResponse>;
}

/**
 * Calls on the user's behalf with the access token (RFC 6750): the userinfo
 * endpoint (OIDC Core §5.3) and allow-listed APIs. The token never leaves
 * the core; an expired one is refreshed first, a refused one once. A
 * DPoP-bound token goes as `Authorization: DPoP` with a proof carrying
 * `ath` (RFC 9449 §7); a resource server's nonce challenge (§9) is answered
 * once by openid-client.
 */
export function createResourceCalls(ctx: AuthContext, session: SessionRefresh): ResourceCalls {
  const { config } = ctx;
  /** The renewal each refused access token got: concurrent 401s for one token share it. */
  const renewals = new WeakMap<TokenSet, Promise<TokenSet | undefined>>();
  /** Epoch ms of the last renewal a 401 started. */
  let lastUnauthorizedRenewal = Number.NEGATIVE_INFINITY;

  /**
   * The one renewal for a refused `current`, or undefined when none may be
   * started: a 401 renewed the session less than
   * {@link MIN_UNAUTHORIZED_REFRESH_INTERVAL_MS} ago.
   */
  function renewalFor(current: TokenSet): Promise<TokenSet | undefined> | undefined {
    const known = renewals.get(current);
    if (known) return known;
    if (ctx.now() - lastUnauthorizedRenewal < MIN_UNAUTHORIZED_REFRESH_INTERVAL_MS) return undefined;
    const renewal = session.refreshSession().then((renewed) => {
      // Only a renewal that happened spaces the next one; one that failed for now may be tried again.
      if (renewed) lastUnauthorizedRenewal = ctx.now();
      else renewals.delete(current);
      return renewed;
    });
    renewals.set(current, renewal);
    return renewal;
  }

  /**
   * Runs `call` with a valid access token. On 401 the token is renewed once
   * (concurrent callers share the renewal, and renewals for 401s are spaced,
   * see {@link MIN_UNAUTHORIZED_REFRESH_INTERVAL_MS}) and the call retried
   * once; a second 401 is the API's answer.
   */
  async function withAccessToken<T>(call: (tokens: TokenSet) => Promise<T>, unauthorized: (error: unknown) => boolean): Promise<T> {
    let current = ctx.tokens;
    if (!current) throw new AuthError('not_signed_in', 'You are not signed in.');
    if (current.refreshToken && ctx.now() >= current.expiresAt) current = (await session.refreshSession()) ?? ctx.tokens;
    if (!current) throw new AuthError('not_signed_in', 'You are not signed in.');
    try {
      return await call(current);
    } catch (error) {
      if (!unauthorized(error) || !current.refreshToken) throw error;
      // Another caller may have refreshed while this request was out: use its result.
      let renewed: TokenSet | undefined;
      if (ctx.tokens && ctx.tokens !== current) {
        renewed = ctx.tokens;
      } else {
        const renewal = renewalFor(current);
        // Renewed by a 401 moments ago: this refusal is the API's answer, not the token's age.
        if (!renewal) throw error;
        renewed = await renewal;
      }
      if (!renewed) {
        // The provider refused to renew this session for good (it ends when its access token expires).
        const refused = session.renewalRefused();
        if (ctx.tokens && refused) throw new AuthError('token_rejected', refused.message);
        // A session still here was not ended: the refresh failed for now, or the provider asked us to wait.
        if (ctx.tokens) throw new AuthError('token_request_failed', 'Your access could not be renewed just now: the provider could not be reached or asked the app to wait. The app keeps trying; try again shortly.');
        throw new AuthError('session_ended', 'Your session ended; please sign in again.');
      }
      return call(renewed);
    }
  }

  async function getUserInfo(): Promise<UserClaims & Readonly<Record<string, unknown>>> {
    const meta = await ctx.provider();
    try {
      const info = await withAccessToken(
        (tokens) => {
          const configuration = clientConfiguration(meta, config, ctx.deps);
          const dpop = boundKey(tokens);
          return oidc.fetchUserInfo(configuration, tokens.accessToken, ctx.tokens?.user.sub ?? oidc.skipSubjectCheck, dpop ? { DPoP: dpop.handle(configuration) } : undefined);
        },
        // 401 is "unauthorized" with or without a WWW-Authenticate challenge (RFC 6750 §3 asks for one; not every provider sends it).
        (error) => httpStatus(error) === 401,
      );
      return { ...info, ...toUserClaims(info) };
    } catch (error) {
      throw toAuthError(error, 'userinfo', ctx.sessionSecrets());
    }
  }

  async function callApi(request: ApiRequest): Promise<ApiResponse> {
    const url = parseApiUrl(request, config);
    try {
      return await withAccessToken(
        async (tokens) => {
          const dpop = boundKey(tokens);
          let response: ApiResponse;
          if (dpop) {
            const configuration = clientConfiguration(await ctx.provider(), config, ctx.deps);
            response = await sendDpopApiRequest(configuration, dpop.handle(configuration), url, request, tokens.accessToken);
          } else {
            response = await sendApiRequest(ctx.http, url, request, tokens.accessToken);
          }
          if (response.status === 401) throw new UnauthorizedResponse(response);
          return response;
        },
        (error) => error instanceof UnauthorizedResponse,
      );
    } catch (error) {
      // Still 401 after one refresh: the API's answer is the answer.
      if (error instanceof UnauthorizedResponse) return error.response;
      throw toAuthError(error, 'userinfo', ctx.sessionSecrets());
    }
  }

  return { getUserInfo, callApi };
}

/** The key a DPoP access token must be presented with; undefined for a bearer token (one the provider chose not to bind included). */
function boundKey(tokens: TokenSet) {
  return tokens.tokenType === 'DPoP' ? tokens.dpopKey : undefined;
}

/** A 401 from a resource API, thrown so the caller can refresh once and retry. */
class UnauthorizedResponse extends Error {
  constructor(readonly response: ApiResponse) {
    super('HTTP 401');
  }
}
