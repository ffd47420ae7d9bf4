import * as oidc from 'openid-client';
import type { AuthContext } from './auth-context';
import { clientConfiguration, type ProviderMetadata } from './provider-metadata';
import { redactText } from './redact';
import type { TokenSet } from './token-set';

/** The tokens a revocation sends: a session's (TokenSet) or ones the app no longer tracks (token-retirement.ts). */
export type RevocableTokens = Pick<TokenSet, 'refreshToken'> & Partial<Pick<TokenSet, 'accessToken'>>;

/** Why a revocation did not happen: the provider refused it (4xx), or could not be asked (no answer, 5xx). */
export type RevocationProblem = 'refused' | 'unreachable';

/**
 * RFC 7009 §2.1: revokes the refresh token (which ends its grant) and the
 * access token, where the provider has a revocation endpoint.
 * @returns what went wrong, if anything; never throws.
 */
export async function revokeTokens(ctx: AuthContext, meta: ProviderMetadata, tokens: RevocableTokens): Promise<RevocationProblem | undefined> {
  if (!meta.server.revocation_endpoint) return undefined;
  const configuration = clientConfiguration(meta, ctx.config, ctx.deps);
  const revocations: Array<[string | undefined, string]> = [[tokens.refreshToken, 'refresh_token'], [tokens.accessToken, 'access_token']];
  for (const [token, hint] of revocations) {
    if (!token) continue;
    try {
      await oidc.tokenRevocation(configuration, token, { token_type_hint: hint });
    } catch (error) {
      const status = httpStatus(error);
      if (alreadyGone(error)) {
        // RFC 7009 §2.2: an invalid token is no error of revocation (Google revokes the access
        // token with its refresh token, then answers 400 invalid_token for it). Gone is revoked.
        ctx.log.info(`the ${hint} was already invalid at the provider (HTTP ${status} invalid_token): counted as revoked`);
        continue;
      }
      ctx.log.warn(`revocation of the ${hint} failed (${status ? `HTTP ${status}` : 'no answer'}): ${redactText(String((error as Error).message))}`);
      // A 4xx is the provider's decision (e.g. 401 with no body for a public client);
      // no answer, or a 5xx, is an outage.
      return status >= 400 && status < 500 ? 'refused' : 'unreachable';
    }
  }
  return undefined;
}

/** An OAuth error response (JSON, RFC 6749 §5.2) saying `invalid_token`: the token is not valid any more. */
function alreadyGone(error: unknown): boolean {
  return error instanceof oidc.ResponseBodyError && error.status === 400 && error.error === 'invalid_token';
}

/** The HTTP status of the answer behind an openid-client error, or 0 when none arrived. */
export function httpStatus(error: unknown): number {
  const candidate = error as { status?: unknown; response?: unknown; cause?: unknown } | undefined;
  if (typeof candidate?.status === 'number') return candidate.status;
  if (candidate?.response instanceof Response) return candidate.response.status;
  if (candidate?.cause instanceof Response) return candidate.cause.status;
  return 0;
}
