/**
 * A new sign-in of the same user while a session is kept (issue 17 F1b), in
 * the user's own browser where the provider's session is still there.
 * oidc-provider then extends the same grant and revokes grant-wide (RFC 7009
 * §2.1 allows it), so revoking the kept refresh token at once would end the
 * new session too (measured: both refresh tokens inactive). The kept token is
 * instead set aside with the new session, in its keychain record, and revoked
 * when that session ends.
 *
 * Loopback redirect mode in ONE browser context for both sign-ins
 * (test/support/system-browser.ts uses a fresh context per sign-in, which
 * hides this); the real development provider, its introspection, and a
 * memory vault shared by the two app runs.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createAuthService, createMemoryVault, validateConfig, type AuthService } from '../../../main/auth/index';
import { vaultKey } from '../../../main/auth/pending-flow';
import { startDevProvider, type DevProvider } from '../../../main/dev-provider/dev-provider';
import { waitFor } from '../../support/service-observers';
import { launchSharedBrowserSession, type SharedBrowserSession } from '../../support/shared-browser-session';

describe('a new sign-in of the same user while a session is kept, in the same browser session (oidc-provider extends the grant)', () => {
  let provider: DevProvider;
  let shared: SharedBrowserSession;
  const services: AuthService[] = [];

  before(async () => {
    provider = await startDevProvider({ par: 'disabled', dpop: 'disabled' });
    shared = await launchSharedBrowserSession();
  });
  after(async () => {
    for (const service of services) service.dispose();
    await shared?.close();
    await provider?.close();
  });


  it('the new session lives; the kept token is set aside in its record and revoked at sign-out', async () => {
    const vault = createMemoryVault();
    const config = validateConfig({ issuer: provider.issuer, clientId: provider.clientId, redirectUri: 'http://127.0.0.1/callback', endSessionInBrowser: false });
    const record = async (): Promise<{ refreshToken: string; superseded?: string[] } | undefined> => {
      const text = await vault.get(vaultKey('refresh-token', config));
      return text === null ? undefined : (JSON.parse(text) as { refreshToken: string; superseded?: string[] });
    };
    const start = (): { service: AuthService; nextOpened: () => Promise<string> } => {
      let opened: (url: string) => void = () => undefined;
      const service = createAuthService({ config, vault, openExternal: async (url) => opened(url) });
      services.push(service);
      return { service, nextOpened: () => new Promise((resolve) => (opened = resolve)) };
    };

    // First run: signed in, the session kept in the keychain; the app quits without signing out.
    const first = start();
    let url = first.nextOpened();
    await first.service.signIn();
    assert.equal((await shared.open(await url)).loginShown, true);
    await waitFor(() => first.service.getSession().status === 'signed-in', 'signed in');
    await waitFor(async () => (await record()) !== undefined, 'the kept session in the keychain');
    const kept = (await record())?.refreshToken as string;
    first.service.dispose();

    // Second run: the user signs in again (as from the offline restore screen) without restoring first.
    const second = start();
    url = second.nextOpened();
    await second.service.signIn();
    assert.equal((await shared.open(await url)).loginShown, false, "the provider's session from the first sign-in is used");
    await waitFor(() => second.service.getSession().status === 'signed-in', 'signed in again');
    await waitFor(async () => {
      const now = await record();
      return now !== undefined && now.refreshToken !== kept && (now.superseded ?? []).includes(kept);
    }, 'the new record, with the kept token set aside');
    const now = (await record()) as { refreshToken: string };
    assert.equal((await provider.introspect(now.refreshToken)).active, true, "the new session's refresh token is alive");
    assert.equal((await provider.introspect(kept)).active, true, 'the kept token is not revoked while the new session lives (the same grant)');
    await assert.doesNotReject(second.service.getUserInfo(), 'the new session works');

    await second.service.signOut();
    await waitFor(async () => (await provider.introspect(kept)).active === false, 'the set-aside refresh token inactive after sign-out');
    assert.equal((await provider.introspect(now.refreshToken)).active, false);
  });
});
