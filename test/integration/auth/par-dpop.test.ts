/**
 * PAR (RFC 9126) and DPoP (RFC 9449) end to end: the core against the
 * development provider, Chromium as the system browser and the real
 * keychain, with each combination the provider can offer. The provider's own
 * records (introspection: cnf.jkt) show what the tokens are bound to; a
 * stolen access or refresh token replayed without the key is refused.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { calculateJwkThumbprint } from 'jose';
import { vaultKey } from '../../../main/auth/pending-flow';
import type { DevProviderOptions } from '../../../main/dev-provider/dev-provider';
import { startDpopResourceServer, type DpopResourceServer } from '../../support/dpop-resource-server';
import { assertSecretEqual } from '../../support/secret-assert';
import { waitFor, waitForState } from '../../support/service-observers';
import { startHarness, type SignInHarness, type TestService } from '../../support/sign-in-harness';
import { APP_IDENTITY } from '../../../main/app-identity';

/** Seconds: short, so a proactive refresh happens within the test. */
const ACCESS_TOKEN_TTL = 4;

interface StoredRecord {
  readonly v: number;
  readonly refreshToken: string;
  readonly dpop?: { readonly alg: string; readonly jwk: Record<string, unknown> };
}

async function storedRecord(harness: SignInHarness): Promise<StoredRecord | undefined> {
  const text = await harness.vault.get(vaultKey('refresh-token', harness.config()));
  return text === null ? undefined : (JSON.parse(text) as StoredRecord);
}

/** RFC 7638 thumbprint of the public part of the stored private key. */
async function thumbprintOf(record: StoredRecord): Promise<string> {
  assert.ok(record.dpop, 'the record holds a DPoP key');
  const { d: _private, key_ops: _ops, ext: _ext, ...publicJwk } = record.dpop.jwk;
  return calculateJwkThumbprint(publicJwk, 'sha256');
}

const describeRequests = (harness: SignInHarness): string[] => harness.provider.requests.map((r) => `${r.method} ${r.path}`);

/** A sign-in that records the provider requests between the click and the browser, and after the redirect. */
async function signIn(harness: SignInHarness, service: TestService): Promise<{ authorizeUrl: URL; beforeBrowser: string[]; afterRedirect: string[] }> {
  await service.auth.ready();
  harness.provider.resetRequests();
  const opened = service.nextOpened();
  await service.auth.signIn();
  const authorizeUrl = new URL(await opened);
  const beforeBrowser = describeRequests(harness);
  const callback = await harness.browser.signIn(authorizeUrl.href, { redirectPrefix: `${APP_IDENTITY.urlScheme}:` });
  harness.provider.resetRequests();
  assert.equal(await service.auth.handleRedirect(callback), true);
  const afterRedirect = describeRequests(harness);
  assert.equal(service.auth.getSession().status, 'signed-in', `signed in (${JSON.stringify(service.auth.getSession())})`);
  return { authorizeUrl, beforeBrowser, afterRedirect };
}

interface Combination {
  readonly name: string;
  readonly provider: DevProviderOptions;
  readonly config?: Record<string, unknown>;
  readonly pushed: boolean;
  readonly bound: boolean;
  /** Requests before the browser opens. */
  readonly beforeBrowser: readonly string[];
  readonly resourceNonce?: boolean;
}

const COMBINATIONS: readonly Combination[] = [
  { name: 'neither offered', provider: { par: 'disabled', dpop: 'disabled' }, pushed: false, bound: false, beforeBrowser: [] },
  { name: 'PAR only', provider: { par: 'enabled', dpop: 'disabled' }, pushed: true, bound: false, beforeBrowser: ['POST /request'] },
  { name: 'DPoP only', provider: { par: 'disabled', dpop: 'enabled' }, pushed: false, bound: true, beforeBrowser: [] },
  { name: 'PAR and DPoP (what the development provider offers by default)', provider: { par: 'enabled', dpop: 'enabled' }, pushed: true, bound: true, beforeBrowser: ['POST /request'] },
  { name: 'PAR required by the provider, par "never" configured', provider: { par: 'required', dpop: 'disabled' }, config: { par: 'never' }, pushed: true, bound: false, beforeBrowser: ['POST /request'] },
  {
    name: 'PAR and DPoP with nonces demanded by the provider and the API',
    provider: { par: 'enabled', dpop: 'nonce' },
    pushed: true,
    bound: true,
    // The push is challenged once (use_dpop_nonce), then accepted; the token request reuses that nonce.
    beforeBrowser: ['POST /request', 'POST /request'],
    resourceNonce: true,
  },
];

