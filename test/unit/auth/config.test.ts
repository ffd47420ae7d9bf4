import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { DEFAULT_SCOPES, loadConfig, redirectModeOf, validateConfig } from '../../../main/auth/config';
import { AuthError } from '../../../main/auth/errors';

const valid = { issuer: 'https://login.example.com', clientId: 'desktop', redirectUri: 'com.example.desktop:/callback' };

function problemsOf(raw: Record<string, unknown>): string {
  try {
    validateConfig(raw);
  } catch (error) {
    assert.ok(error instanceof AuthError);
    assert.equal(error.code, 'config_invalid');
    return error.message;
  }
  assert.fail('expected the configuration to be refused');
}

describe('validateConfig', () => {
  it('accepts a minimal configuration and fills the default scopes', () => {
    const config = validateConfig(valid);
    assert.deepEqual(config.scopes, DEFAULT_SCOPES);
    assert.deepEqual(config.scopes, ['openid', 'profile', 'email', 'offline_access']);
    assert.equal(config.endSessionInBrowser, true);
    assert.deepEqual(config.authorizeParams, {});
  });

  it('refuses an issuer that is not an absolute URL, naming the field', () => {
    assert.match(problemsOf({ ...valid, issuer: 'login.example.com' }), /issuer: "login\.example\.com" is not an absolute URL/);
  });

  it('refuses an http issuer that is not loopback', () => {
    assert.match(problemsOf({ ...valid, issuer: 'http://login.example.com' }), /issuer: .*uses http\. Only https/);
  });

  for (const host of ['127.0.0.1:8080', '[::1]:8080', 'localhost:8080']) {
    it(`accepts an http issuer on loopback ${host}`, () => {
      assert.equal(validateConfig({ ...valid, issuer: `http://${host}` }).issuer, `http://${host}`);
    });
  }

  it('refuses an issuer with a query or fragment', () => {
    assert.match(problemsOf({ ...valid, issuer: 'https://login.example.com/?tenant=a' }), /issuer: .*must not contain a query/);
  });

  it('refuses a missing clientId and says where to get one', () => {
    assert.match(problemsOf({ ...valid, clientId: '' }), /clientId: is missing\. Register a native \(public\) client/);
    assert.match(problemsOf({ issuer: valid.issuer, redirectUri: valid.redirectUri }), /clientId: is missing/);
  });

  it('refuses a redirect scheme that is not reverse-DNS', () => {
    assert.match(problemsOf({ ...valid, redirectUri: 'myapp:/callback' }), /redirectUri: the scheme "myapp" is not reverse-DNS.*com\.yourcompany\.yourapp:\/callback/);
  });

  it('refuses a loopback redirect on "localhost" (RFC 8252 §8.3)', () => {
    assert.match(problemsOf({ ...valid, redirectUri: 'http://localhost/callback' }), /redirectUri: .*literal address 127\.0\.0\.1/);
  });

  it('refuses an https redirect and a redirect with a query', () => {
    assert.match(problemsOf({ ...valid, redirectUri: 'https://app.example.com/cb' }), /redirectUri: .*https redirects/);
    assert.match(problemsOf({ ...valid, redirectUri: 'com.example.desktop:/callback?x=1' }), /redirectUri: .*query/);
  });

  it('tells the two redirect modes apart', () => {
    assert.equal(redirectModeOf(validateConfig(valid)).kind, 'custom-scheme');
    const loopback = redirectModeOf(validateConfig({ ...valid, redirectUri: 'http://127.0.0.1/callback' }));
    assert.equal(loopback.kind, 'loopback');
    assert.equal(loopback.uri.port, '');
  });

  it('refuses scopes without openid, or with spaces', () => {
    assert.match(problemsOf({ ...valid, scopes: ['profile'] }), /scopes: must include "openid"/);
    assert.match(problemsOf({ ...valid, scopes: ['openid profile'] }), /scopes: must be a list of scope names without spaces/);
  });

  it('refuses authorize parameters that would override the protocol', () => {
    for (const name of ['state', 'nonce', 'code_challenge', 'code_challenge_method', 'redirect_uri', 'response_type', 'client_id', 'scope']) {
      assert.match(problemsOf({ ...valid, authorizeParams: { [name]: 'x' } }), new RegExp(`authorizeParams: "${name}" is set by the app itself`));
    }
    assert.deepEqual(validateConfig({ ...valid, authorizeParams: { audience: 'https://api.example.com' } }).authorizeParams, { audience: 'https://api.example.com' });
  });

  it('refuses API base URLs that are not https (except loopback)', () => {
    assert.match(problemsOf({ ...valid, apiBaseUrls: ['http://api.example.com/'] }), /apiBaseUrls: /);
    assert.deepEqual(validateConfig({ ...valid, apiBaseUrls: ['https://api.example.com/v1/', 'http://127.0.0.1:9/x'] }).apiBaseUrls, ['https://api.example.com/v1/', 'http://127.0.0.1:9/x']);
  });

  it('reports every problem at once', () => {
    const message = problemsOf({ issuer: 'nope', clientId: '', redirectUri: 'app:/cb' });
    assert.match(message, /issuer: /);
    assert.match(message, /clientId: /);
    assert.match(message, /redirectUri: /);
  });
});

