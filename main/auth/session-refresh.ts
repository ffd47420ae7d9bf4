import * as oidc from 'openid-client';
import type { AuthContext } from './auth-context';
import { checkAccessTokenHash } from './at-hash';
import { DpopKey } from './dpop-key';
import { AuthError } from './errors';
import { checkIdTokenClaims, checkRefreshedIdToken, identityOf, type IdentityClaims } from './id-token-checks';
import { setLongTimeout, type LongTimer } from './long-timer';
import { toAuthError } from './protocol-errors';
import { adoptJwks, clientConfiguration, provisionalMetadata, sameTokenEndpoint, type ProviderMetadata } from './provider-metadata';
import { redactText } from './redact';
import { classifyRefreshFailure, renewalRefusedMessage, type RefreshOutcome, type TokenEndpointAnswer } from './refresh-outcome';
import { backoffDelay, refreshDueAt } from './refresh-schedule';
import { toUserClaims, withKnownDisplayClaims, type SessionError, type UserClaims } from './session-state';
import { clearStoredSession, MAX_SUPERSEDED, readStoredSession, storedMetadataOf, writeStoredSession, type StoredSession } from './stored-session';
import { tokenSetFrom } from './token-response';
import type { TokenSet } from './token-set';

export interface SessionRefresh {
  /** Makes `next` the session: state first (what the user waits for), then the keychain. */
  establish(next: TokenSet, warning?: SessionError): void;
  /**
   * Makes `next`, from a new sign-in, the session. A session kept in the
   * keychain until now (restore waiting, or failed for now) is replaced once
   * the new one is stored, and its refresh token revoked then, never before.
   */
  establishNewGrant(next: TokenSet): void;
  /**
   * Single flight: concurrent callers share one refresh request (of the
   * current session only). Resolves undefined, sending nothing, while the
   * provider has asked us to wait (Retry-After).
   */
  refreshSession(): Promise<TokenSet | undefined>;
  restore(): Promise<void>;
  resume(): void;
  stopRefreshing(): void;
  /**
   * Display claims (from userinfo) for the signed-in user: the ones the
   * session lacks are added, shown, and kept in the keychain record. Ignored
   * for another subject or when no session is signed in.
   */
  adoptDisplayClaims(user: UserClaims): void;
  /** Why the provider refused to renew the current session for good, while its access token lasts; undefined otherwise. */
  renewalRefused(): SessionError | undefined;
  /**
   * Runs `use` with the session's tokens while no other request uses the
   * refresh token (a session refresh, another API's token request, a
   * re-authorization's adoption): with rotation, two requests with one
   * refresh token would make the provider see a replay and revoke the grant.
   * @throws AuthError `not_signed_in` when there is no session with a refresh token.
   */
  withRefreshToken<T>(use: (tokens: TokenSet) => Promise<T>): Promise<T>;
  /**
   * After a token request for one API made with `sentWith`'s refresh token
   * (inside {@link withRefreshToken}): a rotated refresh token replaces the
   * kept one exactly as a session refresh's does (memory, then keychain);
   * if the session was left meanwhile it is kept in the record or revoked.
   * @param idToken an ID token the answer carried, already checked (OIDC Core §12.2).
   */
  adoptRotatedRefreshToken(sentWith: TokenSet, refreshToken: string, idToken: string | undefined): void;
  /**
   * A new grant for the same user from a browser round-trip while signed in
   * (incremental consent): it becomes the session, the state stays
   * signed-in, and the refresh token it replaces is revoked once the new
   * record is written. Runs after any request using the old refresh token.
   */
  adoptReauthorization(next: TokenSet): Promise<void>;
  /** Ends the session because an answer for it cannot be trusted (another user's ID token); the keychain keeps the record. */
  endUntrusted(error: AuthError): Promise<void>;
  /**
   * Keeps a refresh token of this session's user that the app no longer
   * uses but must not revoke yet (a step-up's): it is revoked when the
   * session ends, with the others adoptReauthorization sets aside.
   */
  setAside(refreshToken: string): void;
  /** The refresh tokens set aside for this session (see adoptReauthorization), handed over once, for revocation at sign-out. */
  takeSuperseded(): string[];
}

