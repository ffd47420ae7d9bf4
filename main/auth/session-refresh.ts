import * as oidc from 'openid-client';
import type { AuthContext } from './auth-context';
import { AuthError } from './errors';
import { checkIdTokenClaims } from './id-token-checks';
import { toAuthError } from './protocol-errors';
import { adoptJwks, clientConfiguration } from './provider-metadata';
import { redactText } from './redact';
import { backoffDelay, refreshDueAt } from './refresh-schedule';
import { toUserClaims, type SessionError } from './session-state';
import { clearStoredSession, readStoredSession, writeStoredSession, type StoredSession } from './stored-session';
import { tokenSetFrom } from './token-response';
import type { TokenSet } from './token-set';

export interface SessionRefresh {
  /** Makes `next` the session: state first (what the user waits for), then the keychain. */
  establish(next: TokenSet, warning?: SessionError): void;
  /** Single flight: concurrent callers share one refresh request (of the current session only). */
  refreshSession(): Promise<TokenSet | undefined>;
  restore(): Promise<void>;
  resume(): void;
  stopRefreshing(): void;
}

/**
 * The session after sign-in: proactive refresh (RFC 6749 §6) before the
 * access token expires, the refresh token kept in the keychain, the silent
 * restore at start-up, and the end of a session the provider refused.
 */
