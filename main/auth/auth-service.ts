import { createApiAuthorization } from './api-authorization';
import { createApiCalls } from './api-calls';
import { AuthContext } from './auth-context';
import type { AuthService, AuthServiceOptions } from './ports';
import { fetchMissingDisplayClaims } from './display-claims';
import { createResourceCalls, type ResourceCalls } from './resource-calls';
import { createSessionRefresh } from './session-refresh';
import { createSignInFlow } from './sign-in-flow';
import { createSignOut } from './sign-out';

/**
 * The sign-in core. It owns the flow, the tokens and the session state; the
 * outside world sees SessionState and nothing else. Each job lives in its own
 * module: the sign-in flow (`sign-in-flow.ts`), the session and its refresh
 * (`session-refresh.ts`), sign-out (`sign-out.ts`) and calls on the user's
 * behalf (`resource-calls.ts`), sharing one `AuthContext`.
 */
export function createAuthService(options: AuthServiceOptions): AuthService {
  const ctx = new AuthContext(options);
  // The name and e-mail a strict OIDC Core §5.4 provider gives in userinfo only, fetched once a session begins.
  const session = createSessionRefresh(ctx, { established: (tokens) => fetchMissingDisplayClaims(ctx, tokens, () => calls.getUserInfo(), (user) => session.adoptDisplayClaims(user)) });
  const flow = createSignInFlow(ctx, session);
  const signOut = createSignOut(ctx, flow, session);
  const calls: ResourceCalls = createResourceCalls(ctx, session);
  // Configured APIs get their own tokens (api-calls.ts); they go when the session does.
  const apis = createApiCalls(ctx, session);
  const apiAuthorization = createApiAuthorization(ctx, session, flow, apis);
  let apiSessionSub: string | undefined;
  ctx.listeners.add((state) => {
    const sub = state.status === 'signed-in' ? state.user.sub : undefined;
    if (sub === apiSessionSub) return;
    apiSessionSub = sub;
    apis.reset();
    apiAuthorization.reset();
  });

  return {
    async ready() {
      await ctx.providerWithKeys();
    },
    signIn: flow.signIn,
    cancelSignIn: flow.cancelSignIn,
    handleRedirect: flow.handleRedirect,
    signOut,
    async restore() {
      await session.restore();
      // After the restore, so the keychain read of the session goes first.
      void flow.sweepPersistedFlow().catch(() => undefined);
    },
    resume: session.resume,
    getSession: () => ctx.state,
    onSessionChange(listener) {
      ctx.listeners.add(listener);
      return () => ctx.listeners.delete(listener);
    },
    getUserInfo: calls.getUserInfo,
    callApi(request) {
      const api = apis.apiOf(request);
      return api ? apis.call(api, request) : calls.callApi(request);
    },
    grantApiAccess: apiAuthorization.grantApiAccess,
    stepUpApi: apiAuthorization.stepUpApi,
    getApiStatuses: apis.statuses,
    dispose() {
      ctx.disposed = true;
      ctx.generation += 1;
      flow.endFlow();
      session.stopRefreshing();
      ctx.retirement.stop();
      ctx.listeners.clear();
    },
  };
}
