import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { vaultKey } from '../../../main/auth/pending-flow';
import { recordingVault } from '../../support/recording-vault';
import { assertNoLeaks, assertSecretEqual, assertSecretNotEqual } from '../../support/secret-assert';
import { waitFor } from '../../support/service-observers';
import { leaks, signInThroughBrowser, startHarness, type SignInHarness } from '../../support/sign-in-harness';
import { APP_IDENTITY } from '../../../main/app-identity';

/** Collects token endpoint responses as the core receives them, to prove where they do not go. */
function recordingFetch(bodies: string[]): typeof fetch {
  return (async (input: string | URL | Request, init?: RequestInit) => {
    const response = await fetch(input, init);
    if (String(input instanceof Request ? input.url : input).endsWith('/token')) bodies.push(await response.clone().text());
    return response;
  }) as typeof fetch;
}

/** True once nothing answers at `url` (the connection is refused, or hangs up). */
async function refused(url: URL): Promise<boolean> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(2000) });
    await response.arrayBuffer();
    return false;
  } catch {
    return true;
  }
}

function secretsIn(bodies: readonly string[]): string[] {
  return bodies.flatMap((body) => {
    const json = JSON.parse(body) as Record<string, unknown>;
    return ['access_token', 'id_token', 'refresh_token'].map((name) => json[name]).filter((v): v is string => typeof v === 'string');
  });
}

