import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CONFIG_ENV, loadConfig, validateConfig } from '../../../main/auth/config';

const BASE = { issuer: 'https://login.example.com', clientId: 'desktop', redirectUri: 'com.example.desktop:/callback' };

describe('configuration: par and dpop', () => {
  it('default to auto', () => {
    const config = validateConfig(BASE);
    assert.equal(config.par, 'auto');
    assert.equal(config.dpop, 'auto');
  });

  it('accept auto, always and never', () => {
    for (const value of ['auto', 'always', 'never'] as const) {
      const config = validateConfig({ ...BASE, par: value, dpop: value });
      assert.equal(config.par, value);
      assert.equal(config.dpop, value);
    }
  });

  it('refuse anything else, naming both fields and the allowed values in one error', () => {
    assert.throws(
      () => validateConfig({ ...BASE, par: 'yes', dpop: true }),
      (error: { code?: string; message?: string }) =>
        error.code === 'config_invalid' && /^- par: must be one of "auto", "always", "never"/m.test(error.message ?? '') && /^- dpop: must be one of "auto", "always", "never"/m.test(error.message ?? ''),
    );
  });

  it('dpop_jkt cannot be set through authorizeParams: the core binds the code itself', () => {
    assert.throws(() => validateConfig({ ...BASE, authorizeParams: { dpop_jkt: 'x' } }), (error: { message?: string }) => /"dpop_jkt" is set by the app itself/.test(error.message ?? ''));
  });

  it('read OIDC_PAR and OIDC_DPOP from the environment, over the file', async () => {
    assert.equal(CONFIG_ENV.par, 'OIDC_PAR');
    assert.equal(CONFIG_ENV.dpop, 'OIDC_DPOP');
    const config = await loadConfig({ env: { OIDC_ISSUER: BASE.issuer, OIDC_CLIENT_ID: BASE.clientId, OIDC_REDIRECT_URI: BASE.redirectUri, OIDC_PAR: 'never', OIDC_DPOP: 'always' } });
    assert.equal(config?.par, 'never');
    assert.equal(config?.dpop, 'always');
    await assert.rejects(loadConfig({ env: { OIDC_ISSUER: BASE.issuer, OIDC_CLIENT_ID: BASE.clientId, OIDC_REDIRECT_URI: BASE.redirectUri, OIDC_DPOP: 'sometimes' } }), (error: { code?: string }) => error.code === 'config_invalid');
  });
});
