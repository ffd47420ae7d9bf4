/**
 * A token per API (RFC 8707, RFC 6749 §6), incremental consent and step-up
 * (RFC 9470) end to end: the core against the development provider with
 * resource indicators and two resource servers on 127.0.0.1 that accept
 * only JWT access tokens whose `aud` is theirs (and DPoP proofs when the
 * token is bound), Chromium as the system browser and the real keychain.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { randomUUID } from 'node:crypto';
import { createKeytarVault, isAuthError, type AuthConfig, type AuthErrorCode, type SecretVault } from '../../../main/auth/index';
import { vaultKey } from '../../../main/auth/pending-flow';
import { ACR_STRONG, DEMO_ONE_TIME_CODE, SECOND_PASSWORD, SECOND_USERNAME } from '../../../main/dev-provider/demo-account';
import type { DevProviderOptions } from '../../../main/dev-provider/dev-provider';
import { APP_IDENTITY } from '../../../main/app-identity';
import { startAudienceResourceServer, type AudienceResourceServer } from '../../support/audience-resource-server';
import { waitFor } from '../../support/service-observers';
import { signInThroughBrowser, startHarness, type SignInHarness, type TestService } from '../../support/sign-in-harness';
import type { SignInOptions } from '../../support/system-browser';

const ORDERS = 'https://orders.api.test/';
const REPORTS = 'https://reports.api.test/';

const RESOURCE_SERVERS: DevProviderOptions['resourceServers'] = [
  { indicator: ORDERS, scopes: ['orders.read'] },
  { indicator: REPORTS, scopes: ['reports.read'] },
];

async function rejectsWith(promise: Promise<unknown>, code: AuthErrorCode): Promise<string> {
  let caught: unknown;
  try {
    await promise;
  } catch (error) {
    caught = error;
  }
  assert.ok(isAuthError(caught), `expected AuthError ${code}, got ${String(caught)}`);
  assert.equal(caught.code, code, caught.message);
  return caught.message;
}

const tokenRequests = (harness: SignInHarness): number => harness.provider.requests.filter((r) => r.method === 'POST' && r.path === '/token').length;

/** A keychain of its own per test (a fresh service name): a write another test's session makes late cannot show up here. */
function ownKeychain(): SecretVault {
  return createKeytarVault(`oidc-desktop-test-${randomUUID()}`);
}

async function keptRefreshToken(vault: SecretVault, config: AuthConfig): Promise<string | undefined> {
  const text = await vault.get(vaultKey('refresh-token', config));
  return text === null ? undefined : (JSON.parse(text) as { refreshToken: string }).refreshToken;
}

/** Runs `operation` (it opens the browser), does the user's part in Chromium, hands the redirect back, and returns the operation's outcome. */
async function inBrowser<T>(harness: SignInHarness, service: TestService, operation: () => Promise<T>, options: Partial<SignInOptions> = {}): Promise<T> {
  const opened = service.nextOpened();
  const outcome = operation();
  outcome.catch(() => undefined);
  const url = await Promise.race([opened, outcome.then(() => assert.fail('the operation ended without opening the browser'))]);
  const callback = await harness.browser.signIn(url, { redirectPrefix: `${APP_IDENTITY.urlScheme}:`, ...options });
  assert.equal(await service.auth.handleRedirect(callback), true);
  return outcome;
}

