/**
 * Issue 16 kind 4 against the real development provider (oidc-provider,
 * which compares the token request's redirect_uri with the authorization
 * request's exactly, RFC 6749 §4.1.3): every form of our callback the app
 * accepts as its own is redeemed with the redirect_uri the authorization
 * request sent, so the exchange succeeds. Before the fix, the empty-authority
 * form (`com.example.desktop:///callback?…`) was accepted and then sent
 * `redirect_uri=com.example.desktop:///callback`: invalid_grant, code spent.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { extractDeepLink } from '../../../main/shell/deep-link';
import { startHarness, type SignInHarness } from '../../support/sign-in-harness';
import { APP_IDENTITY } from '../../../main/app-identity';

const SCHEME = APP_IDENTITY.urlScheme;

/** Each form a callback can reach the core in, from the callback the browser was redirected to. */
const FORMS: ReadonlyArray<readonly [string, (callback: string) => string]> = [
  ['as the browser was redirected', (callback) => callback],
  ['empty authority (com.example.desktop:///callback)', (callback) => callback.replace(`${SCHEME}:/callback`, `${SCHEME}:///callback`)],
  ['scheme in capitals (COM.EXAMPLE.DESKTOP:/callback)', (callback) => callback.replace(`${SCHEME}:`, `${SCHEME.toUpperCase()}:`)],
  ['Windows argv: the registered command line "app.exe" -- "%1", switches after it', (callback) => extractDeepLink(['C:\\Program Files\\OIDC Desktop\\OIDC Desktop.exe', '--', callback, '--original-process-start-time=1'], SCHEME) ?? 'not extracted'],
  ['Windows argv with the scheme in mixed case', (callback) => extractDeepLink(['OIDC Desktop.exe', '--', callback.replace(`${SCHEME}:`, `${SCHEME.split('.').map((label) => label.charAt(0).toUpperCase() + label.slice(1)).join('.')}:`)], SCHEME) ?? 'not extracted'],
];

describe('callback forms: the code exchange keeps the authorization request\'s redirect_uri (development provider)', () => {
  let harness: SignInHarness;
  before(async () => {
    harness = await startHarness();
  });
  after(async () => {
    await harness.close();
  });

  for (const [name, form] of FORMS) {
    it(`${name}: signed in`, async () => {
      const service = harness.service();
      const opened = service.nextOpened();
      await service.auth.signIn();
      const authorizeUrl = await opened;
      assert.equal(new URL(authorizeUrl).searchParams.get('redirect_uri'), `${SCHEME}:/callback`);
      const callback = await harness.browser.signIn(authorizeUrl, { redirectPrefix: `${SCHEME}:` });
      harness.provider.resetRequests();
      assert.equal(await service.auth.handleRedirect(form(callback)), true, 'accepted as ours');
      assert.deepEqual(harness.provider.requests.map((r) => `${r.method} ${r.path}`), ['POST /token']);
      const state = service.auth.getSession();
      assert.equal(state.status, 'signed-in', `the provider accepted the exchange: ${JSON.stringify(state)}`);
      await service.auth.signOut();
    });
  }

  it('a trailing slash (/callback/): not ours, no token request, and the code is still good for the real callback', async () => {
    const service = harness.service();
    const opened = service.nextOpened();
    await service.auth.signIn();
    const callback = await harness.browser.signIn(await opened, { redirectPrefix: `${SCHEME}:` });
    harness.provider.resetRequests();
    assert.equal(await service.auth.handleRedirect(callback.replace('/callback?', '/callback/?')), false);
    assert.equal(harness.provider.requests.length, 0);
    assert.equal(await service.auth.handleRedirect(callback), true);
    assert.equal(service.auth.getSession().status, 'signed-in');
    await service.auth.signOut();
  });
});
