/**
 * The client side of the adversarial tests: a real auth service pointed at
 * the hostile provider, with everything it could leak a secret into under
 * observation (the states it emits, its logger, its vault), plus the shared
 * "rejected, nothing kept, can sign in again" scenario every case runs.
 */
import assert from 'node:assert/strict';
import { recordOpenedUrls, waitFor } from './service-observers';
import { createAuthService, validateConfig, type AuthConfig, type AuthErrorCode, type AuthService, type SessionState } from '../../main/auth/index';
import type { AuthorizationRequest, HostileProvider, HostileScript } from './hostile-provider';
import { recordingVault, type RecordingVault } from './recording-vault';
import { assertNoLeaks } from './secret-assert';

export { recordingVault, type RecordingVault, type VaultRecord } from './recording-vault';

export const REDIRECT_URI = 'com.example.desktop:/callback';

export interface HostileClient {
  readonly auth: AuthService;
  readonly config: AuthConfig;
  readonly vault: RecordingVault;
  /** Every URL the core asked the OS to open. */
  readonly opened: string[];
  /** Every state the core emitted, in order. */
  readonly states: SessionState[];
  /** Every line the core logged, "level: message". */
  readonly logs: string[];
  /** Resolves with the next URL the core asks to open (or the oldest one not taken yet). */
  nextOpened(): Promise<string>;
}

export interface ClientOptions {
  readonly vault?: RecordingVault;
  readonly httpTimeoutMs?: number;
  readonly fetch?: typeof fetch;
  readonly now?: () => number;
  readonly config?: Record<string, unknown>;
}

export { waitFor, waitForState } from './service-observers';

export function configFor(provider: HostileProvider, overrides: Record<string, unknown> = {}): AuthConfig {
  return validateConfig({ issuer: provider.issuer, clientId: provider.clientId, redirectUri: REDIRECT_URI, endSessionInBrowser: false, ...overrides });
}

export function hostileClient(provider: HostileProvider, options: ClientOptions = {}): HostileClient {
  const urls = recordOpenedUrls();
  const states: SessionState[] = [];
  const logs: string[] = [];
  const vault = options.vault ?? recordingVault();
  const config = configFor(provider, options.config);
  const auth = createAuthService({
    config,
    vault,
    ...(options.fetch ? { fetch: options.fetch } : {}),
    ...(options.now ? { now: options.now } : {}),
    ...(options.httpTimeoutMs ? { httpTimeoutMs: options.httpTimeoutMs } : {}),
    logger: {
      info: (message) => logs.push(`info: ${message}`),
      warn: (message) => logs.push(`warn: ${message}`),
      error: (message) => logs.push(`error: ${message}`),
    },
    openExternal: urls.openExternal,
  });
  auth.onSessionChange((state) => states.push(state));
  return {
    auth,
    config,
    vault,
    opened: urls.opened,
    states,
    logs,
    nextOpened: urls.nextOpened,
  };
}

/** Clicks "Sign in" and lets the provider mint a code for the authorize URL the core opened. */
export async function beginSignIn(client: HostileClient, provider: HostileProvider): Promise<{ authorizeUrl: string; authorization: AuthorizationRequest }> {
  const opened = client.nextOpened();
  await client.auth.signIn();
  const authorizeUrl = await opened;
  return { authorizeUrl, authorization: provider.authorize(authorizeUrl) };
}

/** A complete, successful sign-in: authorize, callback, token exchange. */
export async function signInFully(client: HostileClient, provider: HostileProvider): Promise<AuthorizationRequest> {
  const { authorization } = await beginSignIn(client, provider);
  assert.equal(await client.auth.handleRedirect(authorization.callback), true, 'the core recognises its own callback');
  const session = client.auth.getSession();
  assert.equal(session.status, 'signed-in', `signed in (state is ${JSON.stringify(session)})`);
  return authorization;
}

export function errorOf(state: SessionState): { code: AuthErrorCode; message: string } | undefined {
  if (state.status === 'error') return state.error;
  if (state.status === 'signed-out') return state.error;
  return undefined;
}

/**
 * A message a user can read: a plain string of reasonable length, no
 * control characters (C0 or C1), nothing that looks like a library error or
 * a stack trace.
 */
