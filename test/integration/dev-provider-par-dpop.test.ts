/**
 * The development provider's PAR (RFC 9126) and DPoP (RFC 9449) modes,
 * driven with openid-client and Chromium, checked through its discovery
 * document and its introspection (cnf.jkt).
 * Run: npm test -- test/integration/dev-provider-par-dpop.test.ts
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import * as oidc from 'openid-client';
import { DpopKey } from '../../main/auth/dpop-key';
import { startDevProvider, type DevProvider, type DevProviderOptions } from '../../main/dev-provider/dev-provider';
import { assertSecretEqual } from '../support/secret-assert';
import { launchSystemBrowser, type SystemBrowser } from '../support/system-browser';
import { APP_IDENTITY } from '../../main/app-identity';

const REDIRECT = APP_IDENTITY.defaultRedirectUri;
const SCOPE = 'openid profile email offline_access';

interface Env {
  provider: DevProvider;
  config: oidc.Configuration;
  browser: SystemBrowser | undefined;
  errors: string[];
}

function useProvider(options: DevProviderOptions, withBrowser: boolean): () => Env {
  let env: Env | undefined;
  before(async () => {
    const errors: string[] = [];
    const provider = await startDevProvider({ ...options, onError: (message) => errors.push(message) });
    const config = await oidc.discovery(new URL(provider.issuer), provider.clientId, undefined, oidc.None(), { execute: [oidc.allowInsecureRequests] });
    env = { provider, config, browser: withBrowser ? await launchSystemBrowser() : undefined, errors };
  });
  after(async () => {
    await env?.browser?.close();
    await env?.provider.close();
  });
  return () => {
    assert.ok(env, 'the provider was not started');
    return env;
  };
}

async function metadataOf(provider: DevProvider): Promise<Record<string, unknown>> {
  const response = await fetch(`${provider.issuer}/.well-known/openid-configuration`);
  return (await response.json()) as Record<string, unknown>;
}

/** One full sign-in of the demo user: pushed or not, DPoP-bound or not. */
async function signIn(env: Env, options: { par: boolean; dpop: DpopKey | undefined }) {
  const verifier = oidc.randomPKCECodeVerifier();
  const state = oidc.randomState();
  const nonce = oidc.randomNonce();
  const handle = options.dpop?.handle(env.config);
  const params: Record<string, string> = {
    redirect_uri: REDIRECT,
    scope: SCOPE,
    state,
    nonce,
    code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    ...(options.dpop ? { dpop_jkt: await options.dpop.thumbprint(env.config) } : {}),
  };
  const url = options.par ? await oidc.buildAuthorizationUrlWithPAR(env.config, params, handle ? { DPoP: handle } : undefined) : oidc.buildAuthorizationUrl(env.config, params);
  if (options.par) assert.deepEqual([...url.searchParams.keys()].sort(), ['client_id', 'request_uri']);
  assert.ok(env.browser);
  const callback = await env.browser.signIn(url.href, { redirectPrefix: `${APP_IDENTITY.urlScheme}:` });
  const tokens = await oidc.authorizationCodeGrant(env.config, new URL(callback), { pkceCodeVerifier: verifier, expectedState: state, expectedNonce: nonce, idTokenExpected: true }, undefined, handle ? { DPoP: handle } : undefined);
  return tokens;
}

