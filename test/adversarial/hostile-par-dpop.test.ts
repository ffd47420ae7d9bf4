/**
 * The hostile provider's PAR and DPoP behaviour, checked with openid-client
 * alone: a correct PAR/DPoP server by default, and each scripted quirk does
 * what the core's tests rely on it to do.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as oidc from 'openid-client';
import { DpopKey } from '../../main/auth/dpop-key';
import { sendJson, startHostileProvider, type HostileProvider, type HostileScript } from '../support/hostile-provider';

const REDIRECT = 'com.example.desktop:/callback';
const OFFER: HostileScript['offer'] = { par: true, dpopAlgs: ['ES256'] };

let provider: HostileProvider;
before(async () => {
  provider = await startHostileProvider();
});
after(() => provider.close());

async function configuration(): Promise<oidc.Configuration> {
  return oidc.discovery(new URL(provider.issuer), provider.clientId, undefined, oidc.None(), { execute: [oidc.allowInsecureRequests] });
}

/** Push (with the key's proof), authorize, and redeem with the key. */
async function signIn(config: oidc.Configuration, key: DpopKey | undefined) {
  const verifier = oidc.randomPKCECodeVerifier();
  const state = oidc.randomState();
  const nonce = oidc.randomNonce();
  const handle = key?.handle(config);
  const url = await oidc.buildAuthorizationUrlWithPAR(
    config,
    { redirect_uri: REDIRECT, scope: 'openid offline_access', state, nonce, code_challenge: await oidc.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256', ...(key ? { dpop_jkt: await key.thumbprint(config) } : {}) },
    handle ? { DPoP: handle } : undefined,
  );
  const authorization = provider.authorize(url.href);
  const tokens = await oidc.authorizationCodeGrant(config, new URL(authorization.callback), { pkceCodeVerifier: verifier, expectedState: state, expectedNonce: nonce, idTokenExpected: true }, undefined, handle ? { DPoP: handle } : undefined);
  return { url, authorization, tokens, handle };
}

describe('hostile provider: PAR and DPoP', () => {
  it('offers nothing unless scripted', async () => {
    provider.reset();
    const metadata = (await configuration()).serverMetadata();
    assert.equal(metadata.pushed_authorization_request_endpoint, undefined);
    assert.equal(metadata.dpop_signing_alg_values_supported, undefined);
  });

  it('a correct PAR + DPoP server: pushed parameters, code and tokens bound to the key, bearer use and a foreign key refused', async () => {
    provider.reset();
    provider.script = { offer: OFFER };
    const config = await configuration();
    const key = await DpopKey.generate('ES256');
    const jkt = await key.thumbprint(config);
    const { url, authorization, tokens } = await signIn(config, key);
    assert.deepEqual([...url.searchParams.keys()].sort(), ['client_id', 'request_uri']);
    assert.equal(authorization.pushed, true);
    assert.equal(authorization.dpopJkt, jkt);
    assert.equal(tokens.token_type, 'dpop');
    assert.equal(provider.boundKeyOf(tokens.access_token), jkt);
    assert.equal(provider.boundKeyOf(tokens.refresh_token ?? ''), jkt);
    assert.deepEqual(provider.dpopProofs.map((p) => p.path), ['/par', '/token']);
    assert.equal((await oidc.fetchUserInfo(config, tokens.access_token, provider.subject, { DPoP: key.handle(config) })).sub, provider.subject);
    const api = await oidc.fetchProtectedResource(config, tokens.access_token, new URL(`${provider.issuer}/api/items`), 'GET', undefined, undefined, { DPoP: key.handle(config) });
    assert.equal(((await api.json()) as { scheme: string }).scheme, 'DPoP');
    await assert.rejects(oidc.fetchUserInfo(config, tokens.access_token, provider.subject), (e: unknown) => e instanceof oidc.WWWAuthenticateChallengeError && e.status === 401);
    const thief = await DpopKey.generate('ES256');
    await assert.rejects(oidc.refreshTokenGrant(config, tokens.refresh_token ?? '', undefined, { DPoP: thief.handle(config) }), (e: unknown) => e instanceof oidc.ResponseBodyError && e.error === 'invalid_grant');
    await assert.rejects(oidc.refreshTokenGrant(config, tokens.refresh_token ?? ''), (e: unknown) => e instanceof oidc.ResponseBodyError && e.error === 'invalid_grant');
  });

  it('nonce challenges from the authorization server and from a resource server, answered once each', async () => {
    provider.reset();
    provider.script = { offer: OFFER, dpop: { nonce: { server: 'both' } } };
    const config = await configuration();
    const key = await DpopKey.generate('ES256');
    const { tokens } = await signIn(config, key);
    assert.deepEqual(provider.nonceChallenges, ['/par'], 'the token request reused the nonce learnt at the push');
    await oidc.fetchUserInfo(config, tokens.access_token, provider.subject, { DPoP: key.handle(config) });
    assert.deepEqual(provider.nonceChallenges, ['/par', '/userinfo']);
  });

  it('refused proofs, Bearer answered to a proof, DPoP answered to none, and a failing push', async () => {
    provider.reset();
    provider.script = { offer: OFFER, dpop: { rejectProofs: 'authorization-server' } };
    const config = await configuration();
    const key = await DpopKey.generate('ES256');
    await assert.rejects(signIn(config, key), (e: unknown) => e instanceof oidc.ResponseBodyError && e.error === 'invalid_dpop_proof');

    provider.script = { offer: OFFER, tokenResponse: (body) => ({ ...body, token_type: 'Bearer' }) };
    const bearer = await signIn(config, key);
    assert.equal(bearer.tokens.token_type, 'bearer');
    assert.equal(provider.boundKeyOf(bearer.tokens.access_token), undefined, 'a token answered as Bearer is a bearer token');
    assert.equal(provider.boundKeyOf(bearer.tokens.refresh_token ?? ''), await key.thumbprint(config), 'the refresh token is still bound (§5)');

    provider.script = { offer: OFFER, tokenResponse: (body) => ({ ...body, token_type: 'DPoP' }) };
    const unproven = await signIn(config, undefined);
    assert.equal(unproven.tokens.token_type, 'dpop', 'the provider claims DPoP although no proof was sent');

    provider.script = { offer: OFFER, par: (_req, res) => sendJson(res, 400, { error: 'invalid_request', error_description: 'pushed request refused' }) };
    await assert.rejects(signIn(config, undefined), (e: unknown) => e instanceof oidc.ResponseBodyError && e.error === 'invalid_request');
  });
});
