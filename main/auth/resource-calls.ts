import * as oidc from 'openid-client';
import { parseApiUrl, sendApiRequest } from './api-client';
import type { AuthContext } from './auth-context';
import { AuthError } from './errors';
import type { ApiRequest, ApiResponse } from './ports';
import { toAuthError } from './protocol-errors';
import { clientConfiguration } from './provider-metadata';
import type { SessionRefresh } from './session-refresh';
import { httpStatus } from './token-revocation';
import { toUserClaims, type UserClaims } from './session-state';

export interface ResourceCalls {
  getUserInfo(): Promise<UserClaims & Readonly<Record<string, unknown>>>;
  callApi(request: ApiRequest): Promise<ApiResponse>;
}

/**
 * Calls on the user's behalf with the access token (RFC 6750): the userinfo
 * endpoint (OIDC Core §5.3) and allow-listed APIs. The token never leaves
 * the core; an expired one is refreshed first, a refused one once.
 */
export function createResourceCalls(ctx: AuthContext, session: SessionRefresh): ResourceCalls {
  const { config } = ctx;

  /** Runs `call` with a valid access token; on 401 refreshes once and retries once. */
  async function withAccessToken<T>(call: (accessToken: string) => Promise<T>, unauthorized: (error: unknown) => boolean): Promise<T> {
    let current = ctx.tokens;
    if (!current) throw new AuthError('not_signed_in', 'You are not signed in.');
    if (current.refreshToken && ctx.now() >= current.expiresAt) current = (await session.refreshSession()) ?? ctx.tokens;
    if (!current) throw new AuthError('not_signed_in', 'You are not signed in.');
    try {
      return await call(current.accessToken);
    } catch (error) {
      if (!unauthorized(error) || !current.refreshToken) throw error;
      // Another caller may have refreshed while this request was out: use its result.
      const renewed = ctx.tokens && ctx.tokens !== current ? ctx.tokens : await session.refreshSession();
      if (!renewed) throw new AuthError('session_ended', 'Your session ended; please sign in again.');
      return call(renewed.accessToken);
    }
  }

  async function getUserInfo(): Promise<UserClaims & Readonly<Record<string, unknown>>> {
    const meta = await ctx.provider();
    try {
      const info = await withAccessToken(
        (accessToken) => oidc.fetchUserInfo(clientConfiguration(meta, config, ctx.deps), accessToken, ctx.tokens?.user.sub ?? oidc.skipSubjectCheck),
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
        async (accessToken) => {
          const response = await sendApiRequest(ctx.http, url, request, accessToken);
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

/** A 401 from a resource API, thrown so the caller can refresh once and retry. */
class UnauthorizedResponse extends Error {
  constructor(readonly response: ApiResponse) {
    super('HTTP 401');
  }
}