describe('sign-in through the system browser (custom scheme)', () => {
  let harness: SignInHarness;
  before(async () => {
    harness = await startHarness();
  });
  after(async () => {
    await harness.close();
  });

  it('signs in, keeps tokens out of session state, stores the refresh token in the keychain', async () => {
    const bodies: string[] = [];
    // The real keychain, watched: the refresh-token write and the pending-flow delete happen after the state change.
    const vault = recordingVault(harness.vault);
    const service = harness.service(undefined, { fetch: recordingFetch(bodies), vault });
    await service.auth.ready();
    harness.provider.resetRequests();
    const opened = service.nextOpened();
    await service.auth.signIn();
    assert.equal(harness.provider.requests.length, 0, 'no request between the click and the browser opening');
    assert.equal(service.auth.getSession().status, 'signing-in');

    const authorizeUrl = new URL(await opened);
    assert.equal(authorizeUrl.origin + authorizeUrl.pathname, `${harness.provider.issuer}/auth`);
    assert.equal(authorizeUrl.searchParams.get('code_challenge_method'), 'S256');
    assert.match(authorizeUrl.searchParams.get('code_challenge') ?? '', /^[A-Za-z0-9_-]{43}$/);
    assert.equal(authorizeUrl.searchParams.get('redirect_uri'), APP_IDENTITY.defaultRedirectUri);
    assert.equal(authorizeUrl.searchParams.get('response_type'), 'code');
    assert.equal(authorizeUrl.searchParams.get('scope'), 'openid profile email offline_access');
    assert.ok(authorizeUrl.searchParams.get('state'));
    assert.ok(authorizeUrl.searchParams.get('nonce'));
    assert.equal(authorizeUrl.searchParams.get('code_verifier'), null);

    const callback = await harness.browser.signIn(authorizeUrl.href, { redirectPrefix: `${APP_IDENTITY.urlScheme}:` });
    harness.provider.resetRequests();
    const beforeCallback = vault.calls.length;
    assert.equal(await service.auth.handleRedirect(callback), true);
    assert.deepEqual(harness.provider.requests.map((r) => `${r.method} ${r.path}`), ['POST /token'], 'only the token request after the redirect');

    const session = service.auth.getSession();
    assert.equal(session.status, 'signed-in');
    assert.equal(session.status === 'signed-in' && session.user.name, 'Dana Demo');
    assert.equal(session.status === 'signed-in' && session.user.email, 'dana@example.test');
    assert.equal(session.status === 'signed-in' && session.user.sub, 'demo-user-1');
    assert.ok(session.status === 'signed-in' && session.expiresAt > Date.now());
    assert.deepEqual(Object.keys(session).sort(), ['expiresAt', 'status', 'user']);

    const secrets = [...secretsIn(bodies), new URL(callback).searchParams.get('code') ?? ''];
    assert.equal(secrets.length, 4, 'access, ID and refresh tokens plus the code');
    assertNoLeaks(leaks(JSON.stringify(service.states), secrets), 'no secret in the emitted states');

    // The keychain operations follow the state change, in order: wait for each one the assertions are about.
    const refreshKey = vaultKey('refresh-token', harness.config());
    const pendingKey = vaultKey('pending-flow', harness.config());
    await vault.completed('set', refreshKey, 'the refresh token written to the keychain', { since: beforeCallback });
    const stored = await harness.vault.get(refreshKey);
    assert.ok(stored, 'the refresh token is in the OS keychain');
    const refreshToken = secretsIn(bodies).at(-1) as string;
    assertSecretEqual((JSON.parse(stored) as { refreshToken: string }).refreshToken, refreshToken, 'the refresh token in the keychain is the one issued');
    await vault.completed('delete', pendingKey, 'the spent pending flow deleted from the keychain', { since: beforeCallback });
    assert.equal(await harness.vault.get(pendingKey), null, 'the pending flow is single use');

    await service.auth.signOut();
    assert.equal(await harness.vault.get(vaultKey('refresh-token', harness.config())), null);
    assert.equal((await harness.provider.introspect(refreshToken)).active, false, 'the refresh token is revoked at the provider');
  });

  it('a replayed callback changes nothing: the user stays signed in', async () => {
    const service = harness.service();
    const callback = await signInThroughBrowser(harness, service);
    assert.equal(service.auth.getSession().status, 'signed-in');
    harness.provider.resetRequests();
    assert.equal(await service.auth.handleRedirect(callback), true);
    assert.equal(service.auth.getSession().status, 'signed-in');
    assert.equal(harness.provider.requests.length, 0, 'the code is never redeemed twice');
    await service.auth.signOut();
  });

  it('a second signIn ends the first: the first flow\'s callback is refused, the second completes', async () => {
    const service = harness.service();
    const firstOpened = service.nextOpened();
    await service.auth.signIn();
    const first = await firstOpened;
    const secondOpened = service.nextOpened();
    await service.auth.signIn();
    const second = await secondOpened;
    assertSecretNotEqual(new URL(first).searchParams.get('state'), new URL(second).searchParams.get('state'), 'each sign-in has its own state');

    const staleCallback = await harness.browser.signIn(first, { redirectPrefix: `${APP_IDENTITY.urlScheme}:` });
    harness.provider.resetRequests();
    const emitted = service.states.length;
    assert.equal(await service.auth.handleRedirect(staleCallback), true);
    // Issue 17 F4: the stale callback is refused without a word to the user; the second flow still waits.
    assert.equal(service.auth.getSession().status, 'signing-in');
    assert.equal(service.states.length, emitted, 'no state emitted: the signing-in screen stays');
    assert.equal(harness.provider.requests.length, 0, 'a dead flow\'s code is not exchanged');

    const callback = await harness.browser.signIn(second, { redirectPrefix: `${APP_IDENTITY.urlScheme}:` });
    assert.equal(await service.auth.handleRedirect(callback), true);
    assert.equal(service.auth.getSession().status, 'signed-in');
    await service.auth.signOut();
  });

  it('access_denied ends the flow with a clear error, and signing in again works', async () => {
    const service = harness.service();
    await signInThroughBrowser(harness, service, { action: 'cancel' });
    const denied = service.auth.getSession();
    assert.equal(denied.status, 'error');
    assert.equal(denied.status === 'error' && denied.error.code, 'authorization_denied');
    assert.match(denied.status === 'error' ? denied.error.message : '', /cancelled or refused/);
    await signInThroughBrowser(harness, service);
    assert.equal(service.auth.getSession().status, 'signed-in');
    await service.auth.signOut();
  });

  it('ignores URLs that are not its redirect, and reports a callback with no flow pending', async () => {
    const service = harness.service();
    assert.equal(await service.auth.handleRedirect('https://example.com/callback?code=a&state=b'), false);
    assert.equal(await service.auth.handleRedirect(`${APP_IDENTITY.urlScheme}:/elsewhere?code=a&state=b`), false);
    assert.equal(service.states.length, 0, 'nothing changed');
    assert.equal(await service.auth.handleRedirect(`${APP_IDENTITY.urlScheme}:/callback?code=a&state=b`), true);
    const state = service.auth.getSession();
    assert.equal(state.status === 'error' && state.error.code, 'no_pending_flow');
  });

  it('a redirect that cold-starts the app finishes the flow kept in the keychain, once', async () => {
    const vault = recordingVault(harness.vault);
    const first = harness.service(undefined, { vault });
    const opened = first.nextOpened();
    await first.auth.signIn();
    const authorizeUrl = await opened;
    // Let the background keychain write land, then "quit" the app.
    await vault.completed('set', vaultKey('pending-flow', harness.config()), 'the pending flow written to the keychain');
    first.auth.dispose();
    const callback = await harness.browser.signIn(authorizeUrl, { redirectPrefix: `${APP_IDENTITY.urlScheme}:` });

    const restarted = harness.service();
    assert.equal(await restarted.auth.handleRedirect(callback), true);
    assert.equal(restarted.auth.getSession().status, 'signed-in');
    assert.equal(await harness.vault.get(vaultKey('pending-flow', harness.config())), null);

    const again = harness.service();
    assert.equal(await again.auth.handleRedirect(callback), true);
    const replay = again.auth.getSession();
    assert.equal(replay.status === 'error' && replay.error.code, 'no_pending_flow');
    await restarted.auth.signOut();
  });
});

