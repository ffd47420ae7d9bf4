import assert from 'node:assert/strict';
import { inspect } from 'node:util';
import { describe, it } from 'node:test';
import { validateConfig } from '../../../main/auth/config';
import { FLOW_LIFETIME_MS, PendingFlow, vaultKey } from '../../../main/auth/pending-flow';
import { TokenSet } from '../../../main/auth/token-set';
import { assertNoSecret, assertSecretEqual } from '../../support/secret-assert';

const config = validateConfig({ issuer: 'https://idp.example.com', clientId: 'desktop', redirectUri: 'com.example.desktop:/callback' });
const flow = new PendingFlow({ state: 'st', nonce: 'no', verifier: 'VERIFIER-SECRET', redirectUri: new URL(config.redirectUri), issuer: config.issuer, clientId: config.clientId, createdAt: 1_000 });

describe('PendingFlow', () => {
  it('keeps the verifier out of JSON and inspection', () => {
    assert.ok(!JSON.stringify(flow).includes('VERIFIER-SECRET'));
    assert.ok(!inspect(flow, { depth: 5, showHidden: true }).includes('VERIFIER-SECRET'));
    assertSecretEqual(flow.verifier, 'VERIFIER-SECRET', 'the verifier is still readable by the core');
  });

  it('expires after 10 minutes, and when the clock runs backwards', () => {
    assert.equal(flow.isExpired(1_000 + FLOW_LIFETIME_MS - 1), false);
    assert.equal(flow.isExpired(1_000 + FLOW_LIFETIME_MS), true);
    assert.equal(flow.isExpired(1_000 - 120_000), true);
  });

  it('round-trips through persist/restore for the same issuer and client only', () => {
    const restored = PendingFlow.restore(flow.persist(), config);
    assert.ok(restored);
    assertSecretEqual(restored.verifier, 'VERIFIER-SECRET', 'the restored verifier');
    assertSecretEqual(restored.state, 'st', 'the restored state');
    assert.equal(restored.redirectUri.href, 'com.example.desktop:/callback');
    assert.equal(PendingFlow.restore(flow.persist(), { ...config, clientId: 'other' }), undefined);
    assert.equal(PendingFlow.restore(flow.persist(), { ...config, issuer: 'https://other.example.com' }), undefined);
    assert.equal(PendingFlow.restore('not json', config), undefined);
    assert.equal(PendingFlow.restore('{"v":2}', config), undefined);
    assert.equal(PendingFlow.restore(null, config), undefined);
  });

  it('binds vault keys to issuer and client', () => {
    assert.notEqual(vaultKey('refresh-token', config), vaultKey('refresh-token', { ...config, clientId: 'other' }));
    assert.notEqual(vaultKey('refresh-token', config), vaultKey('pending-flow', config));
  });
});

describe('TokenSet', () => {
  it('never prints a token', () => {
    const tokens = new TokenSet({ accessToken: 'AT-SECRET', idToken: 'IDT-SECRET', refreshToken: 'RT-SECRET', user: { sub: 's' }, expiresAt: 2, issuedAt: 1 });
    const shown = `${JSON.stringify(tokens)} ${inspect(tokens, { showHidden: true, depth: 5 })} ${String(tokens)}`;
    assertNoSecret(shown, ['AT-SECRET', 'IDT-SECRET', 'RT-SECRET'], 'no token in JSON, inspect or String');
    assertSecretEqual(tokens.accessToken, 'AT-SECRET', 'the access token is still readable by the core');
  });
});