describe('loadConfig', () => {
  it('reads the file, lets the environment win per field, and validates', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'config-test-'));
    try {
      const file = join(dir, 'config.json');
      await writeFile(file, JSON.stringify({ ...valid, scopes: ['openid'] }));
      const config = await loadConfig({ file, env: { OIDC_CLIENT_ID: 'from-env', OIDC_AUTHORIZE_PARAMS: 'audience=https%3A%2F%2Fapi.example.com' } });
      assert.ok(config);
      assert.equal(config.clientId, 'from-env');
      assert.equal(config.issuer, valid.issuer);
      assert.deepEqual(config.scopes, ['openid']);
      assert.deepEqual(config.authorizeParams, { audience: 'https://api.example.com' });
    } finally {
      await rm(dir, { recursive: true });
    }
  });

  it('returns undefined when nothing is configured (the app then uses the development provider)', async () => {
    assert.equal(await loadConfig({ file: '/nonexistent/config.json', env: {} }), undefined);
  });

  // Issue 10 (High): a partial configuration is an error naming what is missing, never "nothing configured".
  it('refuses a configuration that sets only OIDC_API_BASE_URLS, naming the missing fields', async () => {
    await assert.rejects(
      loadConfig({ file: '/nonexistent/config.json', env: { OIDC_API_BASE_URLS: 'https://api.example.com/' } }),
      (error: AuthError) =>
        error.code === 'config_invalid' && /issuer: is missing/.test(error.message) && /clientId: is missing/.test(error.message) && /redirectUri: is missing/.test(error.message),
    );
  });

  it('refuses an issuer without a client id, naming clientId', async () => {
    await assert.rejects(
      loadConfig({ env: { OIDC_ISSUER: 'https://login.example.com', OIDC_REDIRECT_URI: 'com.example.desktop:/callback' } }),
      (error: AuthError) => error.code === 'config_invalid' && /clientId: is missing/.test(error.message) && !/issuer: is missing/.test(error.message),
    );
  });

  it('refuses a configuration file that names no provider (an empty object)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'config-test-'));
    try {
      const file = join(dir, 'config.json');
      await writeFile(file, '{"scopes": ["openid"]}');
      await assert.rejects(loadConfig({ file, env: {} }), (error: AuthError) => error.code === 'config_invalid' && /issuer: is missing/.test(error.message));
    } finally {
      await rm(dir, { recursive: true });
    }
  });

  it('does not count a field listed in ignoredWhenAlone as a configuration on its own', async () => {
    assert.equal(await loadConfig({ env: { OIDC_REDIRECT_URI: 'http://127.0.0.1/callback' }, ignoredWhenAlone: ['redirectUri'] }), undefined);
    await assert.rejects(
      loadConfig({ env: { OIDC_REDIRECT_URI: 'http://127.0.0.1/callback', OIDC_SCOPES: 'openid' }, ignoredWhenAlone: ['redirectUri'] }),
      (error: AuthError) => error.code === 'config_invalid' && /issuer: is missing/.test(error.message),
    );
    // With a provider named, the field is used as usual.
    const config = await loadConfig({
      env: { OIDC_ISSUER: 'https://login.example.com', OIDC_CLIENT_ID: 'desktop', OIDC_REDIRECT_URI: 'http://127.0.0.1/callback' },
      ignoredWhenAlone: ['redirectUri'],
    });
    assert.equal(config?.redirectUri, 'http://127.0.0.1/callback');
  });

  it('names the file when it is not JSON', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'config-test-'));
    try {
      const file = join(dir, 'config.json');
      await writeFile(file, '{ issuer: ');
      await assert.rejects(loadConfig({ file, env: {} }), (error: AuthError) => error.code === 'config_invalid' && error.message.includes(file));
    } finally {
      await rm(dir, { recursive: true });
    }
  });

  it('validates environment-only configuration too', async () => {
    await assert.rejects(loadConfig({ env: { OIDC_ISSUER: 'http://evil.example.com', OIDC_CLIENT_ID: 'x', OIDC_REDIRECT_URI: 'com.example.desktop:/callback' } }), /issuer: .*uses http/);
  });
});
