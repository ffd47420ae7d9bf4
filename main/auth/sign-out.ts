import * as oidc from 'openid-client';
import type { AuthContext } from './auth-context';
import { clientConfiguration, type ProviderMetadata } from './provider-metadata';
import { redactText } from './redact';
import type { SessionRefresh } from './session-refresh';
import type { SignInFlow } from './sign-in-flow';
import { clearStoredSession } from './stored-session';

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
    if (hadFlow) void flow.forgetPersistedFlow().catch(() => undefined);
    await ctx.inVaultOrder(() => clearStoredSession(ctx.vault, config)).catch((error: unknown) => {
      log.warn(`keychain delete failed: ${redactText(String(error))}`);
      problems.push('the keychain entry could not be removed');
    });
    if (!ended) return;
    let meta: ProviderMetadata | undefined;
    try {
      meta = await ctx.provider();
    } catch {
      problems.push('the provider could not be reached to end the session there');
    }
    if (meta) {
      const configuration = clientConfiguration(meta, config, ctx.deps);
      if (meta.server.revocation_endpoint) {
        // RFC 7009 §2.1: revoking the refresh token ends its grant; the access token too where supported.
        const revocations: Array<[string, string]> = [[ended.refreshToken ?? '', 'refresh_token'], [ended.accessToken, 'access_token']];
        for (const [token, hint] of revocations) {
          if (!token) continue;
          try {
            await oidc.tokenRevocation(configuration, token, { token_type_hint: hint });
          } catch (error) {
            log.warn(`revocation of the ${hint} failed: ${redactText(String((error as Error).message))}`);
            problems.push(`the provider could not revoke the ${hint.replace('_', ' ')}`);
            break;
          }
        }
      }
      if (config.endSessionInBrowser && meta.server.end_session_endpoint && ended.idToken) {
        const endSessionUrl = oidc.buildEndSessionUrl(configuration, {
          id_token_hint: ended.idToken,
          client_id: config.clientId,
          ...(config.postLogoutRedirectUri ? { post_logout_redirect_uri: config.postLogoutRedirectUri } : {}),
        });
        await ctx.options.openExternal(endSessionUrl.href).catch(() => problems.push('the browser could not be opened to sign out at the provider'));
      }
    }
    if (problems.length > 0 && ctx.state.status === 'signed-out') {
      ctx.setState({ status: 'signed-out', error: { code: 'network_error', message: `You are signed out on this computer, but ${problems.join(' and ')}.` } });
    }
  };
}
