/**
 * The development provider, driven through a real Chromium playing the system browser.
 * Run: node --import tsx --test test/integration/dev-provider.test.ts
 */
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import {
  AuthorizationResponseError,
  ResponseBodyError,
  None,
  allowInsecureRequests,
  authorizationCodeGrant,
  buildAuthorizationUrl,
  calculatePKCECodeChallenge,
  discovery,
  randomNonce,
  randomPKCECodeVerifier,
  randomState,
  refreshTokenGrant,
  tokenRevocation,
} from 'openid-client';
import type { Configuration } from 'openid-client';
import { startDevProvider } from '../../main/dev-provider/dev-provider';
import type { DevProvider, DevProviderOptions } from '../../main/dev-provider/dev-provider';
import { SignInRejectedError, launchSystemBrowser } from '../support/system-browser';
import type { SystemBrowser } from '../support/system-browser';
import { assertSecretDeepEqual, assertSecretEqual, assertSecretNotEqual } from '../support/secret-assert';
import { APP_IDENTITY } from '../../main/app-identity';

const CUSTOM_REDIRECT = APP_IDENTITY.defaultRedirectUri;
const SCOPE = 'openid profile email offline_access';

/** One provider (and optionally one browser) per `describe`, started in `before` and stopped in `after`. */
class Env {
  #provider: DevProvider | undefined;
  #browser: SystemBrowser | undefined;
  #config: Configuration | undefined;
  /** The provider's error events, with their error_detail. */
  readonly errors: string[] = [];