describe('development provider: PAR and DPoP advertised by default', () => {
  const env = useProvider({}, true);

  test('discovery lists the PAR endpoint (not required) and the DPoP algorithms', async () => {
    const metadata = await metadataOf(env().provider);
    assert.equal(metadata['pushed_authorization_request_endpoint'], `${env().provider.issuer}/request`);
    assert.notEqual(metadata['require_pushed_authorization_requests'], true, 'PAR offered, not required');
    assert.ok(Array.isArray(metadata['dpop_signing_alg_values_supported']) && metadata['dpop_signing_alg_values_supported'].includes('ES256'));
  });

  test('PAR + DPoP: a refresh token still comes with offline_access, and both tokens are bound to the key (cnf.jkt)', async () => {
    const key = await DpopKey.generate('ES256');
    const jkt = await key.thumbprint(env().config);
    const tokens = await signIn(env(), { par: true, dpop: key });
    assert.equal(tokens.token_type, 'dpop');
    assert.ok(tokens.refresh_token, 'offline_access survives the push');
    const access = await env().provider.introspect(tokens.access_token);
    assert.equal(access.active, true);
    assert.equal(access['token_type'], 'DPoP');
    assertSecretEqual((access['cnf'] as { jkt?: string } | undefined)?.jkt, jkt, 'the access token is bound to the key');
    const refresh = await env().provider.introspect(tokens.refresh_token);
    assertSecretEqual((refresh['cnf'] as { jkt?: string } | undefined)?.jkt, jkt, 'the refresh token of a public client is bound to the key (§5)');

    // A thief with the tokens alone: the refresh token without a proof, the access token as bearer.
    await assert.rejects(oidc.refreshTokenGrant(env().config, tokens.refresh_token), (error: unknown) => error instanceof oidc.ResponseBodyError && error.error === 'invalid_grant');
    await assert.rejects(oidc.fetchUserInfo(env().config, tokens.access_token, oidc.skipSubjectCheck), (error: unknown) => error instanceof oidc.WWWAuthenticateChallengeError && error.status === 401);
    // Another key's proof is no better.
    const thief = await DpopKey.generate('ES256');
    await assert.rejects(oidc.refreshTokenGrant(env().config, tokens.refresh_token, undefined, { DPoP: thief.handle(env().config) }), (error: unknown) => error instanceof oidc.ResponseBodyError && error.error === 'invalid_grant');
    // The holder of the key: userinfo works, and so does the refresh.
    const info = await oidc.fetchUserInfo(env().config, tokens.access_token, oidc.skipSubjectCheck, { DPoP: key.handle(env().config) });
    assert.equal(info.sub, 'demo-user-1');
    const refreshed = await oidc.refreshTokenGrant(env().config, tokens.refresh_token, undefined, { DPoP: key.handle(env().config) });
    assert.equal(refreshed.token_type, 'dpop');
    assertSecretEqual(((await env().provider.introspect(refreshed.access_token))['cnf'] as { jkt?: string } | undefined)?.jkt, jkt, 'the refreshed access token is bound to the same key');
  });

  test('without a proof the same provider issues bearer tokens with no cnf', async () => {
    const tokens = await signIn(env(), { par: false, dpop: undefined });
    assert.equal(tokens.token_type, 'bearer');
    assert.ok(tokens.refresh_token);
    const access = await env().provider.introspect(tokens.access_token);
    assert.equal(access['cnf'], undefined);
  });
});

describe('development provider: par "disabled", dpop "disabled"', () => {
  const env = useProvider({ par: 'disabled', dpop: 'disabled' }, false);

  test('discovery lists neither, and a pushed request is not accepted', async () => {
    const metadata = await metadataOf(env().provider);
    assert.equal(metadata['pushed_authorization_request_endpoint'], undefined);
    assert.equal(metadata['dpop_signing_alg_values_supported'], undefined);
    const push = await fetch(`${env().provider.issuer}/request`, { method: 'POST', body: new URLSearchParams({ client_id: env().provider.clientId }) });
    assert.equal(push.status, 404);
  });
});

describe('development provider: par "required"', () => {
  const env = useProvider({ par: 'required' }, true);

  test('discovery says PAR is required, an authorization request in the URL is refused, a pushed one signs in', async () => {
    const metadata = await metadataOf(env().provider);
    assert.equal(metadata['require_pushed_authorization_requests'], true);
    const plain = oidc.buildAuthorizationUrl(env().config, { redirect_uri: REDIRECT, scope: SCOPE, state: 's', code_challenge: await oidc.calculatePKCECodeChallenge(oidc.randomPKCECodeVerifier()), code_challenge_method: 'S256' });
    const refused = await fetch(plain, { redirect: 'manual' });
    const location = new URL(refused.headers.get('location') ?? 'x:/', 'http://invalid');
    assert.equal(location.searchParams.get('error'), 'invalid_request', 'the provider refuses the unpushed request');
    const tokens = await signIn(env(), { par: true, dpop: undefined });
    assert.ok(tokens.refresh_token);
  });
});

describe('development provider: dpop "nonce"', () => {
  const env = useProvider({ dpop: 'nonce' }, true);

  test('every DPoP request is first answered use_dpop_nonce; openid-client retries once with the nonce', async () => {
    const key = await DpopKey.generate('ES256');
    env().provider.resetRequests();
    const tokens = await signIn(env(), { par: true, dpop: key });
    const count = (path: string) => env().provider.requests.filter((r) => r.method === 'POST' && r.path === path).length;
    assert.equal(count('/request'), 2, 'the push: challenged, then accepted');
    assert.equal(count('/token'), 1, 'the token request reuses the nonce learnt at the push (same origin)');
    assert.equal(tokens.token_type, 'dpop');
    const info = await oidc.fetchUserInfo(env().config, tokens.access_token, oidc.skipSubjectCheck, { DPoP: key.handle(env().config) });
    assert.equal(info.sub, 'demo-user-1');
  });
});
