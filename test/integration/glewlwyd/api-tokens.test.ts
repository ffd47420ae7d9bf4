/**
 * Issue 18 against glewlwyd 2.7.5: what of a token per API, incremental
 * consent and step-up it supports, proven with the core, the keychain and
 * glewlwyd's own login (headless), and what it lacks (the README's
 * interoperability table lists it):
 *
 * - RFC 8707 `resource` at the authorization endpoint: supported (with its
 *   `resource-allowed` / `resource-scope` settings); every access token of
 *   the grant then states that audience, including tokens refreshed for
 *   another API (it ignores `resource` and `scope` on a refresh: no
 *   narrowing, RFC 6749 §6). The core refuses such a token for the other API.
 * - A refresh asking for a scope not granted: 200 with the granted scopes
 *   only (no error); the core reads `scope` (RFC 6749 §5.1) and asks for
 *   consent; after the consent round-trip the new grant covers it.
 * - Step-up: no `acr` in its ID tokens and `auth_time: 0`: an API's
 *   `acr_values` or `max_age` cannot be met; the core says so (step_up_unmet).
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { decodeJwt } from 'jose';
import { isAuthError, type AuthErrorCode } from '../../../main/auth/index';
import { startGlewlwyd, type Glewlwyd } from '../../support/glewlwyd';
import { createAppHarness, type AppHarness, type AppService } from '../../support/glewlwyd/app-harness';
import { GLEWLWYD_ONLY_ON_LINUX } from '../../support/platform-parts';

const ORDERS = 'https://orders.api.test/';

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

interface SeenCall {
  readonly path: string;
  readonly aud: unknown;
  readonly scope: unknown;
}

describe('a token per API, consent and step-up against glewlwyd', { skip: GLEWLWYD_ONLY_ON_LINUX }, () => {
  let provider: Glewlwyd;
  let app: AppHarness;
  let api: Server;
  let apiBase = '';
  const seen: SeenCall[] = [];
  let challenge: string | undefined;

  before(async () => {
    provider = await startGlewlwyd({ extraScopes: ['orders.read', 'reports.read'], pluginParameters: { 'resource-allowed': true, 'resource-scope': { 'orders.read': [ORDERS] } } });
    app = createAppHarness(provider);
    // Two APIs on one server (paths /orders/ and /reports/): records what each token states; a step-up challenge when set.
    api = createServer((request, response) => {
      request.resume();
      const token = (request.headers.authorization ?? '').split(' ')[1] ?? '';
      let claims: Record<string, unknown> = {};
      try {
        claims = decodeJwt(token);
      } catch {
        claims = {};
      }
      seen.push({ path: new URL(request.url ?? '/', 'http://x').pathname, aud: claims['aud'], scope: claims['scope'] });
      if (challenge) response.writeHead(401, { 'www-authenticate': challenge, 'content-type': 'application/json' }).end('{}');
      else response.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
    });
    await new Promise<void>((resolve) => api.listen(0, '127.0.0.1', resolve));
    apiBase = `http://127.0.0.1:${(api.address() as AddressInfo).port}`;
  });
  after(async () => {
    app?.dispose();
    api?.closeAllConnections();
    await new Promise((resolve) => api?.close(resolve));
    await provider?.close();
  });

  const consentInGlewlwyd = async (service: AppService, operation: () => Promise<unknown>): Promise<unknown> => {
    const opened = service.nextOpened();
    const outcome = operation();
    outcome.catch(() => undefined);
    const login = await provider.login(await opened);
    assert.equal(await service.auth.handleRedirect(login.location), true);
    return outcome;
  };

  it('RFC 8707 at sign-in: the Orders token states its audience; a refresh for another API keeps it, so that API\'s token is refused', async () => {
    const config = app.config({
      scopes: ['openid', 'profile', 'email', 'offline_access', 'orders.read'],
      apis: [
        { name: 'Orders', baseUrl: `${apiBase}/orders/`, scopes: ['orders.read'], resource: ORDERS },
        { name: 'Reports', baseUrl: `${apiBase}/reports/`, scopes: ['orders.read'] },
      ],
    });
    const service = app.service(config);
    await app.signIn(service);
    assert.deepEqual(new URL(service.opened[0] as string).searchParams.getAll('resource'), [ORDERS]);
    seen.length = 0;
    assert.equal((await service.auth.callApi({ url: `${apiBase}/orders/list` })).status, 200);
    assert.deepEqual(seen.map((c) => c.aud), [ORDERS], 'the Orders token states the Orders audience');
    // No narrowing on refresh: the token carries every scope of the grant.
    assert.match(String(seen[0]?.scope), /openid .*orders\.read/);
    const message = await rejectsWith(service.auth.callApi({ url: `${apiBase}/reports/today` }), 'token_response_invalid');
    assert.match(message, /meant for Orders/);
    assert.deepEqual(seen.map((c) => c.path), ['/orders/list'], 'the Orders token never reached Reports');
    service.auth.dispose();
  });

  it('a scope never granted: glewlwyd answers the refresh with what it granted; consent_required, then the consent round-trip', async () => {
    const config = app.config({ apis: [{ name: 'Reports', baseUrl: `${apiBase}/reports/`, scopes: ['reports.read'] }] });
    const service = app.service(config);
    await app.signIn(service);
    const session = service.auth.getSession();
    seen.length = 0;
    await rejectsWith(service.auth.callApi({ url: `${apiBase}/reports/today` }), 'consent_required');
    assert.deepEqual(service.auth.getSession(), session, 'the session stays');
    assert.equal(seen.length, 0, 'nothing was sent to the API');
    const answer = (await consentInGlewlwyd(service, () => service.auth.grantApiAccess({ url: `${apiBase}/reports/today` }))) as { status: number };
    assert.equal(answer.status, 200);
    assert.match(String(seen.at(-1)?.scope), /reports\.read/, 'the new grant covers the scope');
    assert.equal(service.auth.getSession().status, 'signed-in');
    await app.vault.quiet();
    const kept = await app.storedSession(config);
    assert.ok(kept && kept.includes(service.issued('refresh_token').at(-1) as string), 'the new grant\'s refresh token is kept');
    service.auth.dispose();
  });

  for (const [what, value, pattern] of [
    ['acr_values', 'Bearer error="insufficient_user_authentication", acr_values="urn:example:mfa"', /no authentication level/],
    ['max_age', 'Bearer error="insufficient_user_authentication", max_age=300', /no auth_time|did not say when/],
  ] as const) {
    it(`step-up with ${what}: glewlwyd's ID token cannot show it (no acr, auth_time 0), so the result is refused`, async () => {
      const config = app.config({ scopes: ['openid', 'profile', 'email', 'offline_access', 'orders.read'], apis: [{ name: 'Orders', baseUrl: `${apiBase}/orders/`, scopes: ['orders.read'], resource: ORDERS }] });
      const service = app.service(config);
      await app.signIn(service);
      const session = service.auth.getSession();
      challenge = value;
      try {
        await rejectsWith(service.auth.callApi({ url: `${apiBase}/orders/secret` }), 'step_up_required');
        const calls = seen.length;
        const message = await rejectsWith(consentInGlewlwyd(service, () => service.auth.stepUpApi({ url: `${apiBase}/orders/secret` })), 'step_up_unmet');
        assert.match(message, pattern);
        assert.equal(seen.length, calls, 'the refused token was sent nowhere');
        assert.deepEqual(service.auth.getSession(), session);
      } finally {
        challenge = undefined;
        service.auth.dispose();
      }
    });
  }
});
