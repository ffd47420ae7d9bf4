/**
 * Issue 18 against a provider and APIs that misbehave: a provider that
 * ignores `resource`, one that states another audience, refusals meaning
 * "not granted" in each provider's words, an ID token for someone else in a
 * per-API answer, step-up answers that do not meet what the API asked,
 * step-up challenges from an API that is not a configured one, and a flood
 * of challenges. Each token the core receives is accounted for: where it was
 * sent (per API), and that none reaches a state, a log or the vault.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, beforeEach, describe, it } from 'node:test';
import { isAuthError, type AuthErrorCode } from '../../main/auth/index';
import { vaultKey } from '../../main/auth/pending-flow';
import { assertNothingLeaked, hostileClient, signInFully, waitFor, type HostileClient } from '../support/hostile-harness';
import { sendJson, signJwt, startHostileProvider, type HostileProvider, type HostileScript, type Json } from '../support/hostile-provider';

const ORDERS = 'https://orders.api.test/';
const REPORTS = 'https://reports.api.test/';

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

describe('a token per API against a hostile provider', () => {
  let provider: HostileProvider;
  /** A resource server that answers every request with a step-up challenge (RFC 9470), counting requests by path. */
  let challenger: Server;
  let challengerBase: string;
  let challenge = 'Bearer error="insufficient_user_authentication", acr_values="urn:example:mfa"';
  let challengeStatus = 401;
  const challengerHits: string[] = [];
  let client: HostileClient | undefined;

  before(async () => {
    provider = await startHostileProvider();
    challenger = createServer((request, response) => {
      challengerHits.push(request.url ?? '');
      request.resume();
      response.writeHead(challengeStatus, { 'www-authenticate': challenge, 'content-type': 'application/json' }).end('{"error":"insufficient_user_authentication"}');
    });
    await new Promise<void>((resolve) => challenger.listen(0, '127.0.0.1', resolve));
    challengerBase = `http://127.0.0.1:${(challenger.address() as AddressInfo).port}/`;
  });
  after(async () => {
    challenger.closeAllConnections();
    await new Promise((resolve) => challenger.close(resolve));
    await provider.close();
  });
  beforeEach(() => {
    client?.auth.dispose();
    client = undefined;
    provider.reset();
    challengerHits.length = 0;
    challengeStatus = 401;
    challenge = 'Bearer error="insufficient_user_authentication", acr_values="urn:example:mfa"';
  });

  const apisConfig = (extra: Record<string, unknown> = {}) => ({
    apis: [
      { name: 'Orders', baseUrl: `${provider.issuer}/api/orders/`, scopes: ['orders.read'], resource: ORDERS },
      { name: 'Reports', baseUrl: `${provider.issuer}/api/reports/`, resource: REPORTS },
      { name: 'Vault', baseUrl: `${challengerBase}vault/`, scopes: ['vault.read'] },
    ],
    ...extra,
  });
  /** A provider that issues what was asked and says nothing of scope (RFC 6749 §5.1: then it is the requested one). */
  const scopeAsAsked: Pick<HostileScript, 'tokenResponse'> = {
    tokenResponse: (body, context) => {
      if (context.grantType !== 'refresh_token') return body;
      const { scope: _scope, ...rest } = body;
      return rest;
    },
  };
  const grants = () => provider.requests.filter((r) => r.path === '/token' && r.form.get('grant_type') === 'refresh_token');
  const bearerAt = (prefix: string) => provider.requests.filter((r) => r.path.startsWith(prefix)).map((r) => (r.headers.authorization ?? '').split(' ')[1] ?? '');

  it('a provider that ignores resource: the unrestricted token is logged and used for its API only; each API gets its own', async () => {
    client = hostileClient(provider, { config: apisConfig() });
    const authorization = await signInFully(client, provider);
    provider.script = { ...scopeAsAsked };
    const authorizeUrl = new URL(client.opened[0] as string);
    assert.deepEqual(authorizeUrl.searchParams.getAll('resource'), [ORDERS, REPORTS], 'the sign-in names both resources');
    assert.ok(authorization);
    provider.resetRequests();
    assert.equal((await client.auth.callApi({ url: `${provider.issuer}/api/orders/list` })).status, 200);
    assert.equal((await client.auth.callApi({ url: `${provider.issuer}/api/reports/today` })).status, 200);
    assert.equal((await client.auth.callApi({ url: `${provider.issuer}/api/orders/list` })).status, 200);
    assert.deepEqual(grants().map((g) => [g.form.get('resource'), g.form.get('scope')]), [[ORDERS, 'orders.read'], [REPORTS, null]], 'one token request per API, naming its resource and scopes (RFC 8707 §2.2)');
    const ordersTokens = new Set(bearerAt('/api/orders/'));
    const reportsTokens = new Set(bearerAt('/api/reports/'));
    assert.equal(ordersTokens.size, 1);
    assert.equal(reportsTokens.size, 1);
    assert.ok(![...ordersTokens].some((token) => reportsTokens.has(token)), 'no token of one API reached the other');
    assert.ok(client.logs.some((line) => /did not state the audience of the access token for Orders/.test(line)), client.logs.join('\n'));
    await assertNothingLeaked(client, provider.secrets().filter((s) => s.includes('-at-')));
  });

  it('a token whose scope lacks what the API needs (RFC 6749 §3.3: the provider says so in scope) is consent_required, sent nowhere', async () => {
    client = hostileClient(provider, { config: apisConfig() });
    await signInFully(client, provider);
    provider.resetRequests();
    // The hostile provider answers every grant with scope "openid profile email offline_access": no orders.read.
    await rejectsWith(client.auth.callApi({ url: `${provider.issuer}/api/orders/list` }), 'consent_required');
    assert.equal(provider.requests.filter((r) => r.path.startsWith('/api/')).length, 0, 'the token went nowhere');
    assert.equal(client.auth.getSession().status, 'signed-in');
  });

  it('a token whose stated audience is another API is refused and sent nowhere', async () => {
    client = hostileClient(provider, { config: apisConfig() });
    await signInFully(client, provider);
    const foreign = await signJwt({ iss: provider.issuer, aud: 'https://elsewhere.test/', sub: provider.subject, exp: Math.floor(Date.now() / 1000) + 300 }, provider.keys.primary.privateKey, 'RS256', provider.keys.primary.kid);
    provider.script = { tokenResponse: (body, context) => (context.grantType === 'refresh_token' ? { ...body, access_token: foreign, scope: 'orders.read' } : body) };
    provider.resetRequests();
    const message = await rejectsWith(client.auth.callApi({ url: `${provider.issuer}/api/orders/list` }), 'token_response_invalid');
    assert.match(message, /another audience/);
    assert.equal(provider.requests.filter((r) => r.path.startsWith('/api/')).length, 0, 'the token went nowhere');
    assert.ok(!JSON.stringify(client.states).includes(foreign) && !client.logs.join('\n').includes(foreign));
    assert.equal(client.auth.getSession().status, 'signed-in');
  });

  it('an API named by audience (Auth0 style): the request carries it; a token for the default audience instead is refused', async () => {
    client = hostileClient(provider, { config: { apis: [{ name: 'Billing', baseUrl: `${provider.issuer}/api/billing/`, scopes: ['read:invoices'], audience: 'https://billing.api.test' }] } });
    await signInFully(client, provider);
    const fallback = await signJwt({ iss: provider.issuer, aud: 'https://default.api.test', sub: provider.subject, exp: Math.floor(Date.now() / 1000) + 300 }, provider.keys.primary.privateKey, 'RS256', provider.keys.primary.kid);
    provider.script = { tokenResponse: (body, context) => (context.grantType === 'refresh_token' ? { ...body, access_token: fallback, scope: 'read:invoices' } : body) };
    provider.resetRequests();
    const message = await rejectsWith(client.auth.callApi({ url: `${provider.issuer}/api/billing/invoices` }), 'token_response_invalid');
    assert.match(message, /another audience/);
    assert.deepEqual(grants().map((g) => [g.form.get('audience'), g.form.get('scope'), g.form.get('resource')]), [['https://billing.api.test', 'read:invoices', null]]);
    assert.equal(provider.requests.filter((r) => r.path.startsWith('/api/')).length, 0, 'the token went nowhere');
  });

  for (const refusal of [
    { error: 'invalid_scope' },
    { error: 'invalid_target' },
    { error: 'consent_required' },
    { error: 'interaction_required' },
    { error: 'invalid_grant', suberror: 'consent_required', error_description: 'AADSTS65001: The user or administrator has not consented' },
  ] as Json[]) {
    it(`a per-API refusal ${JSON.stringify(refusal)} is consent_required; the session stays`, async () => {
      client = hostileClient(provider, { config: apisConfig() });
      await signInFully(client, provider);
      const session = client.auth.getSession();
      provider.script = {
        token: (_request, response, recorded) => {
          if (recorded.form.get('resource') !== ORDERS) throw new Error('unexpected token request');
          sendJson(response, 400, refusal);
        },
      };
      const message = await rejectsWith(client.auth.callApi({ url: `${provider.issuer}/api/orders/list` }), 'consent_required');
      assert.match(message, /Orders/);
      assert.deepEqual(client.auth.getSession(), session);
      assert.equal(client.opened.length, 1, 'no browser opened by a call');
      assert.equal(client.auth.getApiStatuses()[0]?.state, 'consent_required');
    });
  }

  it('a plain invalid_grant for one API: the session refresh decides (alive → consent_required; dead → session_ended)', async () => {
    client = hostileClient(provider, { config: apisConfig() });
    await signInFully(client, provider);
    provider.script = {
      token: (_request, response, recorded) => {
        if (recorded.form.has('resource')) return sendJson(response, 400, { error: 'invalid_grant' });
        return sendJson(response, 400, { error: 'invalid_grant' });
      },
    };
    await rejectsWith(client.auth.callApi({ url: `${provider.issuer}/api/orders/list` }), 'session_ended');
    assert.equal(client.auth.getSession().status, 'signed-out');

    // Alive: the session's own refresh succeeds, so the per-API refusal was about the scope change.
    provider.reset();
    client.auth.dispose();
    client = hostileClient(provider, { config: apisConfig() });
    await signInFully(client, provider);
    let refused = 0;
    provider.script = {
      token: (_request, response, recorded) => {
        if (recorded.form.has('resource')) {
          refused += 1;
          return sendJson(response, 400, { error: 'invalid_grant' });
        }
        // The session's refresh: a valid answer without an ID token (OIDC Core §12.2 allows it).
        return sendJson(response, 200, { access_token: provider.mint('at'), token_type: 'Bearer', expires_in: 300, refresh_token: provider.mint('rt') });
      },
    };
    await rejectsWith(client.auth.callApi({ url: `${provider.issuer}/api/orders/list` }), 'consent_required');
    assert.equal(refused, 1);
    assert.equal(client.auth.getSession().status, 'signed-in', 'the session lives on');
  });

  it('an ID token for another user in a per-API answer ends the session; the rotated refresh token is revoked', async () => {
    client = hostileClient(provider, { config: apisConfig() });
    await signInFully(client, provider);
    provider.script = { idTokenClaims: (claims, context) => (context.grantType === 'refresh_token' ? { ...claims, sub: 'someone-else' } : claims) };
    provider.resetRequests();
    await rejectsWith(client.auth.callApi({ url: `${provider.issuer}/api/orders/list` }), 'identity_unverified');
    assert.equal(client.auth.getSession().status, 'signed-out');
    assert.equal(provider.requests.filter((r) => r.path.startsWith('/api/')).length, 0, 'nothing was sent to the API');
    const rotated = provider.secrets().filter((secret) => secret.includes('-rt-')).at(-1);
    await waitFor(() => provider.requests.some((r) => r.path === '/revoke' && r.form.get('token') === rotated), 'the rotated refresh token revoked');
  });

  it('a step-up challenge from an API that is not a configured one (apiBaseUrls) is the API\'s answer: no step_up_required, no browser', async () => {
    client = hostileClient(provider, { config: { apiBaseUrls: [`${challengerBase}plain/`] } });
    await signInFully(client, provider);
    const answer = await client.auth.callApi({ url: `${challengerBase}plain/x` });
    assert.equal(answer.status, 401, 'the 401 is returned as the API\'s answer');
    assert.equal(client.opened.length, 1);
    assert.deepEqual(client.auth.getApiStatuses(), []);
    await rejectsWith(client.auth.stepUpApi({ url: `${challengerBase}plain/x` }), 'api_not_allowed');
    // Outside every allow-list: refused before any request.
    const before = challengerHits.length;
    await rejectsWith(client.auth.callApi({ url: `${challengerBase}elsewhere` }), 'api_not_allowed');
    assert.equal(challengerHits.length, before);
  });

  it('challenges that ask for nothing usable are the API\'s answer, not a step-up', async () => {
    client = hostileClient(provider, { config: apisConfig() });
    await signInFully(client, provider);
    provider.script = { ...scopeAsAsked };
    for (const value of [
      'Bearer error="insufficient_user_authentication"',
      'Bearer error="insufficient_user_authentication", max_age="soon"',
      `Bearer error="insufficient_user_authentication", acr_values="${'x'.repeat(300)}"`,
      'Basic realm="x", error="insufficient_user_authentication", acr_values="a"',
    ]) {
      challenge = value;
      const answer = await client.auth.callApi({ url: `${challengerBase}vault/x` });
      assert.equal(answer.status, 401, value);
    }
    // RFC 9470 §3 is a 401: the same challenge on a 403 is the API's answer.
    challengeStatus = 403;
    challenge = 'Bearer error="insufficient_user_authentication", acr_values="urn:example:mfa"';
    assert.equal((await client.auth.callApi({ url: `${challengerBase}vault/x` })).status, 403);
    assert.deepEqual(client.auth.getApiStatuses().find((s) => s.name === 'Vault')?.state, 'ready');
    assert.equal(client.opened.length, 1);
  });

  it('a flood of step-up challenges opens no browser; many clicks open one; a weak, stale or foreign answer is refused and the session kept', async () => {
    const c = hostileClient(provider, { config: apisConfig() });
    client = c;
    await signInFully(c, provider);
    provider.script = { ...scopeAsAsked };
    const session = c.auth.getSession();
    const recordKey = vaultKey('refresh-token', c.config);
    challenge = 'Bearer error="insufficient_user_authentication", acr_values="urn:example:mfa", max_age=60';
    const vault = { url: `${challengerBase}vault/secret` };
    const flood = await Promise.allSettled(Array.from({ length: 50 }, () => c.auth.callApi(vault)));
    assert.ok(flood.every((r) => r.status === 'rejected' && isAuthError(r.reason) && r.reason.code === 'step_up_required'));
    assert.equal(c.opened.length, 1, '50 challenges, no browser');
    assert.equal(grants().length, 1, 'the Vault token was requested once');
    // That request rotated the refresh token: the record to compare with is the one holding the rotated token.
    const rotated = provider.secrets().filter((secret) => secret.includes('-rt-')).at(-1) as string;
    await waitFor(async () => ((await c.vault.get(recordKey)) ?? '').includes(rotated), 'the rotated refresh token in the keychain');
    const sessionRefreshToken = (JSON.parse((await c.vault.get(recordKey)) as string) as { refreshToken: string }).refreshToken;
    const stepUpRefreshTokens: string[] = [];

    const answers: Array<{ claims: (c: Json) => Json; code: AuthErrorCode; message: RegExp }> = [
      { claims: (c) => ({ ...c, acr: 'urn:example:password', auth_time: Math.floor(Date.now() / 1000) }), code: 'step_up_unmet', message: /urn:example:mfa.*"urn:example:password"/ },
      { claims: (c) => ({ ...c, acr: 'urn:example:mfa', auth_time: Math.floor(Date.now() / 1000) - 7200 }), code: 'step_up_unmet', message: /2 hours ago/ },
      { claims: (c) => { const { auth_time: _dropped, ...rest } = c; return { ...rest, acr: 'urn:example:mfa' }; }, code: 'step_up_unmet', message: /no auth_time/ },
      { claims: (c) => ({ ...c, sub: 'someone-else', acr: 'urn:example:mfa', auth_time: Math.floor(Date.now() / 1000) }), code: 'identity_unverified', message: /someone else/ },
    ];
    for (const answer of answers) {
      provider.script = { ...scopeAsAsked, idTokenClaims: (claims, context) => (context.grantType === 'authorization_code' ? answer.claims(claims) : claims) };
      const opened = c.nextOpened();
      const clicks = Array.from({ length: 10 }, () => c.auth.stepUpApi(vault));
      for (const click of clicks) click.catch(() => undefined);
      const url = new URL(await opened);
      assert.equal(url.searchParams.get('acr_values'), 'urn:example:mfa');
      assert.equal(url.searchParams.get('max_age'), '60');
      const hitsBefore = challengerHits.length;
      assert.equal(await c.auth.handleRedirect(provider.authorize(url.href).callback), true);
      const outcomes = await Promise.allSettled(clicks);
      // The hostile provider issues a refresh token to every code exchange, offline_access or not.
      stepUpRefreshTokens.push(provider.secrets().filter((secret) => secret.includes('-rt-')).at(-1) as string);
      for (const outcome of outcomes) {
        assert.equal(outcome.status, 'rejected');
        assert.ok(isAuthError(outcome.reason) && outcome.reason.code === answer.code, String(outcome.reason));
        assert.match((outcome.reason as Error).message, answer.message);
      }
      assert.equal(challengerHits.length, hitsBefore, 'the refused token was sent nowhere');
      assert.deepEqual(c.auth.getSession(), session, 'the session is as it was');
    }
    assert.equal(c.opened.length, 1 + answers.length, 'one browser per round of ten clicks');
    // The session's refresh token is untouched. A step-up's refresh token (the same user's) is set aside with the session,
    // to be revoked at sign-out; another user's is revoked now.
    const record = JSON.parse((await c.vault.get(recordKey)) as string) as { refreshToken: string; superseded?: string[] };
    assert.equal(record.refreshToken === sessionRefreshToken, true, 'the session\'s refresh token is the one kept');
    assert.equal(JSON.stringify(record.superseded) === JSON.stringify(stepUpRefreshTokens.slice(0, 3)), true, 'the same user\'s step-up refresh tokens are set aside');
    await waitFor(() => provider.requests.some((r) => r.path === '/revoke' && r.form.get('token') === stepUpRefreshTokens[3]), 'another user\'s refresh token revoked');
    assert.ok(!provider.requests.some((r) => r.path === '/revoke' && stepUpRefreshTokens.slice(0, 3).includes(r.form.get('token') ?? '')), 'the set-aside ones are not revoked yet');
    await c.auth.signOut();
    await waitFor(() => stepUpRefreshTokens.slice(0, 3).every((token) => provider.requests.some((r) => r.path === '/revoke' && r.form.get('token') === token)), 'the set-aside refresh tokens revoked at sign-out');
    await assertNothingLeaked(client, provider.secrets().filter((s) => s.includes('-at-') || s.includes('-code-')));
  });
});