/** What the rest of the core hears from the session. */
export interface SessionHooks {
  /** A session began (sign-in or restore), with these tokens. Called after the state change. */
  established?(tokens: TokenSet): void;
}

const RESTORE_OFFLINE_MESSAGE = 'The sign-in provider could not be reached (you may be offline, or it asked the app to wait); your session is kept and the app will retry by itself. You can also sign in again.';

/**
 * The session after sign-in: proactive refresh (RFC 6749 §6) before the
 * access token expires, the refresh token kept in the keychain, the silent
 * restore at start-up, and the end of a session whose grant the provider
 * says is dead. Anything short of that (refresh-outcome.ts) keeps the
 * session and retries with backoff.
 */
export function createSessionRefresh(ctx: AuthContext, hooks: SessionHooks = {}): SessionRefresh {
  const { config, vault, log } = ctx;
  let refreshing: { readonly generation: number; readonly promise: Promise<TokenSet | undefined> } | undefined;
  let refreshTimer: LongTimer | undefined;
  let retryAttempt = 0;
  /** Epoch ms before which no refresh request is sent (the provider's Retry-After). */
  let notBefore = 0;
  /**
   * The provider refused to renew these tokens for good (refresh-outcome.ts,
   * `refused`): no refresh is sent for them again, and the session ends with
   * `reason` once the access token has expired.
   */
  let refusal: { readonly tokens: TokenSet; readonly reason: SessionError; readonly cause: AuthError } | undefined;
  /**
   * Refresh tokens of this session's earlier grants (replaced by a consent round-trip for the same user),
   * kept with the session and revoked when it ends, never at the replacement: a provider may extend the
   * same grant for the same user and browser session and revoke grant-wide (oidc-provider does both,
   * measured: revoking the replaced token ended the new session), RFC 7009 §2.1 allows that.
   */
  let superseded: readonly string[] = [];
  /** Every request that uses the refresh token runs after the one before it (see withRefreshToken). */
  let refreshTokenInUse: Promise<unknown> = Promise.resolve();

  function oneUseAtATime<T>(work: () => Promise<T>): Promise<T> {
    const run = refreshTokenInUse.then(work);
    refreshTokenInUse = run.catch(() => undefined);
    return run;
  }

  function establish(next: TokenSet, warning?: SessionError, rewriteRecord = false, newGrant = false): void {
    const previous = ctx.tokens;
    const previousRefreshToken = previous?.refreshToken;
    ctx.tokens = next;
    retryAttempt = 0;
    notBefore = 0;
    refusal = undefined;
    ctx.setState({ status: 'signed-in', user: next.user, expiresAt: next.expiresAt, ...(warning ? { warning } : {}) });
    if (!previous) hooks.established?.(next);
    scheduleRefresh();
    if (newGrant) {
      const setAside = superseded;
      superseded = [];
      void replaceKeptSession(next, setAside);
    }
    else if (next.refreshToken && (rewriteRecord || next.refreshToken !== previousRefreshToken)) void persistRefreshToken(next);
  }

  /**
   * Adds refresh tokens to those set aside for this session (revoked when it
   * ends). Past MAX_SUPERSEDED the oldest is revoked now rather than dropped:
   * nothing this app received is ever forgotten unrevoked.
   */
  function setAsideTokens(tokens: readonly string[], inUse: string | undefined = ctx.tokens?.refreshToken): void {
    const merged = [...superseded, ...tokens].filter((token, index, all) => token !== inUse && all.indexOf(token) === index);
    const overflow = merged.slice(0, Math.max(0, merged.length - MAX_SUPERSEDED));
    superseded = merged.slice(overflow.length);
    for (const token of overflow) ctx.retirement.retire({ refreshToken: token }, 'the oldest of the set-aside grants (more than the record keeps)');
  }

  /**
   * The keychain record of a new sign-in's session, written before anything
   * is revoked (a failed write keeps the old session for the next start).
   *
   * What it replaces: for another user, another grant, revoked at once. For
   * the same user, set aside with the new session and revoked when that ends
   * (sign-out, a dead grant, a sign-in of someone else): a provider may have
   * extended the same grant for the same user and browser session and revoke
   * grant-wide (RFC 7009 §2.1 allows it; oidc-provider does both, so revoking
   * the replaced token at once ended the new session). A sign-in without a
   * refresh token leaves no record to keep them in, so they are revoked.
   */
  async function replaceKeptSession(next: TokenSet, setAside: readonly string[]): Promise<void> {
    let replaced: StoredSession | undefined;
    if (next.refreshToken) {
      await persistRefreshToken(next, (previous) => {
        replaced = previous;
      });
    } else {
      await ctx
        .inVaultOrder(async () => {
          replaced = await readStoredSession(vault, config).catch(() => undefined);
          await clearStoredSession(vault, config);
        })
        .catch((error: unknown) => log.warn(`keychain delete failed: ${redactText(String(error))}`));
    }
    const earlier = [...(replaced?.refreshToken ? [replaced.refreshToken] : []), ...setAside, ...(replaced?.superseded ?? [])].filter(
      (token, index, all) => token !== next.refreshToken && all.indexOf(token) === index,
    );
    if (earlier.length === 0) return;
    const sameUser = replaced === undefined || replaced.user.sub === next.user.sub;
    if (sameUser && next.refreshToken && ctx.tokens === next) {
      setAsideTokens(earlier);
      log.info(`a new sign-in of the same user: ${earlier.length} earlier refresh token(s) set aside, revoked when this session ends`);
      await persistRefreshToken(next);
      return;
    }
    for (const token of earlier) ctx.retirement.retire({ refreshToken: token }, 'the kept session a new sign-in replaced');
  }

  /**
   * A refresh answered after its session was left (signed out, replaced by a
   * sign-in under way, the service disposed). Where the keychain record still
   * holds the refresh token it was sent with, the rotated one takes its place
   * (the record stays usable: a sign-in under way may yet fail); anywhere
   * else nothing tracks the answer any more, so it is revoked.
   */
  async function keepOrRetire(late: TokenSet, sentWith: string): Promise<void> {
    let kept = false;
    try {
      kept = await ctx.inVaultOrder(async () => {
        const record = await readStoredSession(vault, config);
        if (record?.refreshToken !== sentWith) return false;
        if (late.refreshToken && late.refreshToken !== sentWith) await writeStoredSession(vault, config, { ...record, refreshToken: late.refreshToken });
        return true;
      });
    } catch (error) {
      log.warn(`keychain update of a late refresh failed: ${redactText(String(error))}`);
    }
    if (!kept) ctx.retirement.retire(late, 'a refresh answered after its session was left');
  }

  /** @param replacing called, inside the keychain operation and after the write, with the record held before. */
  async function persistRefreshToken(saved: TokenSet, replacing?: (previous: StoredSession | undefined) => void): Promise<void> {
    const metadata = ctx.discovered ? storedMetadataOf(ctx.discovered.server as unknown as Record<string, unknown>) : undefined;
    const record: StoredSession = {
      refreshToken: saved.refreshToken as string,
      user: saved.user,
      ...(saved.identity ? { identity: saved.identity } : {}),
      ...(metadata ? { metadata } : {}),
      // The ID token is kept only where sign-out sends it as the logout hint (config.logoutHint).
      ...(config.logoutHint === 'id_token_hint' && saved.idToken ? { idToken: saved.idToken } : {}),
      // The refresh token is bound to this key (RFC 9449 §5): without it a restart could not refresh.
      ...(saved.dpopKey ? { dpop: saved.dpopKey.toStored() } : {}),
      ...(superseded.length > 0 ? { superseded } : {}),
    };
    try {
      await ctx.inVaultOrder(async () => {
        const previous = replacing ? await readStoredSession(vault, config).catch(() => undefined) : undefined;
        await writeStoredSession(vault, config, record);
        replacing?.(previous);
      });
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
    refreshTimer?.cancel();
    refreshTimer = undefined;
  }

  function arm(callback: () => void, delayMs: number): void {
    stopRefreshing();
    if (ctx.disposed) return;
    const timer = setLongTimeout(() => {
      if (refreshTimer === timer) refreshTimer = undefined;
      callback();
    }, delayMs);
    refreshTimer = timer;
  }

  function scheduleRefresh(): void {
    const tokens = ctx.tokens;
    if (!tokens?.refreshToken) {
      stopRefreshing();
      return;
    }
    const dueAt = Math.max(refreshDueAt(tokens.issuedAt, tokens.expiresAt), notBefore);
    arm(() => void refreshSession(), dueAt - ctx.now());
  }

  function refreshSession(stored?: StoredSession): Promise<TokenSet | undefined> {
    if (refreshing?.generation === ctx.generation) return refreshing.promise;
    if (!stored && refusal && refusal.tokens === ctx.tokens) {
      // Refused for good: asking again would get the same answer. The session lasts while its access token does.
      void endRefusedSessionIfExpired();
      return Promise.resolve(undefined);
    }
    if (ctx.now() < notBefore) {
      // The provider asked us to wait (Retry-After): nothing is sent now. Unless a retry is
      // already planned (a timer may also fire a hair early), plan one for when the wait is over.
      if (!refreshTimer) arm(() => void (stored ? restoreWith(stored) : refreshSession()), notBefore - ctx.now());
      return Promise.resolve(undefined);
    }
    const promise = oneUseAtATime(() => runRefresh(stored)).finally(() => {
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
    const identity = stored ? stored.identity : current?.identity;
    const previousIdToken = stored ? stored.idToken : current?.idToken;
    const mine = ctx.generation;
    stopRefreshing();
    let dpopKey: DpopKey | undefined;
    try {
      dpopKey = stored ? (stored.dpop ? await DpopKey.restore(stored.dpop) : undefined) : current?.dpopKey;
    } catch (error) {
      // The refresh token is bound to a key this build cannot read back (damaged, or a newer build's
      // algorithm). Nothing from the provider says the grant is dead, so the keychain keeps it.
      if (mine === ctx.generation) {
        await endSession({ code: 'session_ended', message: 'Your session could not be resumed on this computer; please sign in again.' }, toAuthError(error, 'refresh'), false);
      }
      return undefined;
    }
    const attempt = await refreshAtProvider(refreshToken, user, identity, previousIdToken, stored, dpopKey);
    if (mine !== ctx.generation) {
      if (attempt.ok) void keepOrRetire(attempt.tokens, refreshToken);
      return undefined;
    }
    if (attempt.ok) {
      const state = ctx.state;
      // A version 1 record (or one without what a restart needs) is rewritten in the current version.
      establish(attempt.tokens, state.status === 'signed-in' ? state.warning : undefined, stored !== undefined && (!stored.identity || !stored.metadata));
      return attempt.tokens;
    }
    const { error, outcome } = attempt;
    if (outcome.kind === 'refused') {
      const reason: SessionError = { code: 'session_ended', message: renewalRefusedMessage(outcome, [refreshToken, previousIdToken ?? '', ...ctx.sessionSecrets()]) };
      log.warn(`refresh refused by the provider (${outcome.error}); no retry`);
      if (stored || !current) {
        // The refresh token stays in the keychain: the provider's answer refuses this request, it does not
        // say the grant is dead (RFC 6749 §5.2 keeps that for invalid_grant), and a refresh token valid at
        // the provider is never dropped unrevoked. A new sign-in replaces the record; a restart asks once more.
        await endSession(reason, error, false);
        return undefined;
      }
      // Display claims may have arrived while the request was out: the session's tokens now.
      const live = ctx.tokens ?? current;
      refusal = { tokens: live, reason, cause: error };
      if (ctx.now() >= live.expiresAt) await endSession(reason, error, false);
      else arm(() => void endRefusedSessionIfExpired(), live.expiresAt - ctx.now());
      return undefined;
    }
    if (outcome.kind === 'grant-dead') {
      await endSession({ code: 'session_ended', message: 'Your session ended; please sign in again.' }, error, true);
      return undefined;
    }
    if (error.code === 'identity_unverified') {
      // The answer itself is untrustworthy (another user, a changed identity): the session ends here,
      // but nothing says the grant is dead, so the keychain keeps it. A refresh token that answer
      // issued is never used: it is revoked rather than dropped.
      if (attempt.unusedRefreshToken) ctx.retirement.retire({ refreshToken: attempt.unusedRefreshToken }, 'a refresh answer refused as identity_unverified');
      await endSession({ code: error.code, message: error.message }, error, false);
      return undefined;
    }
    retryLater(outcome, error, stored);
    return undefined;
  }

  /**
   * Keeps the session and tries again later: capped exponential backoff with
   * jitter, never sooner than the provider's Retry-After (RFC 9110 §10.2.3).
   */
  function retryLater(outcome: RefreshOutcome & { kind: 'transient' }, error: AuthError, stored: StoredSession | undefined): void {
    const retryAfterMs = outcome.retryAfterMs ?? 0;
    const delay = Math.max(backoffDelay(retryAttempt), retryAfterMs);
    retryAttempt += 1;
    notBefore = ctx.now() + retryAfterMs;
    log.warn(`refresh failed (${error.code}: ${outcome.reason}); retrying in ${Math.round(delay / 1000)} s`);
    const state = ctx.state;
    if (state.status === 'signed-in') ctx.setState({ ...state, stale: true });
    else if (stored) ctx.setState({ status: 'restoring', retry: { code: error.code, message: RESTORE_OFFLINE_MESSAGE, retryAt: ctx.now() + delay } });
    arm(() => void (stored ? restoreWith(stored) : refreshSession()), delay);
  }

  type Attempt =
    | { readonly ok: true; readonly tokens: TokenSet }
    | {
        readonly ok: false;
        readonly error: AuthError;
        readonly outcome: RefreshOutcome;
        /** A new refresh token the provider issued in a 2xx the core refused (e.g. another user's ID token): not used. */
        readonly unusedRefreshToken?: string;
      };

  /**
   * One refresh at the provider. At start-up, with the provider metadata from
   * the keychain record, the request leaves at once, beside discovery and the
   * keys (one round trip); discovery must then name the same token endpoint,
   * or the answer is dropped and the refresh goes to the discovered one.
   */
  async function refreshAtProvider(refreshToken: string, user: UserClaims, identity: IdentityClaims | undefined, previousIdToken: string | undefined, stored: StoredSession | undefined, dpopKey: DpopKey | undefined): Promise<Attempt> {
    if (!stored?.metadata || ctx.discovered) {
      let meta: ProviderMetadata;
      try {
        meta = await ctx.provider();
      } catch (error) {
        return { ok: false, error: toAuthError(error, 'refresh'), outcome: { kind: 'transient', reason: 'discovery failed' } };
      }
      return refreshWith(meta, refreshToken, user, identity, previousIdToken, dpopKey);
    }
    const provisional = provisionalMetadata(stored.metadata, ctx.deps);
    const discovery = ctx.provider(provisional).then(
      (meta) => meta,
      () => undefined,
    );
    const early = await refreshWith(provisional, refreshToken, user, identity, previousIdToken, dpopKey);
    const discovered = await discovery;
    if (!discovered) {
      // Discovery failed: a success from the endpoint kept with the token is kept (the
      // refresh token may have rotated); a failure from an unconfirmed endpoint decides nothing.
      return early.ok ? early : { ...early, outcome: { kind: 'transient', reason: 'discovery failed' } };
    }
    if (sameTokenEndpoint(discovered, provisional)) return early;
    log.warn('the provider\'s discovery names another token endpoint than the one kept with the session; its answer is dropped and the refresh goes to the discovered one');
    // The kept endpoint may have rotated the refresh token: the old one would now be refused (and,
    // with reuse detection, revoke the grant), so the discovered endpoint gets the rotated one.
    const current = early.ok ? (early.tokens.refreshToken ?? refreshToken) : refreshToken;
    return refreshWith(discovered, current, user, identity, previousIdToken, dpopKey);
  }

  /** @param dpopKey the key the refresh token is bound to (RFC 9449 §5): each request carries its proof. */
  async function refreshWith(meta: ProviderMetadata, refreshToken: string, user: UserClaims, identity: IdentityClaims | undefined, previousIdToken: string | undefined, dpopKey: DpopKey | undefined): Promise<Attempt> {
    let answer: TokenEndpointAnswer | undefined;
    let answerBody: Promise<string> | undefined;
    const tokenEndpoint = meta.server.token_endpoint;
    const configuration = clientConfiguration(meta, config, ctx.deps, (url, response) => {
      if (url !== tokenEndpoint) return;
      answer = { status: response.status, headers: response.headers, body: '' };
      answerBody = response
        .clone()
        .text()
        .catch(() => '');
    });
    try {
      let response: oidc.TokenEndpointResponse & oidc.TokenEndpointResponseHelpers;
      try {
        response = await oidc.refreshTokenGrant(configuration, refreshToken, undefined, dpopKey ? { DPoP: dpopKey.handle(configuration) } : undefined);
      } finally {
        adoptJwks(meta, configuration);
      }
      const claims = response.claims();
      if (claims) {
        checkIdTokenClaims(claims, ctx.now(), config.clientId);
        if (identity) checkRefreshedIdToken(claims, identity);
        else if (claims.sub !== user.sub) throw new AuthError('identity_unverified', 'The provider returned an ID token for a different user; the session was ended.');
        checkAccessTokenHash(response.id_token, claims.at_hash, response.access_token);
      }
      // A refreshed ID token may lack the display claims the session has (userinfo gave them, OIDC Core §5.4).
      const tokens = tokenSetFrom(response, claims ? withKnownDisplayClaims(toUserClaims(claims), user) : user, identity ?? (claims ? identityOf(claims) : undefined), { refreshToken, idToken: previousIdToken }, ctx.now(), { dpopKey, log });
      return { ok: true, tokens };
    } catch (error) {
      const authError = toAuthError(error, 'refresh', [refreshToken, previousIdToken ?? '', ...ctx.sessionSecrets()]);
      if (answer && answerBody) answer = { ...answer, body: await answerBody };
      // A 2xx whose content could not be used is not an error response: it never ends the grant.
      const success = answer !== undefined && answer.status >= 200 && answer.status < 300;
      const outcome: RefreshOutcome = success ? { kind: 'transient', reason: `unusable HTTP ${answer?.status} response` } : classifyRefreshFailure(answer, ctx.now());
      const issued = success ? issuedRefreshToken(answer?.body ?? '') : undefined;
      return { ok: false, error: authError, outcome, ...(issued !== undefined && issued !== refreshToken ? { unusedRefreshToken: issued } : {}) };
    }
  }

  /**
   * Ends the session in memory and tells the user why.
   * @param clearKeychain only when the provider said the grant is dead.
   */
  async function endSession(reason: SessionError, cause: AuthError, clearKeychain: boolean): Promise<void> {
    log.warn(`session ended: ${cause.code}`);
    ctx.generation += 1;
    stopRefreshing();
    ctx.tokens = undefined;
    ctx.setState({ status: 'signed-out', error: reason });
    if (!clearKeychain) return;
    // The session's grant is dead; tokens of its earlier grants may not be.
    for (const token of superseded) ctx.retirement.retire({ refreshToken: token }, 'an earlier grant of a session that ended');
    superseded = [];
    await ctx.inVaultOrder(() => clearStoredSession(vault, config)).catch((error: unknown) => log.warn(`keychain delete failed: ${redactText(String(error))}`));
  }

  async function restore(): Promise<void> {
    if (ctx.disposed || ctx.state.status !== 'signed-out') return;
    // A sign-out or sign-in while the keychain is read wins over what the read returns.
    const mine = ctx.generation;
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
    if (!stored || mine !== ctx.generation || ctx.state.status !== 'signed-out') return;
    await restoreWith(stored);
  }

  async function restoreWith(stored: StoredSession): Promise<void> {
    const status = ctx.state.status;
    if (status === 'signed-in' || status === 'signing-in') return;
    superseded = stored.superseded ?? [];
    if (status !== 'restoring') ctx.setState({ status: 'restoring' });
    const mine = ctx.generation;
    await refreshSession(stored);
    if (mine === ctx.generation && ctx.state.status === 'restoring' && !refreshTimer) ctx.setState({ status: 'signed-out' });
  }

  /** Ends a session whose renewal the provider refused, once its access token has expired; before that, plans to. */
  async function endRefusedSessionIfExpired(): Promise<void> {
    const refused = refusal;
    if (!refused || refused.tokens !== ctx.tokens) return;
    const left = refused.tokens.expiresAt - ctx.now();
    if (left > 0) {
      if (!refreshTimer) arm(() => void endRefusedSessionIfExpired(), left);
      return;
    }
    refusal = undefined;
    // The keychain keeps the refresh token until a new sign-in replaces it (see runRefresh).
    await endSession(refused.reason, refused.cause, false);
  }

  function adoptDisplayClaims(claims: UserClaims): void {
    const current = ctx.tokens;
    const state = ctx.state;
    if (!current || state.status !== 'signed-in' || current.user.sub !== claims.sub) return;
    const user = withKnownDisplayClaims(current.user, claims);
    if (user.name === current.user.name && user.email === current.user.email && user.picture === current.user.picture) return;
    const next = current.withUser(user);
    ctx.tokens = next;
    if (refusal?.tokens === current) refusal = { ...refusal, tokens: next };
    ctx.setState({ ...state, user });
    if (next.refreshToken) void persistRefreshToken(next);
  }

  function resume(): void {
    const tokens = ctx.tokens;
    if (refusal && refusal.tokens === tokens) {
      void endRefusedSessionIfExpired();
      return;
    }
    if (!tokens?.refreshToken) return;
    // Timers do not run during sleep; re-plan from the wall clock.
    const dueAt = Math.max(refreshDueAt(tokens.issuedAt, tokens.expiresAt), notBefore);
    if (ctx.now() >= dueAt) void refreshSession();
    else scheduleRefresh();
  }

  return {
    establish: (next, warning) => establish(next, warning),
    establishNewGrant: (next) => establish(next, undefined, false, true),
    refreshSession: () => refreshSession(),
    restore,
    resume,
    stopRefreshing,
    adoptDisplayClaims,
    renewalRefused: () => (refusal && refusal.tokens === ctx.tokens ? refusal.reason : undefined),
    withRefreshToken(use) {
      return oneUseAtATime(() => {
        const tokens = ctx.tokens;
        if (!tokens?.refreshToken) return Promise.reject(new AuthError('not_signed_in', 'You are not signed in (or the session has no refresh token to get a token for this API).'));
        return use(tokens);
      });
    },
    adoptRotatedRefreshToken(sentWith, refreshToken, idToken) {
      const current = ctx.tokens;
      if (current && current.refreshToken === sentWith.refreshToken) {
        if (refreshToken === current.refreshToken && idToken === undefined) return;
        const state = ctx.state;
        establish(current.withRotatedRefreshToken(refreshToken, idToken), state.status === 'signed-in' ? state.warning : undefined);
        return;
      }
      if (sentWith.refreshToken && refreshToken !== sentWith.refreshToken) void keepOrRetire(sentWith.withRotatedRefreshToken(refreshToken, undefined), sentWith.refreshToken);
    },
    adoptReauthorization(next) {
      return oneUseAtATime(async () => {
        const state = ctx.state;
        const replaced = ctx.tokens?.refreshToken;
        if (replaced && replaced !== next.refreshToken) setAsideTokens([replaced], next.refreshToken);
        // The record is rewritten: a new refresh token, the new ID token's identity, the tokens set aside.
        establish(next, state.status === 'signed-in' ? state.warning : undefined, true);
      });
    },
    setAside(refreshToken) {
      if (refreshToken === ctx.tokens?.refreshToken || superseded.includes(refreshToken)) return;
      setAsideTokens([refreshToken]);
      const current = ctx.tokens;
      if (current?.refreshToken) void persistRefreshToken(current);
    },
    takeSuperseded() {
      const taken = [...superseded];
      superseded = [];
      return taken;
    },
    async endUntrusted(error) {
      await endSession({ code: error.code, message: error.message }, error, false);
    },
  };
}

/** The refresh_token of a token response body (RFC 6749 §5.1), or undefined when it has none or is not JSON. */
function issuedRefreshToken(body: string): string | undefined {
  try {
    const parsed: unknown = JSON.parse(body);
    const token = typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, unknown>)['refresh_token'] : undefined;
    return typeof token === 'string' && token !== '' ? token : undefined;
  } catch {
    return undefined;
  }
}
