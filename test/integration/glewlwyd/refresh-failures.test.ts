/**
 * What glewlwyd 2.7.5 really answers when things go wrong, and what the app
 * must make of it (issue 9: only an OAuth error saying the grant is dead
 * ends a session; issue 11: a 401 without WWW-Authenticate is still
 * "unauthorized"). One glewlwyd for the file.
 *
 * A refresh is triggered by moving the core's clock past the refresh point
 * and calling `resume()` (what the app does on wake): no test waits for a
 * real token lifetime.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { vaultKey } from '../../../main/auth/pending-flow';
import { startGlewlwyd, type Glewlwyd } from '../../support/glewlwyd';
import { createAppHarness, tokenRequests, type AppHarness, type AppService } from '../../support/glewlwyd/app-harness';
import { formBody, request } from '../../support/glewlwyd/http';
import { waitForState } from '../../support/service-observers';
import { GLEWLWYD_ONLY_ON_LINUX } from '../../support/platform-parts';

/** glewlwyd's access tokens live 3600 s; one hour on makes the next resume() refresh. */
const PAST_REFRESH_POINT_MS = 3_600_000;

/** Waits for the outcome of a refresh the test started: any change from the signed-in, fresh state. */
function refreshOutcome(service: AppService, expiresAt: number): Promise<unknown> {
  return waitForState(service, (s) => s.status !== 'signed-in' || s.stale === true || s.expiresAt !== expiresAt, 'the outcome of the refresh', 15_000);
}

describe('refresh and call failures glewlwyd produces', { skip: GLEWLWYD_ONLY_ON_LINUX }, () => {
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

  it('a dead refresh token (400, empty body: not an RFC 6749 §5.2 error) is transient: the session goes on, stale, and the refresh token stays in the keychain', async () => {
    const service = app.service();
    await app.signIn(service);
    await app.vault.quiet();
    const held = service.issued('refresh_token')[0] as string;
    // Someone else uses the token (rotation): the core's copy is now dead at glewlwyd.
    assert.equal((await provider.refreshDirect(held)).status, 200);
    const before = service.auth.getSession();
    assert.ok(before.status === 'signed-in');

    service.advanceClock(PAST_REFRESH_POINT_MS);
    const outcome = refreshOutcome(service, before.expiresAt);
    service.auth.resume();
    await outcome;
    const refreshes = service.exchanges.filter((e) => e.path.endsWith('/token')).slice(1);
    assert.equal(refreshes[0]?.status, 400, 'glewlwyd answered the refresh with 400');
    assert.equal(refreshes[0]?.body, '', 'and an empty body');

    const state = service.auth.getSession();
    assert.equal(state.status, 'signed-in', `the session goes on (state: ${JSON.stringify(state)})`);
    assert.equal(state.status === 'signed-in' && state.stale, true, 'marked stale');
    await app.vault.quiet();
    assert.ok((await app.storedSession())?.includes(held), 'the refresh token is still in the keychain');
    service.auth.dispose();
    await app.vault.delete(vaultKey('refresh-token', app.config()));
  });

  it('a code already redeemed elsewhere (glewlwyd: 403 invalid_code) fails the sign-in with "sign in again" and stores nothing', async () => {
    const service = app.service();
    const opened = service.nextOpened();
    await service.auth.signIn();
    const authorizeUrl = await opened;
    // The pending flow the core keeps for a cold start holds the verifier: redeem the code with it first.
    let pending: string | null = null;
    for (let i = 0; i < 100 && pending === null; i += 1) {
      pending = await app.vault.get(vaultKey('pending-flow', app.config()));
      if (pending === null) await new Promise((resolve) => setTimeout(resolve, 20));
    }
    assert.ok(pending !== null, 'the pending flow is in the keychain');
    const { verifier } = JSON.parse(pending) as { verifier: string };
    const login = await provider.login(authorizeUrl);
    const code = new URL(login.location).searchParams.get('code') ?? '';
    const first = await request(`${provider.issuer}/token`, {
      method: 'POST',
      ...formBody({ grant_type: 'authorization_code', code, redirect_uri: 'com.example.desktop:/callback', code_verifier: verifier, client_id: provider.clientId }),
    });
    assert.equal(first.status, 200, 'the code was redeemed once');

    assert.equal(await service.auth.handleRedirect(login.location), true);
    const exchange = service.exchanges.find((e) => e.path.endsWith('/token'));
    assert.equal(exchange?.status, 403, 'glewlwyd refuses the replayed code with 403');
    assert.equal(exchange?.body, '{"error":"invalid_code"}');
    const state = service.auth.getSession();
    assert.equal(state.status, 'error', `state: ${JSON.stringify(state)}`);
    assert.equal(state.status === 'error' && state.error.code, 'token_rejected');
    assert.match(state.status === 'error' ? state.error.message : '', /sign in again/i, 'the user is told what to do');
    await app.vault.quiet();
    assert.equal(await app.storedSession(), null, 'nothing stored');
  });

  it('provider down (process stopped) is transient: stale session, refresh token kept; the session recovers by itself when glewlwyd is back', async () => {
    const service = app.service();
    await app.signIn(service);
    await app.vault.quiet();
    const held = service.issued('refresh_token')[0] as string;
    const before = service.auth.getSession();
    assert.ok(before.status === 'signed-in');

    await provider.stop();
    try {
      service.advanceClock(PAST_REFRESH_POINT_MS);
      const outcome = refreshOutcome(service, before.expiresAt);
      service.auth.resume();
      await outcome;
      const state = service.auth.getSession();
      assert.equal(state.status, 'signed-in', `state: ${JSON.stringify(state)}`);
      assert.equal(state.status === 'signed-in' && state.stale, true, 'marked stale');
      await app.vault.quiet();
      assert.ok((await app.storedSession())?.includes(held), 'the refresh token is kept');
    } finally {
      await provider.start();
    }
    const recovered = await waitForState(service, (s) => s.status === 'signed-in' && s.stale !== true, 'recovery once glewlwyd is back', 30_000);
    assert.equal(recovered.status, 'signed-in');
    await service.auth.signOut();
  });

  it('userinfo answering 401 without WWW-Authenticate (access token revoked at glewlwyd): refresh once, retry once, get the claims', async () => {
    const service = app.service();
    await app.signIn(service);
    const accessToken = service.issued('access_token')[0] as string;
    await provider.revokeAsOperator(accessToken);
    const before = tokenRequests(service);

    const info = await service.auth.getUserInfo().catch((error: unknown) => {
      const { code, message } = error as { code?: string; message?: string };
      throw new Error(`getUserInfo failed with ${String(code)}: ${String(message)}`);
    });
    assert.equal(info.name, 'Dana Demo');
    const userinfo = service.exchanges.filter((e) => e.path.endsWith('/userinfo'));
    assert.deepEqual(userinfo.map((e) => e.status), [401, 200], 'one refused call, one retry');
    assert.equal(tokenRequests(service) - before, 1, 'one refresh between them');
    await service.auth.signOut();
  });
});
