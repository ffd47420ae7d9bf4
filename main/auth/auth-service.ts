import { timingSafeEqual } from 'node:crypto';
import * as oidc from 'openid-client';
import { parseApiUrl, sendApiRequest } from './api-client';
import { createBoundedFetch, DEFAULT_HTTP_TIMEOUT_MS, DEFAULT_MAX_BODY_BYTES } from './bounded-fetch';
import { redirectModeOf } from './config';
import { AuthError, type AuthErrorCode } from './errors';
import { checkIdTokenClaims } from './id-token-checks';
import { startLoopbackListener, type CallbackOutcome, type LoopbackListener } from './loopback-listener';
import { FLOW_LIFETIME_MS, PendingFlow, vaultKey } from './pending-flow';
import { challengeFromVerifier, createCodeVerifier, createNonce, createState } from './pkce';
import type { ApiRequest, ApiResponse, AuthLogger, AuthService, AuthServiceOptions, SessionListener } from './ports';
import { toAuthError } from './protocol-errors';
import { adoptJwks, clientConfiguration, discoverProvider, jwksIsAging, keysReady, refreshJwks, type MetadataDeps, type ProviderMetadata } from './provider-metadata';
import { redactText, redactUrl } from './redact';
import { parseRedirect } from './redirect-url';
import { backoffDelay, refreshDueAt } from './refresh-schedule';
import { SIGNED_OUT, toUserClaims, type SessionError, type SessionState, type UserClaims } from './session-state';
import { clearStoredSession, readStoredSession, writeStoredSession, type StoredSession } from './stored-session';
import { TokenSet } from './token-set';

const SILENT_LOGGER: AuthLogger = { info() {}, warn() {}, error() {} };

/** Used when a token response has no `expires_in` (RFC 6749 §5.1 makes it optional). */
const DEFAULT_ACCESS_TOKEN_LIFETIME_MS = 5 * 60_000;

interface ActiveFlow {
  readonly pending: PendingFlow;
  readonly listener: LoopbackListener | undefined;
  readonly expiry: NodeJS.Timeout;
}

/**
 * The sign-in core. It owns the flow, the tokens and the session state; the
 * outside world sees SessionState and nothing else.
 */
