/**
 * The session against glewlwyd 2.7.5: restore after a restart with
 * refresh-token rotation, sign-out (glewlwyd refuses revocation for public
 * clients), RP-initiated logout. One glewlwyd for the file.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startGlewlwyd, type Glewlwyd } from '../../support/glewlwyd';
import { createAppHarness, tokenRequests, type AppHarness } from '../../support/glewlwyd/app-harness';
import { requestWithJar, type CookieJar } from '../../support/glewlwyd/http';
import { GLEWLWYD_ONLY_ON_LINUX } from '../../support/platform-parts';

/** What glewlwyd makes of an end-session URL, asked with the user's session cookie (as the browser would). */
async function followEndSession(url: string, jar: CookieJar): Promise<{ status: number; location: URL | undefined }> {
  const response = await requestWithJar(jar, url);
  const location = response.headers.get('location');
  return { status: response.status, location: location ? new URL(location, url) : undefined };
}

/**
 * Where glewlwyd's logout page will send the browser when done: it returns to
 * `callback_url` only when `post_redirect_to` is set, which glewlwyd does only
 * for an end-session request with `state`.
 */
function returnTarget(location: URL | undefined): string | undefined {
  if (!location || location.searchParams.get('prompt') !== 'end_session') return undefined;
  return location.searchParams.get('post_redirect_to') ? (location.searchParams.get('callback_url') ?? undefined) : undefined;
}

describe('the session against glewlwyd', { skip: GLEWLWYD_ONLY_ON_LINUX }, () => {
  let provider: Glewlwyd;
  let app: AppHarness;
  before(async () => {
    provider = await startGlewlwyd();
    app = createAppHarness(provider);
  });
  after(async () => {
    app?.dispose();
    await provider?.close();
  });

  it('restores after a restart (new service, same keychain) with one refresh; the rotated token is stored and the old one refused', async () => {
    const first = app.service();
    await app.signIn(first);
    await app.vault.quiet();
    const original = first.issued('refresh_token')[0] as string;
    assert.ok((await app.storedSession())?.includes(original), 'the first refresh token is in the keychain');
    first.auth.dispose();

    const restarted = app.service();
    await restarted.auth.restore();
    assert.deepEqual(restarted.states.map((s) => s.status), ['restoring', 'signed-in']);
    const state = restarted.auth.getSession();
    assert.equal(state.status === 'signed-in' && state.user.name, 'Dana Demo');
    assert.equal(restarted.opened.length, 0, 'no browser');
    assert.equal(tokenRequests(restarted), 1, 'one refresh request');
    const rotated = restarted.issued('refresh_token');
    assert.equal(rotated.length, 1, 'glewlwyd rotated the refresh token');
    assert.notEqual(rotated[0] === original, true, 'a new refresh token');
    assert.equal(restarted.issued('id_token').length, 0, 'glewlwyd\'s refresh response carries no ID token');

    await app.vault.quiet();
    const stored = await app.storedSession();
    assert.ok(stored?.includes(rotated[0] as string), 'the rotated refresh token replaced the old one in the keychain');
    assert.ok(!stored?.includes(original), 'the old refresh token is gone from the keychain');

    // Last: glewlwyd treats reuse of a rotated token as theft and kills the newer one too.
    const replay = await provider.refreshDirect(original);
    assert.equal(replay.status, 400, 'glewlwyd refuses the rotated-away refresh token');
    assert.equal(replay.body, '', 'with an empty body (not an RFC 6749 §5.2 error)');
    await restarted.auth.signOut();
  });

  it('sign-out: local session and keychain cleared; glewlwyd refuses the revocation (401, empty body) and the state says so, not "network error"', async () => {
    const service = app.service();
    await app.signIn(service);
    await app.vault.quiet();
    const refreshToken = service.issued('refresh_token')[0] as string;

    await service.auth.signOut();
    const revocations = service.exchanges.filter((e) => e.path.endsWith('/revoke'));
    assert.ok(revocations.length >= 1, 'the core asked glewlwyd to revoke');
    assert.equal(revocations[0]?.status, 401, 'glewlwyd refuses revocation for a public client');
    await app.vault.quiet();
    assert.equal(await app.storedSession(), null, 'the keychain entry is gone');
    assert.equal((await provider.introspect(refreshToken)).active, true, 'the refresh token stays valid at glewlwyd: this is what the user must be told');

    const state = service.auth.getSession();
    assert.equal(state.status, 'signed-out');
    const error = state.status === 'signed-out' ? state.error : undefined;
    assert.ok(error, `the user is told that the provider kept the tokens (state: ${JSON.stringify(state)})`);
    assert.notEqual(error.code, 'network_error', `a refusal is not a network error (state: ${JSON.stringify(state)})`);
    assert.match(error.message, /the provider did not accept the sign-out of this app's tokens/i);
  });

  it('RP-initiated logout: the end-session URL carries what glewlwyd needs, and glewlwyd agrees to return to post_logout_redirect_uri', async () => {
    const config = app.config({ endSessionInBrowser: true, postLogoutRedirectUri: provider.postLogoutRedirectUri });
    const service = app.service(config);
    const login = await app.signIn(service);
    await service.auth.signOut();
    assert.equal(service.opened.length, 2, 'the browser was opened at the end-session endpoint');
    const endSession = new URL(service.opened[1] as string);
    assert.equal(endSession.origin + endSession.pathname, `${provider.issuer}/end_session`);
    assert.ok(endSession.searchParams.get('id_token_hint'), 'glewlwyd needs id_token_hint to find the session');
    assert.equal(endSession.searchParams.get('post_logout_redirect_uri'), provider.postLogoutRedirectUri);
    const state = endSession.searchParams.get('state');
    assert.ok(state, 'state: without it glewlwyd never returns to post_logout_redirect_uri');

    const answer = await followEndSession(endSession.href, login.jar);
    assert.equal(answer.status, 302);
    const target = returnTarget(answer.location);
    assert.ok(target !== undefined, `glewlwyd's logout page is told to return to the app (${answer.location?.pathname})`);
    const back = new URL(target);
    assert.equal(`${back.protocol}${back.pathname}`, provider.postLogoutRedirectUri);
    assert.ok(back.searchParams.get('state') === state, 'with the state the app sent');
  });

  it('after a restart (refresh responses carry no ID token) sign-out still sends the browser to glewlwyd\'s end-session endpoint, which accepts it', async () => {
    const config = app.config({ endSessionInBrowser: true, postLogoutRedirectUri: provider.postLogoutRedirectUri });
    const first = app.service(config);
    const login = await app.signIn(first);
    await app.vault.quiet();
    first.auth.dispose();

    const restarted = app.service(config);
    await restarted.auth.restore();
    assert.equal(restarted.auth.getSession().status, 'signed-in');
    await restarted.auth.signOut();
    assert.equal(restarted.opened.length, 1, 'the browser was opened at the end-session endpoint after the restart too');
    const endSession = new URL(restarted.opened[0] as string);
    assert.equal(endSession.origin + endSession.pathname, `${provider.issuer}/end_session`);
    const answer = await followEndSession(endSession.href, login.jar);
    assert.equal(answer.status, 302);
    assert.ok(returnTarget(answer.location)?.startsWith(provider.postLogoutRedirectUri), `glewlwyd accepts the hint and will return to the app (${answer.location?.pathname})`);
  });
});