for (const dpop of ['disabled', 'enabled'] as const) {
  describe(`a token per API, consent and step-up against the development provider (DPoP ${dpop})`, () => {
    let harness: SignInHarness;
    let orders: AudienceResourceServer;
    let reports: AudienceResourceServer;
    let config: AuthConfig;

    before(async () => {
      harness = await startHarness({ dpop, resourceServers: RESOURCE_SERVERS });
      orders = await startAudienceResourceServer({ issuer: harness.provider.issuer, resource: ORDERS, strongAcr: ACR_STRONG });
      reports = await startAudienceResourceServer({ issuer: harness.provider.issuer, resource: REPORTS, strongAcr: ACR_STRONG });
      config = harness.config({
        // orders.read is granted at sign-in; reports.read is asked for when Reports is first needed.
        scopes: ['openid', 'profile', 'email', 'offline_access', 'orders.read'],
        apis: [
          { name: 'Orders', baseUrl: orders.baseUrl, scopes: ['orders.read'], resource: ORDERS },
          { name: 'Reports', baseUrl: reports.baseUrl, scopes: ['reports.read'], resource: REPORTS },
        ],
      });
    });
    after(async () => {
      await orders?.close();
      await reports?.close();
      await harness?.close();
    });

    it('gives each API a token for its own audience, once, and asks for consent for the API whose scope was not granted', async () => {
      const vault = ownKeychain();
      const service = harness.service(config, { vault });
      await signInThroughBrowser(harness, service);
      const authorizeUrl = new URL(service.opened[0] as string);
      assert.deepEqual(authorizeUrl.searchParams.getAll('resource'), [ORDERS, REPORTS], 'the sign-in asks for every configured resource (RFC 8707 §2.1)');
      const sub = service.auth.getSession().status === 'signed-in' ? (service.auth.getSession() as { user: { sub: string } }).user.sub : '';

      // First call to Orders: one token request, then the API request; the next calls: none.
      harness.provider.resetRequests();
      const first = await service.auth.callApi({ url: `${orders.baseUrl}whoami` });
      assert.equal(first.status, 200, JSON.stringify(orders.calls));
      assert.deepEqual(first.body, { sub, aud: ORDERS, scope: 'orders.read', acr: 'urn:dev:loa:1', scheme: dpop === 'enabled' ? 'DPoP' : 'Bearer', path: '/api/whoami' });
      assert.equal(tokenRequests(harness), 1, 'exactly one token request for the first call');
      for (let i = 0; i < 3; i += 1) assert.equal((await service.auth.callApi({ url: `${orders.baseUrl}whoami` })).status, 200);
      assert.equal(tokenRequests(harness), 1, 'no token request while the token lasts');
      assert.deepEqual(service.auth.getApiStatuses().map((s) => [s.name, s.state]), [['Orders', 'ready'], ['Reports', 'idle']]);

      // Reports: its scope was never granted. The provider refuses (invalid_scope), the call says consent_required, no browser opens.
      const openedBefore = service.opened.length;
      const message = await rejectsWith(service.auth.callApi({ url: `${reports.baseUrl}whoami` }), 'consent_required');
      assert.match(message, /Reports/);
      assert.equal(service.opened.length, openedBefore, 'a call never opens the browser');
      assert.equal(service.auth.getSession().status, 'signed-in', 'the session stays');
      assert.equal(service.auth.getApiStatuses()[1]?.state, 'consent_required');

      // Grant access: a browser round-trip for the same user, then the call.
      // The record holds the session's live refresh token (the Orders token request rotated it; its keychain write is not awaited by the call).
      await waitFor(async () => {
        const kept = await keptRefreshToken(vault, config);
        return kept !== undefined && (await harness.provider.introspect(kept)).active;
      }, 'the live refresh token in the keychain');
      const keptBefore = await keptRefreshToken(vault, config);
      assert.ok(keptBefore);
      const granted = await inBrowser(harness, service, () => service.auth.grantApiAccess({ url: `${reports.baseUrl}whoami` }));
      assert.equal(granted.status, 200, JSON.stringify(reports.calls));
      assert.equal((granted.body as { aud: string }).aud, REPORTS);
      assert.equal((granted.body as { sub: string }).sub, sub, 'the same user');
      const consentUrl = new URL(service.opened.at(-1) as string);
      assert.deepEqual(new Set(consentUrl.searchParams.get('scope')?.split(' ')), new Set(['openid', 'profile', 'email', 'offline_access', 'orders.read', 'reports.read']), 'the consent asks for what the session had and the new scope');
      const state = service.auth.getSession();
      assert.equal(state.status, 'signed-in');
      // The new grant's refresh token replaced the kept one; the old one is kept aside with the session (in the record),
      // to be revoked when the session ends, not now (revoking it may end the new grant: see api-consent-browser-session).
      await waitFor(async () => (await keptRefreshToken(vault, config)) !== keptBefore, 'the new refresh token in the keychain');
      const record = JSON.parse((await vault.get(vaultKey('refresh-token', config))) as string) as { refreshToken: string; superseded?: string[] };
      assert.deepEqual(record.superseded?.length, 1);
      assert.equal(record.superseded?.[0] === keptBefore, true, 'the replaced refresh token is kept aside in the record');
      // Orders keeps working from the new grant.
      assert.equal((await service.auth.callApi({ url: `${orders.baseUrl}whoami` })).status, 200);

      // Every token each API saw was meant for it: the sign-in's own token never reached either.
      assert.ok(orders.calls.length >= 5 && orders.calls.every((c) => c.claimedAudience === ORDERS), JSON.stringify(orders.calls));
      assert.ok(reports.calls.length >= 1 && reports.calls.every((c) => c.claimedAudience === REPORTS), JSON.stringify(reports.calls));
      assert.ok([...orders.calls, ...reports.calls].every((c) => c.outcome === 'ok'));

      // Sign-out revokes the session's refresh token and the one set aside.
      const current = await keptRefreshToken(vault, config);
      assert.ok(current);
      await service.auth.signOut();
      await waitFor(async () => (await harness.provider.introspect(keptBefore)).active === false, 'the set-aside refresh token revoked at sign-out');
      assert.equal((await harness.provider.introspect(current)).active, false, 'the session\'s refresh token revoked');
    });

    it('shares one token request among concurrent first calls', async () => {
      const vault = ownKeychain();
      const service = harness.service(config, { vault });
      await signInThroughBrowser(harness, service);
      harness.provider.resetRequests();
      const answers = await Promise.all(Array.from({ length: 8 }, () => service.auth.callApi({ url: `${orders.baseUrl}whoami` })));
      assert.deepEqual(answers.map((a) => a.status), Array(8).fill(200));
      assert.equal(tokenRequests(harness), 1, 'one token request for eight concurrent first calls');
    });

    it('steps up for the API that asks (RFC 9470), refuses a weaker sign-in and another user, and gives the stepped-up token to that API only', async () => {
      const vault = ownKeychain();
      const service = harness.service(config, { vault });
      await signInThroughBrowser(harness, service);
      const session = service.auth.getSession();
      assert.equal(session.status, 'signed-in');
      await waitFor(async () => (await keptRefreshToken(vault, config)) !== undefined, 'this session\'s record in the keychain');

      // Orders' token first: its request rotates the refresh token (the development provider rotates at every use), and the keychain gets the new one.
      const sessionRecord = await keptRefreshToken(vault, config);
      assert.equal((await service.auth.callApi({ url: `${orders.baseUrl}whoami` })).status, 200);
      await waitFor(async () => (await keptRefreshToken(vault, config)) !== sessionRecord, 'the rotated refresh token in the keychain');
      const strong = { url: `${orders.baseUrl}strong` };
      const openedBefore = service.opened.length;
      const message = await rejectsWith(service.auth.callApi(strong), 'step_up_required');
      assert.match(message, new RegExp(`Orders.*${ACR_STRONG.replaceAll('.', '\\.')}`));
      assert.equal(service.opened.length, openedBefore, 'a step-up challenge opens no browser by itself');
      assert.equal(service.auth.getApiStatuses()[0]?.state, 'step_up_required');

      // Another user in the browser: refused, the session untouched.
      const keptBefore = await keptRefreshToken(vault, config);
      const otherMessage = await rejectsWith(inBrowser(harness, service, () => service.auth.stepUpApi(strong), { username: SECOND_USERNAME, password: SECOND_PASSWORD, oneTimeCode: DEMO_ONE_TIME_CODE }), 'identity_unverified');
      assert.match(otherMessage, /someone else/);
      assert.deepEqual(service.auth.getSession(), session, 'the session is exactly as it was');
      assert.equal(await keptRefreshToken(vault, config), keptBefore, 'the keychain record is untouched');

      // The user signs in without the stronger factor: the provider says acr urn:dev:loa:1, which is refused.
      const stepUpUrlIndex = service.opened.length;
      const unmet = await rejectsWith(inBrowser(harness, service, () => service.auth.stepUpApi(strong)), 'step_up_unmet');
      assert.match(unmet, /urn:dev:loa:1/);
      const stepUpUrl = new URL(service.opened[stepUpUrlIndex] as string);
      assert.equal(stepUpUrl.searchParams.get('acr_values'), ACR_STRONG, 'the browser is asked for what the API asked');
      assert.deepEqual(stepUpUrl.searchParams.getAll('resource'), [ORDERS], 'for that API alone');

      // With the one-time code: the API gets its stepped-up token and the call goes through.
      const done = await inBrowser(harness, service, () => service.auth.stepUpApi(strong), { oneTimeCode: DEMO_ONE_TIME_CODE });
      assert.equal(done.status, 200, JSON.stringify(orders.calls.slice(-3)));
      assert.equal((done.body as { acr: string }).acr, ACR_STRONG);
      assert.equal(service.auth.getApiStatuses()[0]?.state, 'ready');
      assert.deepEqual(service.auth.getSession(), session, 'a step-up leaves the session as it was');

      // Reports never gets the stepped-up token: its token comes from the refresh token (loa:1).
      await rejectsWith(service.auth.callApi({ url: `${reports.baseUrl}whoami` }), 'consent_required');
      const consent = await inBrowser(harness, service, () => service.auth.grantApiAccess({ url: `${reports.baseUrl}whoami` }));
      assert.equal((consent.body as { acr: string; aud: string }).aud, REPORTS);
      assert.ok(reports.calls.every((c) => c.claimedAudience === REPORTS));
    });

    it('passes an API\'s max_age to the provider, which signs the user in anew (auth_time after the challenge)', async () => {
      const vault = ownKeychain();
      const service = harness.service(config, { vault });
      await signInThroughBrowser(harness, service);
      // The API wants a sign-in from within 0 s: nothing but a new sign-in satisfies it.
      orders.setRecentSeconds(0);
      const recent = { url: `${orders.baseUrl}recent` };
      const message = await rejectsWith(service.auth.callApi(recent), 'step_up_required');
      assert.match(message, /within the last 0 seconds/);
      const challengedAt = Math.floor(Date.now() / 1000);
      const index = service.opened.length;
      // The provider's token will be checked by the API with its usual window again.
      const stepUp = inBrowser(harness, service, async () => {
        const answer = service.auth.stepUpApi(recent);
        return answer;
      });
      await waitFor(() => service.opened.length > index, 'the step-up browser round-trip');
      orders.setRecentSeconds(60);
      const answer = await stepUp;
      assert.equal(new URL(service.opened[index] as string).searchParams.get('max_age'), '0');
      assert.equal(answer.status, 200, JSON.stringify(orders.calls.slice(-2)));
      assert.ok((answer.body as { auth_time: number }).auth_time >= challengedAt, 'the token carries the new sign-in\'s auth_time');
    });

    it('runs one browser round-trip at a time, and none without an operation asking for it', async () => {
      const vault = ownKeychain();
      const service = harness.service(config, { vault });
      await signInThroughBrowser(harness, service);
      const openedBefore = service.opened.length;
      const strong = { url: `${orders.baseUrl}strong` };
      const flood = await Promise.allSettled(Array.from({ length: 20 }, () => service.auth.callApi(strong)));
      assert.ok(flood.every((r) => r.status === 'rejected' && isAuthError(r.reason) && r.reason.code === 'step_up_required'));
      assert.equal(service.opened.length, openedBefore, '20 challenges, no browser');
      // Many clicks: one browser; a consent meanwhile is refused.
      const opened = service.nextOpened();
      const clicks = Array.from({ length: 5 }, () => service.auth.stepUpApi(strong));
      for (const click of clicks) click.catch(() => undefined);
      const url = await opened;
      await rejectsWith(service.auth.grantApiAccess({ url: `${reports.baseUrl}whoami` }), 'flow_in_progress');
      const callback = await harness.browser.signIn(url, { redirectPrefix: `${APP_IDENTITY.urlScheme}:`, oneTimeCode: DEMO_ONE_TIME_CODE });
      assert.equal(await service.auth.handleRedirect(callback), true);
      const results = await Promise.all(clicks);
      assert.deepEqual(results.map((r) => r.status), Array(5).fill(200));
      assert.equal(service.opened.length, openedBefore + 1, 'one browser round-trip for five clicks');
    });
  });
}
