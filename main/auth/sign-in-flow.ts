import { timingSafeEqual } from 'node:crypto';
import * as oidc from 'openid-client';
import type { AuthContext } from './auth-context';
import { DpopKey } from './dpop-key';
import { decideDpop } from './dpop-policy';
import { AuthError, type AuthErrorCode } from './errors';
import { checkAccessTokenHash } from './at-hash';
import { checkIdTokenClaims, identityOf } from './id-token-checks';
import { startLoopbackListener, type CallbackOutcome, type LoopbackListener } from './loopback-listener';
import { setLongTimeout, type LongTimer } from './long-timer';
import { FLOW_LIFETIME_MS, PendingFlow, vaultKey } from './pending-flow';
import { challengeFromVerifier, createCodeVerifier, createNonce, createState } from './pkce';
import { toAuthError } from './protocol-errors';
import { adoptJwks, clientConfiguration, jwksIsAging, refreshJwks } from './provider-metadata';
import { decidePar, mayFallBackFromPush, pushAuthorizationRequest, pushRefusalCode } from './pushed-authorization';
import { redactText, redactUrl } from './redact';
import { parseRedirect } from './redirect-url';
import { toUserClaims } from './session-state';
import { tokenSetFrom } from './token-response';
import { revokeTokens } from './token-revocation';
import { TokenSet } from './token-set';

interface ActiveFlow {
  readonly pending: PendingFlow;
  readonly listener: LoopbackListener | undefined;
  readonly expiry: LongTimer;
  /** Set for a round-trip while signed in (reauthorize): it settles here and never touches the session. */
  readonly reauthorization?: Reauthorization;
}

/** A browser round-trip for the signed-in user (incremental consent, step-up), see SignInFlow.reauthorize. */
interface Reauthorization {
  readonly tokenParameters: URLSearchParams | undefined;
  /** ctx.generation when it started: a sign-out or new sign-in since makes its tokens abandoned. */
  readonly generation: number;
  resolve(result: ReauthorizationResult): void;
  reject(error: AuthError): void;
}

/** What a round-trip while signed in brings back: the token response, its checked ID token claims, and the key its tokens are bound to. */
export interface ReauthorizationResult {
  readonly response: oidc.TokenEndpointResponse;
  readonly claims: oidc.IDToken;
  readonly dpopKey: DpopKey | undefined;
}

export interface SignInFlow {
  signIn(): Promise<void>;
  cancelSignIn(): void;
  handleRedirect(url: string): Promise<boolean>;
  /** True while an authorization request waits for its callback. */
  inFlight(): boolean;
  /** Ends the flow in this process (timer, listener); the caller decides about its keychain copy. */
  endFlow(): void;
  /** Deletes the flow kept in the keychain for a cold start (custom-scheme mode only). */
  forgetPersistedFlow(): Promise<void>;
  /** At start-up: deletes a kept flow that is expired or unreadable; a live one stays for its cold-start callback. */
  sweepPersistedFlow(): Promise<void>;
  /**
   * A browser round-trip for the signed-in user (incremental consent,
   * step-up): the authorization request with `parameters` on top of the
   * usual ones (its `scope` replaces the configured scopes), the code
   * exchanged with `tokenParameters` (e.g. RFC 8707 `resource`), and the ID
   * token checked as at sign-in. The session state stays `signed-in` and
   * nothing of the session changes here: the caller decides what the result
   * is for. One browser flow at a time. Resolves when the callback has been
   * redeemed; rejects with `flow_cancelled`, `flow_expired`, the provider's
   * refusal, or `flow_in_progress` when another flow waits for the user.
   */
  reauthorize(parameters: URLSearchParams, tokenParameters?: URLSearchParams): Promise<ReauthorizationResult>;
}

/**
 * The sign-in flow: Authorization Code + PKCE through the system browser
 * (RFC 8252, RFC 7636), from the click to the token response. One flow is in
 * flight at a time; its callback is single use. Where the provider offers
 * them (and the configuration allows), the authorization request is pushed
 * (RFC 9126: the push is the one request between the click and the browser)
 * and a new DPoP key binds the code and the tokens (RFC 9449 §10, §5).
 * @param session makes the exchanged tokens the session; a new sign-in stops any refresh planned for an earlier one.
 */
