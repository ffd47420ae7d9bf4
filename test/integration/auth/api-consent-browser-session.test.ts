/**
 * Incremental consent in the user's own browser, where the provider's
 * session from the sign-in is still there (issue 18). oidc-provider then
 * extends the same grant for the consent and revokes grant-wide (RFC 7009
 * §2.1 allows it): revoking the refresh token the consent replaced would end
 * the new session too. Measured before the fix: the next token request
 * after "Grant access" answered `invalid_grant` (refresh token not found)
 * and the session ended. The replaced token is now kept aside with the
 * session and revoked at sign-out.
 *
 * Loopback redirect mode, so Chromium really navigates back to the app, in
 * ONE browser context for both round-trips (test/support/system-browser.ts
 * uses a fresh context per sign-in, which hides this).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createAuthService, createMemoryVault, isAuthError, validateConfig, type AuthService } from '../../../main/auth/index';
import { vaultKey } from '../../../main/auth/pending-flow';
import { startDevProvider, type DevProvider } from '../../../main/dev-provider/dev-provider';
import { startAudienceResourceServer, type AudienceResourceServer } from '../../support/audience-resource-server';
import { waitFor } from '../../support/service-observers';
import { launchSharedBrowserSession, type SharedBrowserSession } from '../../support/shared-browser-session';

const ORDERS = 'https://orders.api.test/';
const REPORTS = 'https://reports.api.test/';

describe('incremental consent in the browser session of the sign-in (oidc-provider extends the same grant)', () => {
  let provider: DevProvider;
  let orders: AudienceResourceServer;
  let reports: AudienceResourceServer;
  let shared: SharedBrowserSession;
  let auth: AuthService | undefined;

  before(async () => {
    provider = await startDevProvider({ par: 'disabled', dpop: 'disabled', resourceServers: [{ indicator: ORDERS, scopes: ['orders.read'] }, { indicator: REPORTS, scopes: ['reports.read'] }] });
    orders = await startAudienceResourceServer({ issuer: provider.issuer, resource: ORDERS });
    reports = await startAudienceResourceServer({ issuer: provider.issuer, resource: REPORTS });
    shared = await launchSharedBrowserSession();
  });
  after(async () => {
    auth?.dispose();
    await shared?.close();
    await orders?.close();
    await reports?.close();
    await provider?.close();
  });


  it('keeps the session after "Grant access"; the replaced refresh token is revoked at sign-out', async () => {
    const vault = createMemoryVault();
    const config = validateConfig({
      issuer: provider.issuer,
      clientId: provider.clientId,
      redirectUri: 'http://127.0.0.1/callback',
      endSessionInBrowser: false,
      scopes: ['openid', 'profile', 'email', 'offline_access', 'orders.read'],
      apis: [
        { name: 'Orders', baseUrl: orders.baseUrl, scopes: ['orders.read'], resource: ORDERS },
        { name: 'Reports', baseUrl: reports.baseUrl, scopes: ['reports.read'], resource: REPORTS },
      ],
    });
    let opened: (url: string) => void = () => undefined;
    const nextOpened = (): Promise<string> => new Promise((resolve) => (opened = resolve));
    const service = createAuthService({ config, vault, openExternal: async (url) => opened(url) });
    auth = service;
    const record = async (): Promise<{ refreshToken: string; superseded?: string[] } | undefined> => {
      const text = await vault.get(vaultKey('refresh-token', config));
      return text === null ? undefined : (JSON.parse(text) as { refreshToken: string; superseded?: string[] });
    };

    let url = nextOpened();
    await service.signIn();
    assert.equal((await shared.open(await url)).loginShown, true);
    await waitFor(() => service.getSession().status === 'signed-in', 'signed in');
    assert.equal((await service.callApi({ url: `${orders.baseUrl}whoami` })).status, 200);
    await assert.rejects(service.callApi({ url: `${reports.baseUrl}whoami` }), (error) => isAuthError(error) && error.code === 'consent_required');
    await waitFor(async () => {
      const kept = (await record())?.refreshToken;
      return kept !== undefined && (await provider.introspect(kept)).active;
    }, 'the live refresh token in the keychain');
    const before = (await record())?.refreshToken as string;

    url = nextOpened();
    const granted = service.grantApiAccess({ url: `${reports.baseUrl}whoami` });
    granted.catch(() => undefined);
    // The provider's session from the sign-in is used: no login page, the same grant extended.
    assert.equal((await shared.open(await url)).loginShown, false);
    assert.equal((await granted).status, 200);

    // The session lives on: a new token request with the new refresh token works (before the fix: invalid_grant, session ended).
    await waitFor(async () => (await record())?.refreshToken !== before, 'the new refresh token in the keychain');
    const kept = await record();
    assert.ok(kept);
    assert.ok(kept.superseded?.includes(before), 'the replaced refresh token is set aside in the record');
    assert.equal((await provider.introspect(kept.refreshToken)).active, true, 'the new refresh token is alive');
    // A session refresh and a fresh Orders token from the new grant.
    await assert.doesNotReject(async () => {
      const answer = await service.callApi({ url: `${orders.baseUrl}whoami` });
      assert.equal(answer.status, 200);
    });
    assert.equal(service.getSession().status, 'signed-in');

    // Sign-out revokes the session's token and the one set aside.
    await service.signOut();
    await waitFor(async () => (await provider.introspect(before)).active === false, 'the set-aside refresh token inactive');
    assert.equal((await provider.introspect(kept.refreshToken)).active, false);
  });
});