export function createAuthService(options: AuthServiceOptions): AuthService {
  const { config, vault } = options;
  const now = options.now ?? Date.now;
  const log = options.logger ?? SILENT_LOGGER;
  const timeoutMs = options.httpTimeoutMs ?? DEFAULT_HTTP_TIMEOUT_MS;
  const http = createBoundedFetch(options.fetch ?? globalThis.fetch, { timeoutMs, maxBodyBytes: DEFAULT_MAX_BODY_BYTES });
  const deps: MetadataDeps = { fetch: http, timeoutMs };
  const mode = redirectModeOf(config);
  const listeners = new Set<SessionListener>();

  let state: SessionState = SIGNED_OUT;
  let metadata: Promise<ProviderMetadata> | undefined;
  let flow: ActiveFlow | undefined;
  let tokens: TokenSet | undefined;
  /** Bumped by every sign-in, sign-out and dispose: work started under an older generation drops its result. */
  let generation = 0;
  let refreshing: { readonly generation: number; readonly promise: Promise<TokenSet | undefined> } | undefined;
  let refreshTimer: NodeJS.Timeout | undefined;
  let retryAttempt = 0;
  let disposed = false;
  /**
   * Keychain operations on the session and the pending flow run in order: a
   * late write must never resurrect a token after sign-out, nor a spent flow
   * after its callback.
   */
  let vaultChain: Promise<unknown> = Promise.resolve();
  /** States of flows being redeemed whose keychain copy is not deleted yet. */
  const spending = new Set<string>();

  function inVaultOrder<T>(operation: () => Promise<T>): Promise<T> {
    const run = vaultChain.then(operation);
    vaultChain = run.catch(() => undefined);
    return run;
  }

  function setState(next: SessionState): void {
    state = next;
    for (const listener of listeners) {
      try {
        listener(next);
      } catch (error) {
        log.error(`session listener failed: ${redactText(String(error))}`);
      }
    }
  }

  function fail(error: AuthError): void {
    log.warn(`sign-in failed: ${error.code}`);
    setState({ status: 'error', error: { code: error.code, message: error.message } });
  }

  function provider(): Promise<ProviderMetadata> {
    metadata ??= discoverProvider(config, deps).catch((error: unknown) => {
      metadata = undefined;
      throw error;
    });
    return metadata;
  }

  /** Discovery and the signing keys: what must be in hand before a browser opens. */
  async function providerWithKeys(): Promise<ProviderMetadata> {
    const meta = await provider();
    await keysReady(meta, deps);
    return meta;
  }

  // ---- sign-in ---------------------------------------------------------

  /** @param keepListener the loopback listener is answering this flow's callback and closes itself once it has. */
  function endFlow(keepListener = false): void {
    if (!flow) return;
    clearTimeout(flow.expiry);
    if (!keepListener) void flow.listener?.close();
    flow = undefined;
  }

  async function signIn(): Promise<void> {
    if (disposed) throw new AuthError('internal_error', 'The sign-in service has been shut down.');
    if (state.status === 'signed-in') throw new AuthError('already_signed_in', 'You are already signed in. Sign out first to use another account.');
    endFlow();
    stopRefreshing();
    const mine = ++generation;
    setState({ status: 'signing-in' });
    let listener: LoopbackListener | undefined;
    try {
      const meta = await providerWithKeys();
      // Keys are fetched in the background while the user is in the browser,
      // so the callback finds them fresh.
      if (jwksIsAging(meta)) void refreshJwks(meta, deps).catch((error: unknown) => log.warn(`JWKS refresh failed: ${redactText(String(error))}`));
      const verifier = createCodeVerifier();
      const stateParam = createState();
      const nonce = createNonce();
      const challenge = await challengeFromVerifier(verifier);
      let redirectUri = mode.uri;
      if (mode.kind === 'loopback') {
        listener = await startLoopbackListener(mode.uri, handleLoopbackCallback);
        redirectUri = listener.redirectUri;
      }
      if (mine !== generation) throw new AuthError('flow_superseded', 'A newer sign-in replaced this one.');
      const pending = new PendingFlow({ state: stateParam, nonce, verifier, redirectUri, issuer: config.issuer, clientId: config.clientId, createdAt: now() });
      const authorizeUrl = oidc.buildAuthorizationUrl(clientConfiguration(meta, config, deps), {
        ...config.authorizeParams,
        redirect_uri: redirectUri.href,
        scope: config.scopes.join(' '),
        state: stateParam,
        nonce,
        code_challenge: challenge,
        code_challenge_method: 'S256',
      });
      flow = { pending, listener, expiry: setTimeout(() => expireFlow(pending), FLOW_LIFETIME_MS).unref() };
      listener = undefined;
      if (mode.kind === 'custom-scheme') {
        // Kept in the keychain so that a redirect which cold-starts the app can
        // finish the flow. Not awaited: the browser should not wait for it.
        void inVaultOrder(() => vault.set(vaultKey('pending-flow', config), pending.persist())).catch((error: unknown) => log.warn(`could not keep the pending sign-in in the keychain: ${redactText(String(error))}`));
      }
      log.info(`opening the browser at ${redactUrl(authorizeUrl)}`);
      try {
        await options.openExternal(authorizeUrl.href);
      } catch (error) {
        throw new AuthError('browser_open_failed', 'The web browser could not be opened. Check that a default browser is set, then try again.', { cause: error });
      }
    } catch (error) {
      void listener?.close();
      const authError = toAuthError(error, 'authorization');
      if (mine === generation) {
        endFlow();
        fail(authError);
      }
      throw authError;
    }
  }

  function cancelSignIn(): void {
    if (!flow && state.status !== 'signing-in') return;
    generation += 1;
    endFlow();
    void inVaultOrder(() => vault.delete(vaultKey('pending-flow', config))).catch(() => undefined);
    setState({ status: 'signed-out' });
  }

  function expireFlow(pending: PendingFlow): void {
    if (flow?.pending !== pending) return;
    endFlow();
    void inVaultOrder(() => vault.delete(vaultKey('pending-flow', config))).catch(() => undefined);
    fail(new AuthError('flow_expired', 'The sign-in took longer than 10 minutes and was stopped. Please sign in again.'));
  }

  /**
   * A callback that cannot complete a flow changes no flow and no token. The
   * user hears of it unless already signed in: an injected or stale link must
   * not disturb a working session.
   */
  function report(code: AuthErrorCode, message: string): void {
    log.warn(`redirect refused: ${code}`);
    if (state.status !== 'signed-in') setState({ status: 'error', error: { code, message } });
  }

  function handleRedirect(url: string): Promise<boolean> {
    return processRedirect(url, false);
  }

  async function processRedirect(url: string, fromListener: boolean): Promise<boolean> {
    if (disposed) return false;
    const active = flow;
    const parsed = parseRedirect(url, active?.pending.redirectUri ?? mode.uri);
    if (parsed.kind === 'not-ours') return false;
    if (parsed.kind === 'malformed') {
      report('callback_invalid', 'The sign-in response was malformed and was ignored. Please sign in again.');
      return true;
    }
    const pending = active?.pending ?? (mode.kind === 'custom-scheme' ? await takePersistedFlow(parsed.state) : undefined);
    if (!pending) {
      report('no_pending_flow', 'This sign-in link is no longer valid (no sign-in is in progress). Please sign in again.');
      return true;
    }
    if (!sameSecret(parsed.state, pending.state)) {
      report('state_mismatch', 'This sign-in response does not belong to the sign-in in progress and was ignored. Finish signing in in the most recent browser tab, or sign in again.');
      return true;
    }
    // Single use: from here on this flow is spent, whatever the outcome.
    if (active) endFlow(fromListener);
    const mine = ++generation;
    // Until its keychain copy is gone, a replay must not find the flow there.
    spending.add(pending.state);
    try {
      if (pending.isExpired(now())) {
        fail(new AuthError('flow_expired', 'The sign-in took longer than 10 minutes and was stopped. Please sign in again.'));
        return true;
      }
      if (state.status !== 'signing-in') setState({ status: 'signing-in' });
      try {
        const next = await exchangeCode(pending, parsed.url);
        if (mine !== generation) return true;
        establish(next, undefined);
      } catch (error) {
        if (mine === generation) fail(toAuthError(error, 'token'));
      }
      return true;
    } finally {
      // After the outcome, so the keychain call does not compete with the token request.
      const forget = mode.kind === 'custom-scheme' ? inVaultOrder(() => vault.delete(vaultKey('pending-flow', config))) : Promise.resolve();
      void forget.catch(() => undefined).finally(() => spending.delete(pending.state));
    }
  }

  /** A flow kept in the keychain by an earlier run of the app (cold start), single use. */
  async function takePersistedFlow(stateParam: string): Promise<PendingFlow | undefined> {
    const key = vaultKey('pending-flow', config);
    let stored: PendingFlow | undefined;
    try {
      // In order with the writes: a flow this process has already spent was deleted before this read.
      stored = PendingFlow.restore(await inVaultOrder(() => vault.get(key)), config);
    } catch (error) {
      log.warn(`could not read a pending sign-in from the keychain: ${redactText(String(error))}`);
      return undefined;
    }
    if (!stored || spending.has(stored.state) || !sameSecret(stateParam, stored.state)) return undefined;
    await inVaultOrder(() => vault.delete(key)).catch(() => undefined);
    return stored;
  }

  async function handleLoopbackCallback(url: string): Promise<CallbackOutcome> {
    const pending = flow?.pending;
    const parsed = pending ? parseRedirect(url, pending.redirectUri) : undefined;
    if (!pending || parsed?.kind !== 'callback' || !sameSecret(parsed.state, pending.state)) {
      await processRedirect(url, true);
      return { accepted: false };
    }
    await processRedirect(url, true);
    const after = state;
    return after.status === 'signed-in'
      ? { accepted: true, signedIn: true, message: 'You are signed in to the app.' }
      : { accepted: true, signedIn: false, message: after.status === 'error' ? after.error.message : 'The sign-in did not complete.' };
  }

  async function exchangeCode(pending: PendingFlow, callbackUrl: URL): Promise<TokenSet> {
    const meta = await provider();
    const configuration = clientConfiguration(meta, config, deps);
    let response: oidc.TokenEndpointResponse & oidc.TokenEndpointResponseHelpers;
    try {
      response = await oidc.authorizationCodeGrant(configuration, callbackUrl, {
        pkceCodeVerifier: pending.verifier,
        expectedState: pending.state,
        expectedNonce: pending.nonce,
        idTokenExpected: true,
      });
    } finally {
      adoptJwks(meta, configuration);
    }
    const claims = response.claims();
    if (!claims) throw new AuthError('identity_unverified', 'The provider did not return an ID token.');
    checkIdTokenClaims(claims, now());
    return tokenSetFrom(response, toUserClaims(claims), undefined);
  }

  function tokenSetFrom(response: oidc.TokenEndpointResponse, user: UserClaims, previousRefreshToken: string | undefined): TokenSet {
    if (response.token_type.toLowerCase() !== 'bearer') {
      throw new AuthError('token_response_invalid', `The provider issued a "${response.token_type}" token; this app uses bearer tokens only.`);
    }
    const issuedAt = now();
    const lifetime = typeof response.expires_in === 'number' && response.expires_in > 0 ? response.expires_in * 1000 : DEFAULT_ACCESS_TOKEN_LIFETIME_MS;
    return new TokenSet({
      accessToken: response.access_token,
      idToken: response.id_token ?? tokens?.idToken,
      refreshToken: response.refresh_token ?? previousRefreshToken,
      user,
      issuedAt,
      expiresAt: issuedAt + lifetime,
    });
  }

  /** Makes `next` the session: state first (what the user waits for), then the keychain. */
  function establish(next: TokenSet, warning: SessionError | undefined): void {
    const previousRefreshToken = tokens?.refreshToken;
    tokens = next;
    retryAttempt = 0;
    setState({ status: 'signed-in', user: next.user, expiresAt: next.expiresAt, ...(warning ? { warning } : {}) });
    scheduleRefresh();
    if (next.refreshToken && next.refreshToken !== previousRefreshToken) void persistRefreshToken(next);
  }

  async function persistRefreshToken(saved: TokenSet): Promise<void> {
    try {
      await inVaultOrder(() => writeStoredSession(vault, config, { refreshToken: saved.refreshToken as string, user: saved.user }));
    } catch (error) {
      log.warn(`keychain write failed: ${redactText(String(error))}`);
      if (tokens === saved && state.status === 'signed-in') {
        setState({
          ...state,
          warning: {
            code: 'keychain_unavailable',
            message: 'The system keychain is not available, so you will have to sign in again the next time you start the app. Your session works until then.',
          },
        });
      }
    }
  }

  // ---- session lifecycle ---------------------------------------------

  function stopRefreshing(): void {
    clearTimeout(refreshTimer);
    refreshTimer = undefined;
  }

  function scheduleRefresh(delayMs?: number): void {
    stopRefreshing();
    if (!tokens?.refreshToken || disposed) return;
    const delay = delayMs ?? Math.max(0, refreshDueAt(tokens.issuedAt, tokens.expiresAt) - now());
    refreshTimer = setTimeout(() => void refreshSession(), delay).unref();
  }

  /** Single flight: concurrent callers share one refresh request (of the current session only). */
  function refreshSession(stored?: StoredSession): Promise<TokenSet | undefined> {
    if (refreshing?.generation === generation) return refreshing.promise;
    const promise = runRefresh(stored).finally(() => {
      if (refreshing?.promise === promise) refreshing = undefined;
    });
    refreshing = { generation, promise };
    return promise;
  }

  async function runRefresh(stored?: StoredSession): Promise<TokenSet | undefined> {
    const current = tokens;
    const refreshToken = stored?.refreshToken ?? current?.refreshToken;
    const user = stored?.user ?? current?.user;
    if (!refreshToken || !user) return undefined;
    const mine = generation;
    stopRefreshing();
    try {
      const meta = await provider();
      const configuration = clientConfiguration(meta, config, deps);
      let response: oidc.TokenEndpointResponse & oidc.TokenEndpointResponseHelpers;
      try {
        response = await oidc.refreshTokenGrant(configuration, refreshToken);
      } finally {
        adoptJwks(meta, configuration);
      }
      const claims = response.claims();
      if (claims) {
        // OIDC Core §12.2: same iss and sub as the ID token the session started with.
        checkIdTokenClaims(claims, now());
        if (claims.sub !== user.sub) throw new AuthError('identity_unverified', 'The provider returned an ID token for a different user; the session was ended.');
      }
      const next = tokenSetFrom(response, claims ? toUserClaims(claims) : user, refreshToken);
      if (mine !== generation) return undefined;
      establish(next, state.status === 'signed-in' ? state.warning : undefined);
      return next;
    } catch (error) {
      if (mine !== generation) return undefined;
      const authError = toAuthError(error, 'refresh');
      if (authError.retryable) {
        const delay = backoffDelay(retryAttempt);
        retryAttempt += 1;
        log.warn(`refresh failed (${authError.code}); retrying in ${Math.round(delay / 1000)} s`);
        if (state.status === 'signed-in') setState({ ...state, stale: true });
        else if (stored) setState({ status: 'signed-out', error: { code: authError.code, message: 'The provider could not be reached to restore your session. The app keeps trying; you can also sign in again.' } });
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
    generation += 1;
    stopRefreshing();
    tokens = undefined;
    setState({ status: 'signed-out', error: reason });
    await inVaultOrder(() => clearStoredSession(vault, config)).catch((error: unknown) => log.warn(`keychain delete failed: ${redactText(String(error))}`));
  }

  async function restore(): Promise<void> {
    if (disposed || state.status !== 'signed-out') return;
    let stored: StoredSession | undefined;
    try {
      stored = await readStoredSession(vault, config);
    } catch (error) {
      log.warn(`keychain read failed: ${redactText(String(error))}`);
      setState({
        status: 'signed-out',
        error: { code: 'keychain_unavailable', message: 'The system keychain is not available, so your previous session could not be restored. You can still sign in; the session will last until you quit the app.' },
      });
      return;
    }
    if (!stored || state.status !== 'signed-out') return;
    await restoreWith(stored);
  }

  async function restoreWith(stored: StoredSession): Promise<void> {
    if (state.status === 'signed-in' || state.status === 'signing-in') return;
    setState({ status: 'restoring' });
    const mine = generation;
    await refreshSession(stored);
    if (mine === generation && state.status === 'restoring') setState({ status: 'signed-out' });
  }

  function resume(): void {
    if (!tokens?.refreshToken) return;
    // Timers do not run during sleep; re-plan from the wall clock.
    if (now() >= refreshDueAt(tokens.issuedAt, tokens.expiresAt)) void refreshSession();
    else scheduleRefresh();
  }

  async function signOut(): Promise<void> {
    const ended = tokens;
    const hadFlow = flow !== undefined;
    generation += 1;
    endFlow();
    stopRefreshing();
    tokens = undefined;
    setState({ status: 'signed-out' });
    const problems: string[] = [];
    if (hadFlow && mode.kind === 'custom-scheme') void inVaultOrder(() => vault.delete(vaultKey('pending-flow', config))).catch(() => undefined);
    await inVaultOrder(() => clearStoredSession(vault, config)).catch((error: unknown) => {
      log.warn(`keychain delete failed: ${redactText(String(error))}`);
      problems.push('the keychain entry could not be removed');
    });
    if (!ended) return;
    let meta: ProviderMetadata | undefined;
    try {
      meta = await provider();
    } catch {
      problems.push('the provider could not be reached to end the session there');
    }
    if (meta) {
      const configuration = clientConfiguration(meta, config, deps);
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
        await options.openExternal(endSessionUrl.href).catch(() => problems.push('the browser could not be opened to sign out at the provider'));
      }
    }
    if (problems.length > 0 && state.status === 'signed-out') {
      setState({ status: 'signed-out', error: { code: 'network_error', message: `You are signed out on this computer, but ${problems.join(' and ')}.` } });
    }
  }

  // ---- calls on the user's behalf ---------------------------------------

  /** Runs `call` with a valid access token; on 401 refreshes once and retries once. */
  async function withAccessToken<T>(call: (accessToken: string) => Promise<T>, unauthorized: (error: unknown) => boolean): Promise<T> {
    let current = tokens;
    if (!current) throw new AuthError('not_signed_in', 'You are not signed in.');
    if (current.refreshToken && now() >= current.expiresAt) current = (await refreshSession()) ?? tokens;
    if (!current) throw new AuthError('not_signed_in', 'You are not signed in.');
    try {
      return await call(current.accessToken);
    } catch (error) {
      if (!unauthorized(error) || !current.refreshToken) throw error;
      // Another caller may have refreshed while this request was out: use its result.
      const renewed = tokens && tokens !== current ? tokens : await refreshSession();
      if (!renewed) throw new AuthError('session_ended', 'Your session ended; please sign in again.');
      return call(renewed.accessToken);
    }
  }

  async function getUserInfo(): Promise<UserClaims & Readonly<Record<string, unknown>>> {
    const meta = await provider();
    try {
      const info = await withAccessToken(
        (accessToken) => oidc.fetchUserInfo(clientConfiguration(meta, config, deps), accessToken, tokens?.user.sub ?? oidc.skipSubjectCheck),
        (error) => error instanceof oidc.WWWAuthenticateChallengeError && error.status === 401,
      );
      return { ...info, ...toUserClaims(info) };
    } catch (error) {
      throw toAuthError(error, 'userinfo');
    }
  }

  async function callApi(request: ApiRequest): Promise<ApiResponse> {
    const url = parseApiUrl(request, config);
    try {
      return await withAccessToken(
        async (accessToken) => {
          const response = await sendApiRequest(http, url, request, accessToken);
          if (response.status === 401) throw new UnauthorizedResponse(response);
          return response;
        },
        (error) => error instanceof UnauthorizedResponse,
      );
    } catch (error) {
      // Still 401 after one refresh: the API's answer is the answer.
      if (error instanceof UnauthorizedResponse) return error.response;
      throw toAuthError(error, 'userinfo');
    }
  }

  return {
    async ready() {
      await providerWithKeys();
    },
    signIn,
    cancelSignIn,
    handleRedirect,
    signOut,
    restore,
    resume,
    getSession: () => state,
    onSessionChange(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    getUserInfo,
    callApi,
    dispose() {
      disposed = true;
      generation += 1;
      endFlow();
      stopRefreshing();
      listeners.clear();
    },
  };
}

/** A 401 from a resource API, thrown so the caller can refresh once and retry. */
class UnauthorizedResponse extends Error {
  constructor(readonly response: ApiResponse) {
    super('HTTP 401');
  }
}

/** Constant-time comparison of two protocol secrets. */
function sameSecret(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}