  async start(options: { browser: boolean; provider?: DevProviderOptions }): Promise<void> {
    this.#provider = await startDevProvider({ ...options.provider, onError: (message) => this.errors.push(message) });
    this.#browser = options.browser ? await launchSystemBrowser() : undefined;
    this.#config = await discovery(new URL(this.#provider.issuer), this.#provider.clientId, undefined, None(), {
      execute: [allowInsecureRequests],
    });
  }

  async stop(): Promise<void> {
    await this.#browser?.close();
    await this.#provider?.close();
  }

  get provider(): DevProvider {
    assert.ok(this.#provider, 'the provider was not started');
    return this.#provider;
  }

  get browser(): SystemBrowser {
    assert.ok(this.#browser, 'this test environment has no browser');
    return this.#browser;
  }

  get config(): Configuration {
    assert.ok(this.#config, 'discovery did not run');
    return this.#config;
  }
}

function useEnv(options: { browser: boolean; provider?: DevProviderOptions }): Env {
  const env = new Env();
  before(() => env.start(options));
  after(() => env.stop());
  return env;
}

interface AuthorizeRequest {
  readonly url: string;
  readonly redirectUri: string;
  readonly verifier: string;
  readonly state: string;
  readonly nonce: string;
}

async function authorizeRequest(config: Configuration, redirectUri: string, scope = SCOPE): Promise<AuthorizeRequest> {
  const verifier = randomPKCECodeVerifier();
  const state = randomState();
  const nonce = randomNonce();
  const url = buildAuthorizationUrl(config, {
    redirect_uri: redirectUri,
    scope,
    code_challenge: await calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state,
    nonce,
  });
  return { url: url.href, redirectUri, verifier, state, nonce };
}

function redeem(config: Configuration, request: AuthorizeRequest, callback: string) {
  return authorizationCodeGrant(config, new URL(callback), {
    pkceCodeVerifier: request.verifier,
    expectedState: request.state,
    expectedNonce: request.nonce,
    idTokenExpected: true,
  });
}

/** Signs the demo user in through the browser (custom scheme) and redeems the code. */
async function signInForTokens(env: Env) {
  const request = await authorizeRequest(env.config, CUSTOM_REDIRECT);
  const callback = await env.browser.signIn(request.url, { redirectPrefix: `${APP_IDENTITY.urlScheme}:` });
  return redeem(env.config, request, callback);
}

async function rejectsWithOAuthError(work: Promise<unknown>, error: string): Promise<void> {
  await assert.rejects(work, (thrown: unknown) => {
    assert.ok(thrown instanceof ResponseBodyError, `expected a ResponseBodyError, got ${String(thrown)}`);
    assert.equal(thrown.error, error);
    return true;
  });
}

describe('discovery, login page and outages', () => {
  const env = useEnv({ browser: false });

  test('discovery advertises S256 only, RFC 9207 iss, revocation and end_session', async () => {
    const response = await fetch(`${env.provider.issuer}/.well-known/openid-configuration`);
    assert.equal(response.status, 200);
    const metadata = (await response.json()) as Record<string, unknown>;
    assert.equal(metadata['issuer'], env.provider.issuer);
    assert.match(env.provider.issuer, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.deepEqual(metadata['code_challenge_methods_supported'], ['S256']);
    assert.equal(metadata['authorization_response_iss_parameter_supported'], true);
    assert.equal(metadata['revocation_endpoint'], `${env.provider.issuer}/token/revocation`);
    assert.equal(metadata['end_session_endpoint'], `${env.provider.issuer}/session/end`);
    assert.equal(metadata['introspection_endpoint'], `${env.provider.issuer}/token/introspection`);
    assert.deepEqual(metadata['response_types_supported'], ['code']);
  });

  test('the login page is plain HTML under a strict CSP and escapes what it echoes back', async () => {
    const request = await authorizeRequest(env.config, CUSTOM_REDIRECT);
    const authorize = await fetch(request.url, { redirect: 'manual' });
    assert.equal(authorize.status, 303);
    const location = authorize.headers.get('location');
    assert.match(location ?? '', /^\/interaction\/[A-Za-z0-9_-]+$/);
    const cookie = authorize.headers
      .getSetCookie()
      .map((c) => c.split(';')[0])
      .join('; ');
    const loginUrl = new URL(location ?? '', env.provider.issuer);

    const page = await fetch(loginUrl, { headers: { cookie } });
    assert.equal(page.status, 200);
    assert.match(page.headers.get('content-type') ?? '', /^text\/html/);
    const csp = page.headers.get('content-security-policy') ?? '';
    assert.match(csp, /default-src 'none'/);
    assert.match(csp, /style-src 'unsafe-inline'/);
    // Chromium applies form-action to the redirects after the POST, so the app's redirect targets are listed.
    assert.ok(csp.includes(`form-action 'self' ${APP_IDENTITY.urlScheme}: http://127.0.0.1:*`), csp);
    const html = await page.text();
    assert.match(html, /<label for="username">Username<\/label>/);
    assert.match(html, /<label for="password">Password<\/label>/);
    assert.match(html, /<button type="submit">Sign in<\/button>/);
    assert.match(html, /<button type="submit">Cancel<\/button>/);
    assert.doesNotMatch(html, /<script|\ssrc=|<link|@import|https?:\/\//i);

    const hostile = '"><script>alert(1)</script>';
    const retry = await fetch(new URL(`${loginUrl.pathname}/login`, env.provider.issuer), {
      method: 'POST',
      headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ username: hostile, password: 'nope' }).toString(),
      redirect: 'manual',
    });
    assert.equal(retry.status, 200);
    const retried = await retry.text();
    assert.match(retried, /role="alert"[^>]*>Wrong username or password\.</);
    assert.ok(retried.includes('value="&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;"'), retried);
    assert.doesNotMatch(retried, /<script/i);
  });

  test('setDown(true) answers every request with 503 and records it; setDown(false) recovers', async () => {
    const discoveryUrl = `${env.provider.issuer}/.well-known/openid-configuration`;
    env.provider.resetRequests();
    env.provider.setDown(true);
    try {
      const down = await fetch(discoveryUrl);
      assert.equal(down.status, 503);
      await down.body?.cancel();
      await assert.rejects(env.provider.introspect('anything'), /HTTP 503/);
      await assert.rejects(
        discovery(new URL(env.provider.issuer), env.provider.clientId, undefined, None(), { execute: [allowInsecureRequests] }),
      );
    } finally {
      env.provider.setDown(false);
    }
    assert.ok(env.provider.requests.length >= 3, 'requests made while down are still recorded');
    assert.deepEqual(env.provider.requests[0], { method: 'GET', path: '/.well-known/openid-configuration' });
    const up = await fetch(discoveryUrl);
    assert.equal(up.status, 200);
    await up.body?.cancel();
  });
});

describe('sign-in through the system browser (custom scheme)', () => {
  const env = useEnv({ browser: true, provider: { accessTokenTtl: 5 } });

  test('signs in without prompt=consent and gets access, ID and refresh tokens', async () => {
    const request = await authorizeRequest(env.config, CUSTOM_REDIRECT);
    assert.equal(new URL(request.url).searchParams.get('prompt'), null);
    env.provider.resetRequests();

    const callback = await env.browser.signIn(request.url, { redirectPrefix: `${APP_IDENTITY.urlScheme}:` });

    assert.ok(callback.startsWith(`${CUSTOM_REDIRECT}?`), `the callback goes to ${callback.split('?')[0]} (its query, code and state, not shown)`);
    const params = new URL(callback).searchParams;
    assert.ok(params.get('code'), 'the callback carries a code');
    assertSecretEqual(params.get('state'), request.state, 'the callback carries the state of the request');
    assert.equal(params.get('iss'), env.provider.issuer);
    assert.match(await env.browser.lastPageText(), /Return to the app/);
    // One login page, one automatic consent hop, never a consent page for the user.
    const interactionGets = env.provider.requests.filter((r) => r.method === 'GET' && r.path.startsWith('/interaction/'));
    assert.equal(interactionGets.length, 2, JSON.stringify(env.provider.requests.map((r) => `${r.method} ${r.path.split('?')[0]}`)));

    const tokens = await redeem(env.config, request, callback);
    assert.ok(tokens.access_token);
    assert.equal(tokens.token_type.toLowerCase(), 'bearer');
    assert.ok(tokens.expires_in !== undefined && tokens.expires_in <= 5, `expires_in ${tokens.expires_in}`);
    assert.ok(tokens.refresh_token, 'a refresh token is issued for offline_access without prompt=consent');
    assert.deepEqual(new Set(tokens.scope?.split(' ')), new Set(SCOPE.split(' ')));

    const claims = tokens.claims();
    assert.ok(claims);
    assert.equal(claims.sub, 'demo-user-1');
    assert.equal(claims['name'], 'Dana Demo');
    assert.equal(claims['email'], 'dana@example.test');
    assert.equal(claims['email_verified'], true);
    assertSecretEqual(claims.nonce, request.nonce, 'the ID token carries the nonce of the request');

    // openid-client does not check the ID token signature from the token endpoint: check it here.
    assert.ok(tokens.id_token);
    const jwks = createRemoteJWKSet(new URL(`${env.provider.issuer}/jwks`));
    const verified = await jwtVerify(tokens.id_token, jwks, { issuer: env.provider.issuer, audience: env.provider.clientId });
    assert.equal(verified.protectedHeader.alg, 'RS256');
    assert.ok(verified.protectedHeader.kid?.startsWith('dev-'));
  });

  test('without offline_access there is no refresh token', async () => {
    const request = await authorizeRequest(env.config, CUSTOM_REDIRECT, 'openid profile email');
    const callback = await env.browser.signIn(request.url, { redirectPrefix: `${APP_IDENTITY.urlScheme}:` });
    const tokens = await redeem(env.config, request, callback);
    assert.ok(tokens.access_token);
    assert.equal(tokens.refresh_token, undefined);
    assert.deepEqual(new Set(tokens.scope?.split(' ')), new Set(['openid', 'profile', 'email']));
  });

  test('the refresh grant rotates the refresh token; the old one then fails with invalid_grant', async () => {
    const first = await signInForTokens(env);
    assert.ok(first.refresh_token);

    const second = await refreshTokenGrant(env.config, first.refresh_token);
    assert.ok(second.access_token);
    assertSecretNotEqual(second.access_token, first.access_token, 'a new access token');
    assert.ok(second.refresh_token);
    assertSecretNotEqual(second.refresh_token, first.refresh_token, 'a new refresh token (rotation)');
    assert.equal(second.claims()?.sub, 'demo-user-1');

    await rejectsWithOAuthError(refreshTokenGrant(env.config, first.refresh_token), 'invalid_grant');
    // Reuse of a rotated token is treated as theft: the newest one is revoked with it.
    await rejectsWithOAuthError(refreshTokenGrant(env.config, second.refresh_token), 'invalid_grant');
    assert.ok(
      env.errors.some((e) => e.startsWith('grant.error: invalid_grant')),
      `grant.error is reported with its detail: ${env.errors.join(' | ')}`,
    );
  });
});

describe('sign-in through the system browser (loopback)', () => {
  const env = useEnv({ browser: true });
  let listener: Server;
  let port = 0;
  const received: string[] = [];

  before(async () => {
    listener = createServer((req, res) => {
      received.push(req.url ?? '');
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end('<!doctype html><title>OIDC Desktop</title><p>Signed in. You can close this tab.</p>');
    });
    await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
    port = (listener.address() as AddressInfo).port;
  });
  after(async () => {
    listener.closeAllConnections();
    await new Promise<void>((resolve) => listener.close(() => resolve()));
  });

  test('the browser reaches the app listener on any 127.0.0.1 port with a code', async () => {
    const redirectUri = `http://127.0.0.1:${port}/callback`;
    const request = await authorizeRequest(env.config, redirectUri);

    const final = await env.browser.signIn(request.url, { redirectPrefix: redirectUri });

    const url = new URL(final);
    assert.equal(`${url.origin}${url.pathname}`, redirectUri);
    assert.ok(url.searchParams.get('code'));
    assertSecretEqual(url.searchParams.get('state'), request.state, 'the callback carries the state of the request');
    assert.equal(url.searchParams.get('iss'), env.provider.issuer);
    // Chromium also asks the listener for /favicon.ico; the app must answer it without treating it as a callback.
    const callbacks = received.filter((path) => path.startsWith('/callback'));
    assertSecretDeepEqual(callbacks, [`${url.pathname}${url.search}`], 'the listener received this one callback');
    assert.match(await env.browser.lastPageText(), /Signed in\. You can close this tab\./);

    const tokens = await redeem(env.config, request, final);
    assert.ok(tokens.access_token);
    assert.ok(tokens.refresh_token);
  });
});

describe('denials', () => {
  const env = useEnv({ browser: true });

  test('a wrong password shows an error on the login page and does not redirect', async () => {
    const request = await authorizeRequest(env.config, CUSTOM_REDIRECT);
    env.provider.resetRequests();

    await assert.rejects(
      env.browser.signIn(request.url, { redirectPrefix: `${APP_IDENTITY.urlScheme}:`, password: 'wrong', timeoutMs: 10_000 }),
      (error: unknown) => {
        assert.ok(error instanceof SignInRejectedError, String(error));
        assert.equal(error.alertText, 'Wrong username or password.');
        assert.match(error.pageUrl, /\/interaction\/[^/]+\/login$/);
        return true;
      },
    );
    const text = await env.browser.lastPageText();
    assert.match(text, /Sign in/);
    assert.match(text, /Wrong username or password\./);
    const paths = env.provider.requests.map((r) => `${r.method} ${r.path}`);
    assert.ok(paths.some((p) => /^POST \/interaction\/[^/]+\/login$/.test(p)), paths.join(', '));
    assert.ok(!paths.some((p) => p.startsWith('GET /auth/')), `no resumed authorization: ${paths.join(', ')}`);
  });

  test('Cancel redirects with error=access_denied, the state and iss', async () => {
    const request = await authorizeRequest(env.config, CUSTOM_REDIRECT);

    const callback = await env.browser.signIn(request.url, { redirectPrefix: `${APP_IDENTITY.urlScheme}:`, action: 'cancel' });

    const params = new URL(callback).searchParams;
    assert.ok(callback.startsWith(`${CUSTOM_REDIRECT}?`), `the callback goes to ${callback.split('?')[0]} (its query, code and state, not shown)`);
    assert.equal(params.get('error'), 'access_denied');
    assert.equal(params.get('error_description'), 'The user cancelled the sign-in.');
    assertSecretEqual(params.get('state'), request.state, 'the callback carries the state of the request');
    assert.equal(params.get('iss'), env.provider.issuer);
    assert.equal(params.get('code'), null);
    await assert.rejects(redeem(env.config, request, callback), (error: unknown) => {
      assert.ok(error instanceof AuthorizationResponseError, String(error));
      assert.equal(error.error, 'access_denied');
      return true;
    });
  });
});

describe('token state: introspection, revocation, revokeAllGrants', () => {
  const env = useEnv({ browser: true, provider: { accessTokenTtl: 5 } });

  test('introspect says active for a fresh access token and inactive after revocation', async () => {
    const tokens = await signInForTokens(env);

    const fresh = await env.provider.introspect(tokens.access_token);
    assert.equal(fresh.active, true);
    assert.equal(fresh['client_id'], env.provider.clientId);
    assert.equal(fresh['sub'], 'demo-user-1');
    assert.equal(fresh['token_type'], 'Bearer');
    assert.equal(Number(fresh['exp']) - Number(fresh['iat']), 5);

    await tokenRevocation(env.config, tokens.access_token, { token_type_hint: 'access_token' });
    const revoked = await env.provider.introspect(tokens.access_token);
    assert.equal(revoked.active, false);
  });

  test('revokeAllGrants makes the refresh token fail with invalid_grant', async () => {
    const tokens = await signInForTokens(env);
    assert.ok(tokens.refresh_token);
    const refreshed = await refreshTokenGrant(env.config, tokens.refresh_token);
    assert.ok(refreshed.refresh_token);

    await env.provider.revokeAllGrants();

    await rejectsWithOAuthError(refreshTokenGrant(env.config, refreshed.refresh_token), 'invalid_grant');
    assert.equal((await env.provider.introspect(refreshed.access_token)).active, false);
  });
});