export function assertUserMessage(message: unknown, context: string): void {
  assert.equal(typeof message, 'string', `${context}: the message is a string`);
  const text = message as string;
  assert.ok(text.length >= 20, `${context}: the message says something (${JSON.stringify(text)})`);
  assert.ok(text.length <= 700, `${context}: the message is capped (${text.length} characters)`);
  assert.doesNotMatch(text, /\p{Cc}/u, `${context}: no control characters in ${JSON.stringify(text)}`);
  assert.doesNotMatch(text, /OAUTH_|TypeError|SyntaxError|\bat \S+ \(|\[object |undefined|null\b/, `${context}: no library internals in ${JSON.stringify(text)}`);
}

/** Every secret found in `haystack`. */
export function leaksIn(haystack: string, secrets: readonly string[]): string[] {
  return secrets.filter((secret) => secret.length >= 8 && haystack.includes(secret));
}

/**
 * None of `secrets` appears in the states the client emitted, its logs, or
 * (unless `vault: false`) anything ever written to its vault.
 */
export async function assertNothingLeaked(client: HostileClient, secrets: readonly string[], where: { vault?: readonly string[] } = {}): Promise<void> {
  assert.ok(secrets.length > 0, 'there are secrets to look for');
  assertNoLeaks(leaksIn(JSON.stringify(client.states), secrets), 'no secret in the emitted session states');
  assertNoLeaks(leaksIn(JSON.stringify(client.auth.getSession()), secrets), 'no secret in the current session state');
  assertNoLeaks(leaksIn(client.logs.join('\n'), secrets), 'no secret in the logs');
  assertNoLeaks(leaksIn(await client.vault.everything(), where.vault ?? secrets), 'no secret written to the vault');
}

export interface RejectionCase {
  /** What the hostile provider does during the attempt. */
  readonly script?: HostileScript;
  /** The callback to hand the core; default: the provider's own success callback. */
  readonly callback?: (authorization: AuthorizationRequest, authorizeUrl: string, provider: HostileProvider) => string;
  /** Change the provider before the attempt (e.g. rotate keys); undone by nothing. */
  readonly before?: (provider: HostileProvider) => void;
  readonly code: AuthErrorCode;
  readonly message?: RegExp;
  /** How many token requests the attempt may send (default: 1 for a callback with the right state). */
  readonly tokenRequests?: number;
  readonly httpTimeoutMs?: number;
  /** Checks right after handleRedirect returned, before the verdict is asserted (e.g. how long it took). */
  readonly afterRedirect?: (provider: HostileProvider, elapsedMs: number) => void | Promise<void>;
  /** Extra checks right after the rejection, before the follow-up sign-in. */
  readonly afterRejection?: (provider: HostileProvider, client: HostileClient, callback: string) => void | Promise<void>;
  /**
   * True when the callback does not match the waiting flow (it did not carry
   * the flow's state, or could not be parsed): it is logged with `code` and
   * ignored, the signing-in screen stays (issue 17 F4), and the flow's own
   * callback still signs in.
   */
  readonly flowKept?: boolean;
}

/**
 * A callback that does not match the waiting flow: logged with its code, and
 * nothing else happens. No state is emitted (the signing-in screen stays), no
 * request is sent, nothing from it is kept; the flow's own callback then signs in.
 */
async function expectIgnoredWhileFlowWaits(
  provider: HostileProvider,
  client: HostileClient,
  scenario: RejectionCase,
  seen: { authorization: AuthorizationRequest; statesBefore: number; elapsedMs: number },
): Promise<RejectionOutcome> {
  assert.deepEqual(client.states.slice(seen.statesBefore), [], 'no state emitted: the signing-in screen stays');
  assert.equal(client.auth.getSession().status, 'signing-in');
  assert.ok(client.logs.includes(`warn: redirect refused: ${scenario.code}`), `the refusal is logged with its code (${scenario.code})`);
  assert.equal(provider.count('/token'), scenario.tokenRequests ?? 0, 'token requests sent for this callback');
  // The waiting flow's verifier and nonce are in the vault on purpose (a cold start finishes it); codes never are.
  const rejectedSecrets = provider.secrets().filter((s) => !provider.verifiers().includes(s) && !provider.nonces().includes(s));
  await assertNothingLeaked(client, rejectedSecrets);
  await client.vault.completed('set', (key) => key.startsWith('pending-flow:'), 'the pending flow written to the vault');
  // The flow survived: its genuine callback signs in.
  provider.resetRequests();
  assert.equal(await client.auth.handleRedirect(seen.authorization.callback), true);
  assert.equal(client.auth.getSession().status, 'signed-in', `the flow's own callback signs in (state is ${JSON.stringify(client.auth.getSession())})`);
  assert.equal(provider.exchanges.length, 1);
  await client.auth.signOut();
  return { client, error: { code: scenario.code, message: '' }, elapsedMs: seen.elapsedMs, rejectedSecrets };
}

export interface RejectionOutcome {
  readonly client: HostileClient;
  readonly error: { code: AuthErrorCode; message: string };
  /** Milliseconds handleRedirect took. */
  readonly elapsedMs: number;
  /** Secrets of the rejected attempt (codes, tokens, verifier, nonce). */
  readonly rejectedSecrets: string[];
}

/**
 * The scenario every hostile case runs:
 * 1. a sign-in whose provider misbehaves as scripted ends in a clear error
 *    state (stable code, a message a user understands);
 * 2. nothing from the rejected response is used or kept: no token in the
 *    states, the logs or the vault, no API call can be made with it;
 * 3. with the provider behaving again, the same client signs in normally, and
 *    its sign-out revokes only the new tokens (the rejected ones were never
 *    held).
 */
export async function expectRejectedSignIn(provider: HostileProvider, scenario: RejectionCase): Promise<RejectionOutcome> {
  provider.reset();
  const client = hostileClient(provider, scenario.httpTimeoutMs ? { httpTimeoutMs: scenario.httpTimeoutMs } : {});
  try {
    await client.auth.ready();
    scenario.before?.(provider);
    provider.script = scenario.script ?? {};
    const { authorizeUrl, authorization } = await beginSignIn(client, provider);
    const callback = scenario.callback ? scenario.callback(authorization, authorizeUrl, provider) : authorization.callback;
    provider.resetRequests();
    const beforeCallback = client.vault.calls.length;
    const statesBefore = client.states.length;
    const started = performance.now();
    assert.equal(await client.auth.handleRedirect(callback), true, 'the callback is recognised as ours');
    const elapsedMs = performance.now() - started;
    await scenario.afterRedirect?.(provider, elapsedMs);
    if (scenario.flowKept) return await expectIgnoredWhileFlowWaits(provider, client, scenario, { authorization, statesBefore, elapsedMs });

    const session = client.auth.getSession();
    assert.equal(session.status, 'error', `the sign-in ends in an error state (state is ${JSON.stringify(session)})`);
    const error = errorOf(session);
    assert.ok(error);
    assert.equal(error.code, scenario.code, `error code (message: ${error.message})`);
    assertUserMessage(error.message, scenario.code);
    if (scenario.message) assert.match(error.message, scenario.message);
    assert.deepEqual(Object.keys(session).sort(), ['error', 'status'], 'the error state carries nothing but the error');
    assert.deepEqual(Object.keys(error).sort(), ['code', 'message']);
    assert.equal(provider.count('/token'), scenario.tokenRequests ?? 1, 'token requests sent for this callback');
    for (const exchange of provider.exchanges) assert.equal(exchange.pkceValid, true, 'the code_verifier sent hashes to the challenge of the authorize URL (S256)');
    await scenario.afterRejection?.(provider, client, callback);

    // Nothing from the rejected response is kept: no token to call with, none in the vault.
    await assert.rejects(client.auth.getUserInfo(), (e: { code?: string }) => e.code === 'not_signed_in');
    assert.equal(provider.count('/userinfo'), 0, 'no access token was ever presented');
    assert.equal(client.vault.calls.filter((c) => c.op === 'set' && c.key.startsWith('refresh-token:')).length, 0, 'no refresh token was written to the vault');
    const rejectedSecrets = provider.secrets();
    // Verifier and nonce are kept in the vault on purpose while the flow is pending (a cold start finishes it); tokens and codes never are.
    const kept = new Set([...provider.verifiers(), ...provider.nonces()]);
    const vaultSecrets = rejectedSecrets.filter((s) => !kept.has(s));
    await assertNothingLeaked(client, rejectedSecrets, { vault: vaultSecrets });
    // The keychain copy of the flow is written, and deleted once spent, in the background: wait for
    // the operation the assertion is about, not for one queued before or beside it.
    const isPendingFlow = (key: string): boolean => key.startsWith('pending-flow:');
    if (scenario.flowKept) await client.vault.completed('set', isPendingFlow, 'the pending flow written to the vault');
    else await client.vault.completed('delete', isPendingFlow, 'the spent pending flow deleted from the vault', { since: beforeCallback });
    const held = [...(await client.vault.contents()).keys()];
    if (scenario.flowKept) {
      assert.deepEqual(held.map((k) => k.split(':')[0]), ['pending-flow'], 'only the still-pending flow is in the vault');
    } else {
      assert.deepEqual(held, [], 'the vault holds nothing after the rejected attempt (the pending flow was single use)');
    }

    // The app recovers: the same client, the provider behaving, a normal sign-in.
    provider.reset();
    await signInFully(client, provider);
    assert.equal(provider.exchanges.length, 1);
    assert.equal(provider.exchanges[0]?.pkceValid, true);
    // Wait for what is asserted: the vault holding the refresh token alone (the pending flow's delete is queued after that write).
    await waitFor(async () => {
      const keys = [...(await client.vault.contents()).keys()];
      return keys.length === 1 && keys[0]?.startsWith('refresh-token:') === true;
    }, 'the new refresh token, alone, in the vault');
    const stored = [...(await client.vault.contents()).values()].join('\n');
    assert.ok(/hostile-rt-/.test(stored), 'positive control: the follow-up refresh token IS in the vault');
    await assertNothingLeaked(client, rejectedSecrets, { vault: vaultSecrets });
    provider.resetRequests();
    await client.auth.signOut();
    const revoked = provider.requests.filter((r) => r.path === '/revoke').map((r) => r.form.get('token') ?? '');
    assert.equal(revoked.length, 2, 'sign-out revokes the refresh and the access token');
    assertNoLeaks(leaksIn(revoked.join('\n'), rejectedSecrets), 'the tokens of the rejected response were never held: sign-out does not know them');
    return { client, error, elapsedMs, rejectedSecrets };
  } finally {
    client.auth.dispose();
    provider.reset();
  }
}