describe('sign-in through the system browser (loopback, RFC 8252 §7.3)', () => {
  let harness: SignInHarness;
  before(async () => {
    harness = await startHarness();
  });
  after(async () => {
    await harness.close();
  });

  it('listens on 127.0.0.1 for one flow, finishes the sign-in, tells the browser to close the tab, then stops listening', async () => {
    const service = harness.service(harness.config({ redirectUri: 'http://127.0.0.1/callback' }));
    const opened = service.nextOpened();
    await service.auth.signIn();
    const authorizeUrl = new URL(await opened);
    const redirectUri = new URL(authorizeUrl.searchParams.get('redirect_uri') ?? '');
    assert.equal(redirectUri.hostname, '127.0.0.1');
    assert.equal(redirectUri.pathname, '/callback');
    assert.ok(Number(redirectUri.port) > 0);

    const notFound = await fetch(new URL('/other', redirectUri));
    assert.equal(notFound.status, 404, 'other paths get 404');
    const html = await notFound.text();
    assert.doesNotMatch(html, /<script|<link|<img|src=/i);

    await harness.browser.signIn(authorizeUrl.href, { redirectPrefix: redirectUri.origin });
    assert.match(await harness.browser.lastPageText(), /You can close this tab/i);
    const session = service.auth.getSession();
    assert.equal(session.status, 'signed-in');
    assert.equal(session.status === 'signed-in' && session.user.name, 'Dana Demo');

    await waitFor(() => refused(new URL('/closed-yet', redirectUri)), 'the loopback listener to close after the callback');
    await assert.rejects(fetch(redirectUri, { signal: AbortSignal.timeout(2000) }), 'the listener is closed after the callback');
    await service.auth.signOut();
  });

  it('a cancelled flow closes its listener', async () => {
    const service = harness.service(harness.config({ redirectUri: 'http://127.0.0.1/callback' }));
    const opened = service.nextOpened();
    await service.auth.signIn();
    const redirectUri = new URL(new URL(await opened).searchParams.get('redirect_uri') ?? '');
    service.auth.cancelSignIn();
    assert.equal(service.auth.getSession().status, 'signed-out');
    await waitFor(() => refused(new URL('/closed-yet', redirectUri)), 'the loopback listener to close after the cancel');
    await assert.rejects(fetch(redirectUri, { signal: AbortSignal.timeout(2000) }));
  });
});
