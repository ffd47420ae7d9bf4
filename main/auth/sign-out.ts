import * as oidc from 'openid-client';
import type { AuthContext } from './auth-context';
import { createState } from './pkce';
import { clientConfiguration, type ProviderMetadata } from './provider-metadata';
import { redactText } from './redact';
import type { SessionRefresh } from './session-refresh';
import type { SignInFlow } from './sign-in-flow';
import { clearStoredSession, readStoredSession } from './stored-session';
import { revokeTokens } from './token-revocation';

/**
 * Sign-out: local at once (memory, keychain, any flow in flight), then best
 * effort at the provider: token revocation (RFC 7009) and RP-initiated logout
 * in the browser (OpenID Connect RP-Initiated Logout 1.0). Never throws; what
 * could not be done is reported on the signed-out state.
 */
export function createSignOut(ctx: AuthContext, flow: SignInFlow, session: SessionRefresh): () => Promise<void> {
  const { config, log } = ctx;
  return async function signOut(): Promise<void> {
    const ended = ctx.tokens;
    const hadFlow = flow.inFlight();
    ctx.generation += 1;
    flow.endFlow();
    session.stopRefreshing();
    ctx.tokens = undefined;
    ctx.setState({ status: 'signed-out' });
    const problems: string[] = [];
    let unreachable = false;
    if (hadFlow) void flow.forgetPersistedFlow().catch(() => undefined);
    let kept: string | undefined;
    // Refresh tokens of the session's earlier grants (a consent round-trip replaced them): they end with it.
    const setAside = new Set(session.takeSuperseded());
    await ctx
      .inVaultOrder(async () => {
        // The record may hold a session not in memory (restore under way, or waiting for the provider).
        const record = await readStoredSession(ctx.vault, config).catch(() => undefined);
        kept = record?.refreshToken;
        for (const token of record?.superseded ?? []) setAside.add(token);
        await clearStoredSession(ctx.vault, config);
      })
      .catch((error: unknown) => {
        log.warn(`keychain delete failed: ${redactText(String(error))}`);
        problems.push('the keychain entry could not be removed');
      });
    if (kept && kept !== ended?.refreshToken) ctx.retirement.retire({ refreshToken: kept }, 'the session kept in the keychain at sign-out');
    for (const token of setAside) if (token !== ended?.refreshToken && token !== kept) ctx.retirement.retire({ refreshToken: token }, 'an earlier grant of the session at sign-out');
    if (!ended) return;
    let meta: ProviderMetadata | undefined;
    try {
      meta = await ctx.provider();
    } catch {
      unreachable = true;
      problems.push('the provider could not be reached to end the session there');
    }
    if (meta) {
      const revocation = await revokeTokens(ctx, meta, ended);
      if (revocation === 'refused') problems.push('the provider did not accept the sign-out of this app\'s tokens (they stay valid at the provider until they expire)');
      if (revocation === 'unreachable') {
        unreachable = true;
        problems.push('the provider could not revoke this app\'s tokens: it could not be reached or had a problem');
      }
      const endSessionUrl = endSessionUrlFor(meta, ended.idToken);
      if (endSessionUrl) await ctx.options.openExternal(endSessionUrl).catch(() => problems.push('the browser could not be opened to sign out at the provider'));
    }
    if (problems.length > 0 && ctx.state.status === 'signed-out') {
      ctx.setState({ status: 'signed-out', error: { code: unreachable ? 'network_error' : 'sign_out_incomplete', message: `You are signed out on this computer, but ${problems.join(' and ')}.` } });
    }
  };

  /**
   * The provider's end-session URL, or undefined when there is none to open.
   * The logout hint is the configured choice (README, "Signing out"): the
   * client id alone keeps the ID token out of the browser's history; the ID
   * token hint is for providers that need it.
   */
  function endSessionUrlFor(meta: ProviderMetadata, idToken: string | undefined): string | undefined {
    if (!config.endSessionInBrowser || !meta.server.end_session_endpoint) return undefined;
    if (config.logoutHint === 'id_token_hint' && !idToken) return undefined;
    try {
      const configuration = clientConfiguration(meta, config, ctx.deps);
      return oidc.buildEndSessionUrl(configuration, {
        ...(config.logoutHint === 'id_token_hint' && idToken ? { id_token_hint: idToken } : {}),
        client_id: config.clientId,
        ...(config.postLogoutRedirectUri ? { post_logout_redirect_uri: config.postLogoutRedirectUri, state: createState() } : {}),
      }).href;
    } catch (error) {
      log.warn(`the end-session URL could not be built: ${redactText(String((error as Error).message))}`);
      return undefined;
    }
  }
}