for (const combination of COMBINATIONS) {
  describe(`PAR and DPoP: ${combination.name}`, () => {
    let harness: SignInHarness;
    let api: DpopResourceServer;
    before(async () => {
      harness = await startHarness({ ...combination.provider, accessTokenTtl: ACCESS_TOKEN_TTL });
      api = await startDpopResourceServer(harness.provider, { requireNonce: combination.resourceNonce ?? false });
    });
    after(async () => {
      await api?.close();
      await harness?.close();
    });

    it('signs in, refreshes, restores after a restart, and calls userinfo and an API, bound to the session key where offered', async () => {
      const config = harness.config({ apiBaseUrls: [api.baseUrl], ...combination.config });
      const first = harness.service(config);
      const { authorizeUrl, beforeBrowser, afterRedirect } = await signIn(harness, first);

      assert.deepEqual(beforeBrowser, combination.beforeBrowser, 'requests between the click and the browser');
      assert.deepEqual(afterRedirect, ['POST /token'], 'exactly one request after the redirect');
      if (combination.pushed) {
        assert.deepEqual([...authorizeUrl.searchParams.keys()].sort(), ['client_id', 'request_uri'], 'the browser sees client_id and request_uri only');
      } else {
        for (const name of ['code_challenge', 'state', 'nonce', 'scope']) assert.ok(authorizeUrl.searchParams.has(name), `${name} in the URL without PAR`);
        assert.equal(authorizeUrl.searchParams.has('dpop_jkt'), combination.bound, 'dpop_jkt binds the code where DPoP is used (RFC 9449 §10)');
      }

      await waitFor(async () => (await storedRecord(harness)) !== undefined, 'the session record in the keychain');
      const record = await storedRecord(harness);
      assert.ok(record);
      assert.equal(record.v, combination.bound ? 3 : 2, 'the record version: 3 only for a DPoP session');
      const refreshInfo = await harness.provider.introspect(record.refreshToken);
      assert.equal(refreshInfo.active, true);
      const jkt = combination.bound ? await thumbprintOf(record) : undefined;
      assertSecretEqual((refreshInfo['cnf'] as { jkt?: string } | undefined)?.jkt, jkt, 'the refresh token is bound to the key kept with it (or to none)');

      // userinfo and an API, with the token as the provider issued it.
      assert.equal((await first.auth.getUserInfo()).sub, 'demo-user-1');
      const call = await first.auth.callApi({ url: `${api.baseUrl}me` });
      assert.equal(call.status, 200, `the API accepted the call (${JSON.stringify(api.calls)})`);
      assert.equal((call.body as { scheme: string }).scheme, combination.bound ? 'DPoP' : 'Bearer');
      const accessToken = api.lastAccessToken();
      assert.ok(accessToken);
      assertSecretEqual(((await harness.provider.introspect(accessToken))['cnf'] as { jkt?: string } | undefined)?.jkt, jkt, 'the access token is bound to the session key (cnf.jkt)');
      if (combination.resourceNonce) assert.deepEqual(api.calls.map((c) => c.outcome), ['use_dpop_nonce', 'ok'], 'the API\'s nonce challenge is answered once');

      // A proactive refresh before the short-lived access token expires, with the same key.
      const signedIn = first.auth.getSession();
      harness.provider.resetRequests();
      await waitForState(first, (s) => s.status === 'signed-in' && signedIn.status === 'signed-in' && s.expiresAt > signedIn.expiresAt, 'a proactive refresh', ACCESS_TOKEN_TTL * 1000 + 5000);
      assert.deepEqual(describeRequests(harness), ['POST /token'], 'one refresh request');
      await waitFor(async () => (await storedRecord(harness))?.refreshToken !== record.refreshToken, 'the rotated refresh token in the keychain');
      const rotated = await storedRecord(harness);
      assert.ok(rotated);
      if (combination.bound) assertSecretEqual(await thumbprintOf(rotated), jkt, 'the same key kept with the rotated refresh token');
      first.auth.dispose();

      // A restart: a new service over the same keychain restores the session and uses it.
      const restarted = harness.service(config);
      harness.provider.resetRequests();
      await restarted.auth.restore();
      assert.equal(restarted.auth.getSession().status, 'signed-in', `restored (${JSON.stringify(restarted.auth.getSession())})`);
      assert.equal(restarted.opened.length, 0, 'no browser');
      assert.equal((await restarted.auth.getUserInfo()).sub, 'demo-user-1');
      const afterRestart = await restarted.auth.callApi({ url: `${api.baseUrl}me` });
      assert.equal(afterRestart.status, 200);
      assert.equal((afterRestart.body as { scheme: string }).scheme, combination.bound ? 'DPoP' : 'Bearer');
      const restartedToken = api.lastAccessToken();
      assert.ok(restartedToken);
      assertSecretEqual(((await harness.provider.introspect(restartedToken))['cnf'] as { jkt?: string } | undefined)?.jkt, jkt, 'the restored session\'s new access token is bound to the same key');

      if (combination.bound) {
        // "Done means": the tokens alone are useless to a thief who lacks the key.
        const stolen = await storedRecord(harness);
        assert.ok(stolen);
        const discovery = await fetch(`${harness.provider.issuer}/.well-known/openid-configuration`);
        const userinfo = ((await discovery.json()) as { userinfo_endpoint: string }).userinfo_endpoint;
        for (const authorization of [`Bearer ${restartedToken}`, `DPoP ${restartedToken}`]) {
          const replay = await fetch(userinfo, { headers: { authorization } });
          // 401 invalid_token, or 400 invalid_request for the DPoP scheme without its proof (RFC 9449 §7.1).
          assert.ok(replay.status === 401 || replay.status === 400, `userinfo refuses the stolen access token sent as "${authorization.split(' ')[0]} …" without a proof (HTTP ${replay.status})`);
          await replay.body?.cancel();
        }
        const apiReplay = await fetch(`${api.baseUrl}me`, { headers: { authorization: `Bearer ${restartedToken}` } });
        assert.equal(apiReplay.status, 401, 'the API refuses it too');
        await apiReplay.body?.cancel();
        const refreshReplay = await fetch(`${harness.provider.issuer}/token`, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: stolen.refreshToken, client_id: harness.provider.clientId }),
        });
        assert.equal(refreshReplay.status, 400);
        assert.equal(((await refreshReplay.json()) as { error?: string }).error, 'invalid_grant', 'the token endpoint refuses the stolen refresh token without a proof');
        // The owner, who has the key, is not affected.
        assert.equal((await restarted.auth.getUserInfo()).sub, 'demo-user-1');
      }

      await restarted.auth.signOut();
      assert.equal(await storedRecord(harness), undefined, 'sign-out clears the record, key included');
    });
  });
}

describe('PAR and DPoP: configuration that the provider cannot meet', () => {
  let harness: SignInHarness;
  before(async () => {
    harness = await startHarness({ par: 'disabled', dpop: 'disabled' });
  });
  after(() => harness?.close());

  for (const field of ['par', 'dpop'] as const) {
    it(`${field} "always" with a provider that does not offer it: provider_unsupported before any browser or request`, async () => {
      const service = harness.service(harness.config({ [field]: 'always' }));
      await service.auth.ready();
      harness.provider.resetRequests();
      await assert.rejects(service.auth.signIn(), (error: { code?: string }) => error.code === 'provider_unsupported');
      assert.equal(service.opened.length, 0, 'no browser');
      assert.deepEqual(describeRequests(harness), [], 'no request');
      const state = service.auth.getSession();
      assert.equal(state.status === 'error' && state.error.code, 'provider_unsupported');
      assert.equal(await storedRecord(harness), undefined);
    });
  }
});