export function createSessionRefresh(ctx: AuthContext): SessionRefresh {
  const { config, vault, log } = ctx;
  let refreshing: { readonly generation: number; readonly promise: Promise<TokenSet | undefined> } | undefined;
  let refreshTimer: NodeJS.Timeout | undefined;
  let retryAttempt = 0;

  function establish(next: TokenSet, warning?: SessionError): void {
    const previousRefreshToken = ctx.tokens?.refreshToken;
    ctx.tokens = next;
    retryAttempt = 0;
    ctx.setState({ status: 'signed-in', user: next.user, expiresAt: next.expiresAt, ...(warning ? { warning } : {}) });
    scheduleRefresh();
    if (next.refreshToken && next.refreshToken !== previousRefreshToken) void persistRefreshToken(next);
  }

  async function persistRefreshToken(saved: TokenSet): Promise<void> {
    try {
      await ctx.inVaultOrder(() => writeStoredSession(vault, config, { refreshToken: saved.refreshToken as string, user: saved.user }));
    } catch (error) {
      log.warn(`keychain write failed: ${redactText(String(error))}`);
      const state = ctx.state;
      if (ctx.tokens === saved && state.status === 'signed-in') {
        ctx.setState({
          ...state,
          warning: {
            code: 'keychain_unavailable',
            message: 'The system keychain is not available, so you will have to sign in again the next time you start the app. Your session works until then.',
          },
        });
      }
    }
  }

  function stopRefreshing(): void {
    clearTimeout(refreshTimer);
    refreshTimer = undefined;
  }

  function scheduleRefresh(delayMs?: number): void {
    stopRefreshing();
    const tokens = ctx.tokens;
    if (!tokens?.refreshToken || ctx.disposed) return;
    const delay = delayMs ?? Math.max(0, refreshDueAt(tokens.issuedAt, tokens.expiresAt) - ctx.now());
    refreshTimer = setTimeout(() => void refreshSession(), delay).unref();
  }

  function refreshSession(stored?: StoredSession): Promise<TokenSet | undefined> {
    if (refreshing?.generation === ctx.generation) return refreshing.promise;
    const promise = runRefresh(stored).finally(() => {
      if (refreshing?.promise === promise) refreshing = undefined;
    });
    refreshing = { generation: ctx.generation, promise };
    return promise;
  }

  async function runRefresh(stored?: StoredSession): Promise<TokenSet | undefined> {
    const current = ctx.tokens;
    const refreshToken = stored?.refreshToken ?? current?.refreshToken;
    const user = stored?.user ?? current?.user;
    if (!refreshToken || !user) return undefined;
    const mine = ctx.generation;
    stopRefreshing();
    try {
      const meta = await ctx.provider();
      const configuration = clientConfiguration(meta, config, ctx.deps);
      let response: oidc.TokenEndpointResponse & oidc.TokenEndpointResponseHelpers;
      try {
        response = await oidc.refreshTokenGrant(configuration, refreshToken);
      } finally {
        adoptJwks(meta, configuration);
      }
      const claims = response.claims();
      if (claims) {
        // OIDC Core §12.2: same iss and sub as the ID token the session started with.
        checkIdTokenClaims(claims, ctx.now());
        if (claims.sub !== user.sub) throw new AuthError('identity_unverified', 'The provider returned an ID token for a different user; the session was ended.');
      }
      const next = tokenSetFrom(response, claims ? toUserClaims(claims) : user, { refreshToken, idToken: current?.idToken }, ctx.now());
      if (mine !== ctx.generation) return undefined;
      const state = ctx.state;
      establish(next, state.status === 'signed-in' ? state.warning : undefined);
      return next;
    } catch (error) {
      if (mine !== ctx.generation) return undefined;
      const authError = toAuthError(error, 'refresh');
      if (authError.retryable) {
        const delay = backoffDelay(retryAttempt);
        retryAttempt += 1;
        log.warn(`refresh failed (${authError.code}); retrying in ${Math.round(delay / 1000)} s`);
        const state = ctx.state;
        if (state.status === 'signed-in') ctx.setState({ ...state, stale: true });
        else if (stored) ctx.setState({ status: 'signed-out', error: { code: authError.code, message: 'The provider could not be reached to restore your session. The app keeps trying; you can also sign in again.' } });
        stopRefreshing();
        refreshTimer = setTimeout(() => void (stored ? restoreWith(stored) : refreshSession()), delay).unref();
        return undefined;
      }
      await endSession({ code: 'session_ended', message: 'Your session ended; please sign in again.' }, authError);
      return undefined;
    }
  }

  /** The provider refused the session: memory and keychain are cleared, the user is told why. */
  async function endSession(reason: SessionError, cause: AuthError): Promise<void> {
    log.warn(`session ended: ${cause.code}`);
    ctx.generation += 1;
    stopRefreshing();
    ctx.tokens = undefined;
    ctx.setState({ status: 'signed-out', error: reason });
    await ctx.inVaultOrder(() => clearStoredSession(vault, config)).catch((error: unknown) => log.warn(`keychain delete failed: ${redactText(String(error))}`));
  }

  async function restore(): Promise<void> {
    if (ctx.disposed || ctx.state.status !== 'signed-out') return;
    let stored: StoredSession | undefined;
    try {
      stored = await readStoredSession(vault, config);
    } catch (error) {
      log.warn(`keychain read failed: ${redactText(String(error))}`);
      ctx.setState({
        status: 'signed-out',
        error: { code: 'keychain_unavailable', message: 'The system keychain is not available, so your previous session could not be restored. You can still sign in; the session will last until you quit the app.' },
      });
      return;
    }
    if (!stored || ctx.state.status !== 'signed-out') return;
    await restoreWith(stored);
  }

  async function restoreWith(stored: StoredSession): Promise<void> {
    const status = ctx.state.status;
    if (status === 'signed-in' || status === 'signing-in') return;
    ctx.setState({ status: 'restoring' });
    const mine = ctx.generation;
    await refreshSession(stored);
    if (mine === ctx.generation && ctx.state.status === 'restoring') ctx.setState({ status: 'signed-out' });
  }

  function resume(): void {
    const tokens = ctx.tokens;
    if (!tokens?.refreshToken) return;
    // Timers do not run during sleep; re-plan from the wall clock.
    if (ctx.now() >= refreshDueAt(tokens.issuedAt, tokens.expiresAt)) void refreshSession();
    else scheduleRefresh();
  }

  return { establish, refreshSession: () => refreshSession(), restore, resume, stopRefreshing };
}
