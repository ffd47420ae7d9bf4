import type { AuthContext } from './auth-context';
import { revokeTokens, type RevocableTokens, type RevocationProblem } from './token-revocation';

/**
 * Delays (ms) before the second and third attempt to revoke a token the app
 * no longer tracks, when the provider could not be reached or had a problem.
 * After the last one the token is given up: it lapses at the provider.
 */
export const RETIREMENT_RETRY_DELAYS_MS: readonly number[] = Object.freeze([30_000, 5 * 60_000]);

/**
 * Refresh tokens (and their access tokens) the app received and then stopped
 * tracking: the one a sign-out dropped while a refresh was at the provider,
 * the kept session a new sign-in replaced, the rotated token that arrived
 * after the user signed out. A refresh token valid at the provider is a
 * session; none is dropped without an RFC 7009 revocation request.
 */
export interface TokenRetirement {
  /**
   * Revokes `tokens` in the background: never throws, never waits for the
   * provider. Each request is bounded by the HTTP timeout; a provider that
   * cannot be reached is asked again after each of `retryDelaysMs`, then the
   * token is given up. A refusal (4xx) is final. A refresh token already
   * handed over is not sent twice.
   * @param why for the log (no secret).
   */
  retire(tokens: RevocableTokens, why: string): void;
  /** Cancels planned retries (the service is disposed); requests under way finish on their own. */
  stop(): void;
}

export function createTokenRetirement(ctx: AuthContext, retryDelaysMs: readonly number[] = RETIREMENT_RETRY_DELAYS_MS): TokenRetirement {
  const handedOver = new Set<string>();
  const timers = new Set<ReturnType<typeof setTimeout>>();
  let stopped = false;

  async function attempt(tokens: RevocableTokens, why: string, index: number): Promise<void> {
    if (stopped) return;
    let problem: RevocationProblem | undefined;
    try {
      problem = await revokeTokens(ctx, await ctx.provider(), tokens);
    } catch {
      // Discovery failed: the provider cannot be asked now.
      problem = 'unreachable';
    }
    if (!problem) {
      ctx.log.info(`revoked the refresh token of ${why}`);
      return;
    }
    const delay = retryDelaysMs[index];
    if (problem === 'refused' || delay === undefined || stopped) {
      ctx.log.warn(`the refresh token of ${why} could not be revoked (${problem}); given up`);
      return;
    }
    ctx.log.warn(`the refresh token of ${why} could not be revoked (${problem}); trying again in ${Math.round(delay / 1000)} s`);
    const timer = setTimeout(() => {
      timers.delete(timer);
      void attempt(tokens, why, index + 1);
    }, delay);
    // A pending retry never keeps the app (or a test run) alive.
    timer.unref();
    timers.add(timer);
  }

  return {
    retire(tokens, why) {
      const refreshToken = tokens.refreshToken;
      if (!refreshToken || handedOver.has(refreshToken) || stopped) return;
      handedOver.add(refreshToken);
      void attempt(tokens, why, 0);
    },
    stop() {
      stopped = true;
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
    },
  };
}
