/**
 * PAR (RFC 9126) and DPoP against glewlwyd 2.7.5, an independent provider
 * (C, Debian's package), which implements an earlier DPoP draft (07). The
 * fixture (test/support/glewlwyd.ts) configures it without either; this
 * test switches both on through its admin REST API, as an operator would.
 * Run: npm test -- test/integration/auth/glewlwyd-par-dpop.test.ts
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startGlewlwyd, type Glewlwyd } from '../../support/glewlwyd';
import { ADMIN } from '../../support/glewlwyd/admin';
import { createAppHarness, type AppHarness } from '../../support/glewlwyd/app-harness';
import { CookieJar, jsonBody, requestWithJar } from '../../support/glewlwyd/http';
import { waitFor } from '../../support/service-observers';
import { GLEWLWYD_ONLY_ON_LINUX } from '../../support/platform-parts';

/** The OIDC plugin's PAR and DPoP parameters (names from the plugin's own configuration). */
async function enableParAndDpop(provider: Glewlwyd): Promise<void> {
  const jar = new CookieJar();
  const call = async (method: string, path: string, body?: unknown): Promise<string> => {
    const response = await requestWithJar(jar, `${provider.baseUrl}/api${path}`, { method, ...(body === undefined ? {} : jsonBody(body)) });
    if (response.status !== 200) throw new Error(`glewlwyd admin API: ${method} ${path} answered ${response.status}`);
    return response.text;
  };
  await call('POST', '/auth/', ADMIN);
  const plugins = JSON.parse(await call('GET', '/mod/plugin/')) as { name: string; module: string }[];
  const name = plugins.find((plugin) => plugin.module === 'oidc')?.name;
  assert.ok(name, 'the fixture created an OIDC plugin instance');
  const plugin = JSON.parse(await call('GET', `/mod/plugin/${name}`)) as { parameters: Record<string, unknown> };
  Object.assign(plugin.parameters, {
    'oauth-par-allowed': true,
    'oauth-par-required': false,
    'oauth-par-duration': 90,
    'oauth-par-request_uri-prefix': 'urn:ietf:params:oauth:request_uri:',
    'oauth-dpop-allowed': true,
    'oauth-dpop-iat-duration': 60,
  });
  await call('PUT', `/mod/plugin/${name}`, plugin);
  await call('PUT', `/mod/plugin/${name}/reset/`);
}

describe('glewlwyd 2.7.5 with PAR and DPoP switched on', { skip: GLEWLWYD_ONLY_ON_LINUX }, () => {
  let provider: Glewlwyd;
  let harness: AppHarness;
  before(async () => {
    provider = await startGlewlwyd();
    harness = createAppHarness(provider);
    await enableParAndDpop(provider);
  });
  after(async () => {
    harness?.dispose();
    await provider?.close();
  });

  it('discovery lists both; the app uses both without configuration: pushed request, DPoP-bound tokens, userinfo, restart', async () => {
    const metadata = (await (await fetch(`${provider.issuer}/.well-known/openid-configuration`)).json()) as Record<string, unknown>;
    assert.equal(metadata['pushed_authorization_request_endpoint'], `${provider.issuer}/par`);
    assert.ok(Array.isArray(metadata['dpop_signing_alg_values_supported']) && metadata['dpop_signing_alg_values_supported'].includes('ES256'));

    const service = harness.service();
    await harness.signIn(service);
    assert.equal(service.auth.getSession().status, 'signed-in', JSON.stringify(service.auth.getSession()));
    const authorizeUrl = new URL(service.opened[0] ?? '');
    assert.deepEqual([...authorizeUrl.searchParams.keys()].sort(), ['client_id', 'request_uri'], 'the browser saw client_id and request_uri only');
    assert.deepEqual(
      service.exchanges.filter((e) => e.method === 'POST').map((e) => `${e.path} ${e.status}`),
      [`${new URL(provider.issuer).pathname}/par 201`, `${new URL(provider.issuer).pathname}/token 200`],
      'the push before the browser, the token request after it',
    );
    const tokenType = service.exchanges.filter((e) => e.body).map((e) => (JSON.parse(e.body as string) as { token_type?: string }).token_type);
    assert.deepEqual(tokenType, ['DPoP'], 'glewlwyd bound the access token');
    assert.ok((await service.auth.getUserInfo()).sub, 'userinfo with the DPoP-bound token and a proof');

    // The tokens without the key.
    const [accessToken] = service.issued('access_token');
    const [refreshToken] = service.issued('refresh_token');
    assert.ok(accessToken && refreshToken);
    const userinfo = String(metadata['userinfo_endpoint']);
    for (const scheme of ['Bearer', 'DPoP']) {
      const replay = await fetch(userinfo, { headers: { authorization: `${scheme} ${accessToken}` } });
      assert.ok(replay.status === 401 || replay.status === 400, `userinfo refuses the access token as ${scheme} without a proof (HTTP ${replay.status})`);
      await replay.body?.cancel();
    }
    const refreshReplay = await provider.refreshDirect(refreshToken);
    assert.notEqual(refreshReplay.status, 200, `the token endpoint refuses the refresh token without a proof (HTTP ${refreshReplay.status})`);

    await waitFor(async () => (JSON.parse((await harness.storedSession()) ?? '{}') as { v?: number }).v === 3, 'the DPoP session record (v3) in the keychain');
    service.auth.dispose();
    // The positive control of the replay above: the same refresh token (not yet rotated), with a proof of the kept key.
    const restarted = harness.service();
    await restarted.auth.restore();
    assert.equal(restarted.auth.getSession().status, 'signed-in', `restored with the kept key (${JSON.stringify(restarted.auth.getSession())})`);
    assert.ok((await restarted.auth.getUserInfo()).sub);
    restarted.auth.dispose();
  });
});