export function createSignInFlow(ctx: AuthContext, session: { establishNewGrant(tokens: TokenSet): void; stopRefreshing(): void }): SignInFlow {
  const { config, mode, log } = ctx;
  let flow: ActiveFlow | undefined;
  /** States of flows being redeemed whose keychain copy is not deleted yet. */
  const spending = new Set<string>();
  /**
   * Issuers that refused a push under `par: auto` in this run (Keycloak < 23, Duende): later sign-ins
   * send the request in the browser URL at once. In memory only: after a restart PAR is tried again.
   */
  const pushRefusedBy = new Set<string>();
  /** A round-trip while signed in is being prepared (discovery, key, push): no second one may start. */
  let preparing = false;

  /** @param keepListener the loopback listener is answering this flow's callback and closes itself once it has. */
  function endFlow(keepListener = false, reason?: AuthError): void {
    if (!flow) return;
    flow.expiry.cancel();
    if (!keepListener) void flow.listener?.close();
    // A round-trip while signed in ends with its caller told, unless its callback is being redeemed (reason undefined).
    if (reason || !keepListener) flow.reauthorization?.reject(reason ?? new AuthError('flow_cancelled', 'The browser sign-in was stopped.'));
    flow = undefined;
  }

  function forgetPersistedFlow(): Promise<void> {
    if (mode.kind !== 'custom-scheme') return Promise.resolve();
    return ctx.inVaultOrder(async () => {
      await ctx.vault.delete(vaultKey('pending-flow', config));
    });
  }

  /**
   * What every browser round-trip starts with (RFC 7636 §4.1–4.2, OIDC Core
   * §3.1.2.1): the DPoP key when in use, a fresh verifier, state and nonce, the
   * S256 challenge, and the redirect URI (a one-flow loopback listener in
   * loopback mode, which the caller closes if it gives up).
   */
  async function prepareFlow(meta: Awaited<ReturnType<typeof ctx.providerWithKeys>>, dpop: ReturnType<typeof decideDpop>) {
    const dpopKey = dpop.use ? await DpopKey.generate(dpop.alg) : undefined;
    const verifier = createCodeVerifier();
    const stateParam = createState();
    const nonce = createNonce();
    const challenge = await challengeFromVerifier(verifier);
    let redirectUri = mode.uri;
    let listener: LoopbackListener | undefined;
    if (mode.kind === 'loopback') {
      listener = await startLoopbackListener(mode.uri, handleLoopbackCallback).catch((error: unknown) => {
        throw loopbackError(mode.uri, error);
      });
      redirectUri = listener.redirectUri;
    }
    try {
      const pending = new PendingFlow({ state: stateParam, nonce, verifier, redirectUri, issuer: config.issuer, clientId: config.clientId, createdAt: ctx.now(), dpopKey });
      return { pending, listener, configuration: clientConfiguration(meta, config, ctx.deps), dpopKey, redirectUri, stateParam, nonce, challenge };
    } catch (error) {
      void listener?.close();
      throw error;
    }
  }

  /** Hands the authorize URL to the system browser (RFC 8252 §6); a failure is `browser_open_failed`. */
  async function openBrowser(authorizeUrl: URL): Promise<void> {
    log.info(`opening the browser at ${redactUrl(authorizeUrl)}`);
    try {
      await ctx.options.openExternal(authorizeUrl.href);
    } catch (error) {
      throw new AuthError('browser_open_failed', 'The web browser could not be opened. Check that a default browser is set, then try again.', { cause: error });
    }
  }

  async function signIn(): Promise<void> {
    if (ctx.disposed) throw new AuthError('internal_error', 'The sign-in service has been shut down.');
    if (ctx.state.status === 'signed-in') throw new AuthError('already_signed_in', 'You are already signed in. Sign out first to use another account.');
    endFlow();
    session.stopRefreshing();
    const mine = ++ctx.generation;
    ctx.setState({ status: 'signing-in' });
    let listener: LoopbackListener | undefined;
    try {
      const meta = await ctx.providerWithKeys();
      // Decided before anything is made or sent: a provider refused by the configuration is refused at once.
      const par = decidePar(config.par, meta.server);
      const dpop = decideDpop(config.dpop, meta.server);
      if (par.use && par.forced) log.warn('the provider requires pushed authorization requests: pushing although par is "never"');
      // Keys are fetched in the background while the user is in the browser,
      // so the callback finds them fresh.
      if (jwksIsAging(meta)) void refreshJwks(meta, ctx.deps).catch((error: unknown) => log.warn(`JWKS refresh failed: ${redactText(String(error))}`));
      const prepared = await prepareFlow(meta, dpop);
      listener = prepared.listener;
      const { pending, configuration, dpopKey, redirectUri, stateParam, nonce, challenge } = prepared;
      if (mine !== ctx.generation) throw new AuthError('flow_superseded', 'A newer sign-in replaced this one.');
      const parameters: Record<string, string> = {
        ...config.authorizeParams,
        redirect_uri: redirectUri.href,
        scope: config.scopes.join(' '),
        state: stateParam,
        nonce,
        code_challenge: challenge,
        code_challenge_method: 'S256',
        ...(dpopKey ? { dpop_jkt: await dpopKey.thumbprint(configuration) } : {}),
      };
      // RFC 8707 §2.1: the grant covers every configured API's resource, so a token for each can come from the refresh token.
      const resources = [...new Set(config.apis.flatMap((api) => (api.resource ? [api.resource] : [])))];
      const request = resources.length === 0 ? parameters : withResources(parameters, resources);
      const authorizeUrl = par.use && !(config.par === 'auto' && pushRefusedBy.has(meta.server.issuer)) ? await pushOrFallBack(meta.server, configuration, request, dpopKey) : oidc.buildAuthorizationUrl(configuration, request);
      if (mine !== ctx.generation) throw new AuthError('flow_superseded', 'A newer sign-in replaced this one.');
      flow = { pending, listener, expiry: setLongTimeout(() => expireFlow(pending), FLOW_LIFETIME_MS) };
      listener = undefined;
      if (mode.kind === 'custom-scheme') {
        // Kept in the keychain so that a redirect which cold-starts the app can
        // finish the flow. Not awaited: the browser should not wait for it.
        void ctx.inVaultOrder(() => ctx.vault.set(vaultKey('pending-flow', config), pending.persist())).catch((error: unknown) => log.warn(`could not keep the pending sign-in in the keychain: ${redactText(String(error))}`));
      }
      await openBrowser(authorizeUrl);
    } catch (error) {
      void listener?.close();
      const authError = toAuthError(error, 'authorization');
      if (mine === ctx.generation) {
        // The flow ends here (browser not opened, provider refused…): its keychain copy goes with it.
        if (flow) void forgetPersistedFlow().catch(() => undefined);
        endFlow();
        ctx.fail(authError);
      }
      throw authError;
    }
  }

  /**
   * The pushed authorization request (RFC 9126), or, under `par: auto` with a provider that lists PAR
   * without requiring it and refuses this client's push (mayFallBackFromPush), the same request in
   * the browser URL: once, in this sign-in, remembered for the provider until the app restarts.
   */
  async function pushOrFallBack(server: oidc.ServerMetadata, configuration: oidc.Configuration, parameters: Record<string, string> | URLSearchParams, dpopKey: DpopKey | undefined): Promise<URL> {
    const required = server.require_pushed_authorization_requests === true;
    try {
      return await pushAuthorizationRequest(configuration, parameters, dpopKey?.handle(configuration), { setting: config.par, required });
    } catch (error) {
      if (!mayFallBackFromPush(config.par, server, error)) throw error;
      pushRefusedBy.add(server.issuer);
      log.warn(`the provider refused the pushed authorization request (${pushRefusalCode(error)}) although it does not require one: falling back to the request in the browser URL (par "auto"), for this provider until the app restarts`);
      return oidc.buildAuthorizationUrl(configuration, parameters);
    }
  }

  function cancelSignIn(): void {
    if (flow?.reauthorization) {
      // The session stays as it is: only the round-trip ends.
      endFlow(false, new AuthError('flow_cancelled', 'The browser sign-in was cancelled.'));
      return;
    }
    if (!flow && ctx.state.status !== 'signing-in') return;
    ctx.generation += 1;
    endFlow();
    void forgetPersistedFlow().catch(() => undefined);
    ctx.setState({ status: 'signed-out' });
  }

  function expireFlow(pending: PendingFlow): void {
    if (flow?.pending !== pending) return;
    if (flow.reauthorization) {
      endFlow(false, new AuthError('flow_expired', 'The browser sign-in took longer than 10 minutes and was stopped.'));
      return;
    }
    endFlow();
    void forgetPersistedFlow().catch(() => undefined);
    ctx.fail(new AuthError('flow_expired', 'The sign-in took longer than 10 minutes and was stopped. Please sign in again.'));
  }

  /**
   * A callback that cannot complete a flow changes no flow and no token. The
   * user hears of it only when nothing is under way: an injected or stale
   * link must not disturb a working session, nor a sign-in waiting for its
   * callback (a forged `GET /callback?state=…` on the loopback port or a
   * custom-scheme link from any web page would otherwise put up an error
   * whose "Try again" throws the real flow away); the real callback can
   * still arrive.
   */
  function report(code: AuthErrorCode, message: string): void {
    log.warn(`redirect refused: ${code}`);
    const status = ctx.state.status;
    if (status === 'signed-in' || flow !== undefined || status === 'signing-in') return;
    ctx.setState({ status: 'error', error: { code, message } });
  }

  async function processRedirect(url: string, fromListener: boolean): Promise<boolean> {
    if (ctx.disposed) return false;
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
    if (active?.reauthorization) return redeemReauthorization(active, parsed.url, fromListener);
    // Single use: from here on this flow is spent, whatever the outcome.
    if (active) endFlow(fromListener);
    const mine = ++ctx.generation;
    // Until its keychain copy is gone, a replay must not find the flow there.
    spending.add(pending.state);
    try {
      if (pending.isExpired(ctx.now())) {
        ctx.fail(new AuthError('flow_expired', 'The sign-in took longer than 10 minutes and was stopped. Please sign in again.'));
        return true;
      }
      if (ctx.state.status !== 'signing-in') ctx.setState({ status: 'signing-in' });
      try {
        const next = await exchangeCode(pending, parsed.url);
        if (mine !== ctx.generation) {
          // Signed out or cancelled while the code was being exchanged: the provider
          // issued these tokens anyway, so they are revoked rather than left live.
          void revokeAbandoned(next);
          return true;
        }
        session.establishNewGrant(next);
      } catch (error) {
        if (mine === ctx.generation) ctx.fail(toAuthError(error, 'token', [pending.verifier, pending.state, pending.nonce, parsed.url.searchParams.get('code') ?? '']));
      }
      return true;
    } finally {
      // After the outcome, so the keychain call does not compete with the token request.
      void forgetPersistedFlow()
        .catch(() => undefined)
        .finally(() => spending.delete(pending.state));
    }
  }

  /** The callback of a round-trip while signed in: single use, redeemed, and handed to its caller; the session state is not touched. */
  async function redeemReauthorization(active: ActiveFlow, url: URL, fromListener: boolean): Promise<boolean> {
    const purpose = active.reauthorization as Reauthorization;
    const { pending } = active;
    // Single use; the caller hears of the outcome below, not from endFlow.
    flow = undefined;
    active.expiry.cancel();
    if (!fromListener) void active.listener?.close();
    if (pending.isExpired(ctx.now())) {
      purpose.reject(new AuthError('flow_expired', 'The browser sign-in took longer than 10 minutes and was stopped.'));
      return true;
    }
    try {
      const result = await exchangeForReauthorization(pending, url, purpose.tokenParameters);
      if (purpose.generation !== ctx.generation) {
        // Signed out (or signed in anew) meanwhile: the provider issued these tokens anyway.
        void revokeAbandoned(new TokenSet({ accessToken: result.response.access_token, idToken: undefined, refreshToken: result.response.refresh_token, user: { sub: result.claims.sub }, expiresAt: 0, issuedAt: 0 }));
        purpose.reject(new AuthError('flow_superseded', 'The session changed while the browser sign-in was completing; its result was discarded.'));
        return true;
      }
      purpose.resolve(result);
    } catch (error) {
      purpose.reject(toAuthError(error, 'token', [pending.verifier, pending.state, pending.nonce, url.searchParams.get('code') ?? '']));
    }
    return true;
  }

  async function reauthorize(extra: URLSearchParams, tokenParameters?: URLSearchParams): Promise<ReauthorizationResult> {
    if (ctx.disposed) throw new AuthError('internal_error', 'The sign-in service has been shut down.');
    if (ctx.state.status !== 'signed-in') throw new AuthError('not_signed_in', 'You are not signed in.');
    if (flow || preparing) throw new AuthError('flow_in_progress', 'A sign-in in your browser is already waiting for you. Finish or cancel it first.');
    const generation = ctx.generation;
    let listener: LoopbackListener | undefined;
    let settle!: Pick<Reauthorization, 'resolve' | 'reject'>;
    const outcome = new Promise<ReauthorizationResult>((resolve, reject) => {
      settle = { resolve, reject };
    });
    const purpose: Reauthorization = { tokenParameters, generation, ...settle };
    // Claimed before the first await: a second call meanwhile is refused, never a second browser.
    preparing = true;
    let opened = false;
    try {
      const meta = await ctx.providerWithKeys();
      const par = decidePar(config.par, meta.server);
      const dpop = decideDpop(config.dpop, meta.server);
      const prepared = await prepareFlow(meta, dpop);
      listener = prepared.listener;
      const { pending, configuration, dpopKey, redirectUri, stateParam, nonce, challenge } = prepared;
      if (flow || generation !== ctx.generation) throw new AuthError('flow_superseded', 'The session changed before the browser opened.');
      const parameters = new URLSearchParams({ ...config.authorizeParams, scope: config.scopes.join(' ') });
      for (const [name, value] of extra) if (name === 'scope') parameters.set(name, value);
      for (const name of new Set(extra.keys())) {
        if (name === 'scope') continue;
        parameters.delete(name);
        for (const value of extra.getAll(name)) parameters.append(name, value);
      }
      parameters.set('redirect_uri', redirectUri.href);
      parameters.set('state', stateParam);
      parameters.set('nonce', nonce);
      parameters.set('code_challenge', challenge);
      parameters.set('code_challenge_method', 'S256');
      if (dpopKey) parameters.set('dpop_jkt', await dpopKey.thumbprint(configuration));
      const authorizeUrl = par.use && !(config.par === 'auto' && pushRefusedBy.has(meta.server.issuer)) ? await pushOrFallBack(meta.server, configuration, parameters, dpopKey) : oidc.buildAuthorizationUrl(configuration, parameters);
      if (flow || generation !== ctx.generation) throw new AuthError('flow_superseded', 'The session changed before the browser opened.');
      flow = { pending, listener, expiry: setLongTimeout(() => expireFlow(pending), FLOW_LIFETIME_MS), reauthorization: purpose };
      listener = undefined;
      preparing = false;
      opened = true;
      await openBrowser(authorizeUrl);
    } catch (error) {
      void listener?.close();
      const authError = toAuthError(error, 'authorization');
      if (opened && flow?.reauthorization === purpose) endFlow(false, authError);
      else settle.reject(authError);
    } finally {
      preparing = false;
    }
    return outcome;
  }

  /** The code exchange of a round-trip while signed in (RFC 6749 §4.1.3, RFC 7636 §4.5), with its ID token checked as at sign-in. */
  async function exchangeForReauthorization(pending: PendingFlow, callbackUrl: URL, tokenParameters: URLSearchParams | undefined): Promise<ReauthorizationResult> {
    const meta = await ctx.provider();
    const configuration = clientConfiguration(meta, config, ctx.deps);
    const dpopKey = await pending.dpopKey();
    let response: oidc.TokenEndpointResponse & oidc.TokenEndpointResponseHelpers;
    try {
      response = await oidc.authorizationCodeGrant(
        configuration,
        responseAt(pending.redirectUri, callbackUrl),
        { pkceCodeVerifier: pending.verifier, expectedState: pending.state, expectedNonce: pending.nonce, idTokenExpected: true },
        tokenParameters,
        dpopKey ? { DPoP: dpopKey.handle(configuration) } : undefined,
      );
    } finally {
      adoptJwks(meta, configuration);
    }
    const claims = response.claims();
    if (!claims) throw new AuthError('identity_unverified', 'The provider did not return an ID token.');
    checkIdTokenClaims(claims, ctx.now(), config.clientId);
    checkAccessTokenHash(response.id_token, claims.at_hash, response.access_token);
    return { response, claims, dpopKey };
  }

  async function revokeAbandoned(tokens: TokenSet): Promise<void> {
    const problem = await revokeTokens(ctx, await ctx.provider(), tokens).catch(() => 'unreachable' as const);
    if (problem) log.warn(`the tokens of an abandoned sign-in could not be revoked (${problem})`);
  }

  async function sweepPersistedFlow(): Promise<void> {
    if (mode.kind !== 'custom-scheme') return;
    const key = vaultKey('pending-flow', config);
    await ctx.inVaultOrder(async () => {
      const text = await ctx.vault.get(key);
      if (text === null) return;
      const kept = PendingFlow.restore(text, config);
      if (kept && !kept.isExpired(ctx.now())) return;
      if (flow) return;
      await ctx.vault.delete(key);
    });
  }

  /** A flow kept in the keychain by an earlier run of the app (cold start), single use. */
  async function takePersistedFlow(stateParam: string): Promise<PendingFlow | undefined> {
    const key = vaultKey('pending-flow', config);
    let stored: PendingFlow | undefined;
    try {
      // In order with the writes: a flow this process has already spent was deleted before this read.
      stored = PendingFlow.restore(await ctx.inVaultOrder(() => ctx.vault.get(key)), config);
    } catch (error) {
      log.warn(`could not read a pending sign-in from the keychain: ${redactText(String(error))}`);
      return undefined;
    }
    if (stored?.isExpired(ctx.now()) && !spending.has(stored.state)) {
      // Expired: useless to any link, stray or not.
      await ctx.inVaultOrder(() => ctx.vault.delete(key)).catch(() => undefined);
      return undefined;
    }
    if (!stored || spending.has(stored.state) || !sameSecret(stateParam, stored.state)) return undefined;
    await ctx.inVaultOrder(() => ctx.vault.delete(key)).catch(() => undefined);
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
    const after = ctx.state;
    return after.status === 'signed-in'
      ? { accepted: true, signedIn: true, message: 'You are signed in to the app.' }
      : { accepted: true, signedIn: false, message: after.status === 'error' ? after.error.message : 'The sign-in did not complete.' };
  }

  /** RFC 6749 §4.1.3 with the PKCE verifier (RFC 7636 §4.5); the ID token checked in full (OIDC Core §3.1.3.7). */
  async function exchangeCode(pending: PendingFlow, callbackUrl: URL): Promise<TokenSet> {
    const meta = await ctx.provider();
    const configuration = clientConfiguration(meta, config, ctx.deps);
    const dpopKey = await pending.dpopKey().catch((error: unknown) => {
      throw new AuthError('callback_invalid', 'The sign-in kept for this response could not be read back. Please sign in again.', { cause: error });
    });
    let response: oidc.TokenEndpointResponse & oidc.TokenEndpointResponseHelpers;
    try {
      response = await oidc.authorizationCodeGrant(
        configuration,
        // openid-client derives the token request's redirect_uri from this URL (RFC 6749 §4.1.3: identical
        // to the authorization request's). The OS may hand over our callback in another form that still
        // is ours (empty authority "scheme:///callback", the scheme in capitals): the pending flow's URI,
        // with the response's parameters, keeps it byte for byte.
        responseAt(pending.redirectUri, callbackUrl),
        {
          pkceCodeVerifier: pending.verifier,
          expectedState: pending.state,
          expectedNonce: pending.nonce,
          idTokenExpected: true,
        },
        undefined,
        // RFC 9449 §5: the proof binds the tokens; the provider checks it against the code's dpop_jkt (§10).
        dpopKey ? { DPoP: dpopKey.handle(configuration) } : undefined,
      );
    } finally {
      adoptJwks(meta, configuration);
    }
    const claims = response.claims();
    if (!claims) throw new AuthError('identity_unverified', 'The provider did not return an ID token.');
    checkIdTokenClaims(claims, ctx.now(), config.clientId);
    checkAccessTokenHash(response.id_token, claims.at_hash, response.access_token);
    return tokenSetFrom(response, toUserClaims(claims), identityOf(claims), {}, ctx.now(), { dpopKey, log });
  }

  return {
    signIn,
    cancelSignIn,
    handleRedirect: (url) => processRedirect(url, false),
    inFlight: () => flow !== undefined,
    endFlow: () => endFlow(),
    forgetPersistedFlow,
    sweepPersistedFlow,
    reauthorize,
  };
}

/** The authorization response's parameters on the redirect URI exactly as the authorization request sent it. */
function responseAt(redirectUri: URL, received: URL): URL {
  const url = new URL(redirectUri.href);
  url.search = received.search;
  return url;
}

/** The authorization request's parameters with one `resource` parameter per indicator (RFC 8707 §2). */
function withResources(parameters: Record<string, string>, resources: readonly string[]): URLSearchParams {
  const query = new URLSearchParams(parameters);
  for (const resource of resources) query.append('resource', resource);
  return query;
}

/** Constant-time comparison of two protocol secrets. */
function sameSecret(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

/** The loopback listener could not start: most often a fixed port (one the provider compares exactly) is taken. */
function loopbackError(uri: URL, error: unknown): AuthError {
  const code = (error as { code?: unknown }).code;
  if (code === 'EADDRINUSE') {
    return new AuthError('redirect_port_in_use', `Port ${uri.port} on ${uri.hostname}, which the redirect URI ${uri.href} names, is in use by another program, so the sign-in response cannot be received. Close the program using it (or the other copy of this app), then try again.`, { cause: error });
  }
  return new AuthError('internal_error', `The app could not listen on ${uri.host} for the sign-in response. Try again.`, { cause: error });
}
