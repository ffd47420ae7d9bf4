import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadConfig } from '../../../main/auth/config';
import { AuthError } from '../../../main/auth/errors';
import { APP_IDENTITY } from '../../../main/app-identity';
import {
  DEFAULT_REDIRECT_URI,
  developmentEnv,
  redirectUriProblem,
  resolveAuthConfig,
  type DevProviderHandle,
  type RedirectTarget,
} from '../../../main/shell/auth-config';
import { createUnavailableAuthService } from '../../../main/shell/unavailable-auth';
import { recordingLogger } from './support';

const CONFIG_FILE = '/nonexistent/userData/oidc-config.json';
/** A development or packaged run on Linux, with the app's own identity: every redirect mode can come back. */
const LINUX: RedirectTarget = { identity: APP_IDENTITY, platform: 'linux', isPackaged: false };
const SCHEME_REDIRECT = APP_IDENTITY.defaultRedirectUri;

function fakeDevProvider(): DevProviderHandle & { closed: number } {
  return {
    issuer: 'http://127.0.0.1:45678',
    clientId: 'oidc-desktop-dev',
    closed: 0,
    close() {
      this.closed++;
    },
  };
}

describe('resolveAuthConfig', () => {
  it('uses the configuration when the environment names a provider, without starting the development provider', async () => {
    let started = 0;
    const setup = await resolveAuthConfig({
      configFile: CONFIG_FILE,
      redirectTarget: LINUX,
      env: { OIDC_ISSUER: 'https://login.example.com', OIDC_CLIENT_ID: 'desktop', OIDC_REDIRECT_URI: SCHEME_REDIRECT },
      loadConfig,
      startDevProvider: async () => (started++, fakeDevProvider()),
      logger: recordingLogger(),
    });
    assert.equal(setup.kind, 'configured');
    assert.equal(setup.kind === 'configured' && setup.config.issuer, 'https://login.example.com');
    assert.equal(setup.kind === 'configured' && setup.devProvider, undefined);
    assert.equal(started, 0);
  });

  it('starts the development provider when nothing is configured, with the custom-scheme redirect', async () => {
    const dev = fakeDevProvider();
    const setup = await resolveAuthConfig({ configFile: CONFIG_FILE, redirectTarget: LINUX, env: {}, loadConfig, startDevProvider: async () => dev, logger: recordingLogger() });
    assert.equal(setup.kind, 'configured');
    if (setup.kind !== 'configured') return;
    assert.equal(setup.config.issuer, dev.issuer);
    assert.equal(setup.config.clientId, 'oidc-desktop-dev');
    assert.equal(setup.config.redirectUri, DEFAULT_REDIRECT_URI);
    assert.equal(setup.devProvider, dev);
  });

  it('uses loopback with the development provider when OIDC_REDIRECT_URI says so', async () => {
    const setup = await resolveAuthConfig({
      configFile: CONFIG_FILE,
      redirectTarget: LINUX,
      env: { OIDC_REDIRECT_URI: 'http://127.0.0.1/callback' },
      loadConfig,
      startDevProvider: async () => fakeDevProvider(),
      logger: recordingLogger(),
    });
    assert.equal(setup.kind === 'configured' && setup.config.redirectUri, 'http://127.0.0.1/callback');
  });

  it('turns an invalid configuration into config_invalid instead of throwing', async () => {
    const logger = recordingLogger();
    const setup = await resolveAuthConfig({
      configFile: CONFIG_FILE,
      redirectTarget: LINUX,
      env: { OIDC_ISSUER: 'http://login.example.com', OIDC_CLIENT_ID: 'x', OIDC_REDIRECT_URI: 'myapp:/cb' },
      loadConfig,
      startDevProvider: async () => fakeDevProvider(),
      logger,
    });
    assert.equal(setup.kind, 'invalid');
    assert.equal(setup.kind === 'invalid' && setup.error.code, 'config_invalid');
    assert.ok(logger.lines.some((line) => line.startsWith('error')));
  });

  it('wraps an unexpected loader failure as config_invalid', async () => {
    const setup = await resolveAuthConfig({
      configFile: CONFIG_FILE,
      redirectTarget: LINUX,
      env: {},
      loadConfig: async () => {
        throw new Error('EACCES');
      },
      startDevProvider: async () => fakeDevProvider(),
      logger: recordingLogger(),
    });
    assert.equal(setup.kind === 'invalid' && setup.error.code, 'config_invalid');
  });

  it('reports a development provider that cannot start as config_invalid, saying how to configure', async () => {
    const setup = await resolveAuthConfig({
      configFile: CONFIG_FILE,
      redirectTarget: LINUX,
      env: {},
      loadConfig,
      startDevProvider: async () => {
        throw new Error("Cannot find package 'oidc-provider'");
      },
      logger: recordingLogger(),
    });
    assert.equal(setup.kind, 'invalid');
    assert.match(setup.kind === 'invalid' ? setup.error.message : '', /OIDC_ISSUER/);
  });

  it('closes the development provider when its configuration is refused', async () => {
    const dev = fakeDevProvider();
    const setup = await resolveAuthConfig({
      configFile: CONFIG_FILE,
      redirectTarget: LINUX,
      env: { OIDC_REDIRECT_URI: 'http://localhost/callback' },
      loadConfig,
      startDevProvider: async () => dev,
      logger: recordingLogger(),
    });
    assert.equal(setup.kind, 'invalid');
    assert.equal(dev.closed, 1);
  });
});

describe('developmentEnv', () => {
  it('passes OIDC_PAR and OIDC_DPOP through, so each mode can be tried against the development provider', async () => {
    const env = developmentEnv(fakeDevProvider(), { OIDC_PAR: 'never', OIDC_DPOP: 'always' }, LINUX);
    assert.equal(env['OIDC_PAR'], 'never');
    assert.equal(env['OIDC_DPOP'], 'always');
    const setup = await resolveAuthConfig({ configFile: CONFIG_FILE, redirectTarget: LINUX, env: { OIDC_PAR: 'never', OIDC_DPOP: 'never' }, loadConfig, startDevProvider: async () => fakeDevProvider(), logger: recordingLogger() });
    assert.equal(setup.kind, 'configured', 'alone, they are no configuration of their own in a development run');
    assert.ok(setup.kind === 'configured' && setup.devProvider);
    assert.equal(setup.kind === 'configured' && setup.config.par, 'never');
  });

  it('takes only the redirect choice from the environment', () => {
    const env = developmentEnv(fakeDevProvider(), { OIDC_SCOPES: 'openid profile', PATH: '/usr/bin', OIDC_ISSUER: 'https://ignored.example' }, LINUX);
    assert.deepEqual(env, {
      OIDC_ISSUER: 'http://127.0.0.1:45678',
      OIDC_CLIENT_ID: 'oidc-desktop-dev',
      OIDC_REDIRECT_URI: SCHEME_REDIRECT,
    });
  });

  // Issue 15: an unpackaged macOS run cannot register a URL scheme (only a bundle's Info.plist can), so the demo sign-in uses loopback there.
  for (const [platform, isPackaged, expected] of [
    ['darwin', false, 'http://127.0.0.1/callback'],
    ['darwin', true, SCHEME_REDIRECT],
    ['win32', false, SCHEME_REDIRECT],
    ['linux', false, SCHEME_REDIRECT],
  ] as const) {
    it(`defaults to ${expected} on ${platform}${isPackaged ? ' (packaged)' : ' (development)'}`, () => {
      const env = developmentEnv(fakeDevProvider(), {}, { identity: APP_IDENTITY, platform, isPackaged });
      assert.equal(env['OIDC_REDIRECT_URI'], expected);
    });
  }

  it('a development run on macOS with nothing configured signs in through loopback with the development provider', async () => {
    const setup = await resolveAuthConfig({
      configFile: CONFIG_FILE,
      redirectTarget: { identity: APP_IDENTITY, platform: 'darwin', isPackaged: false },
      env: {},
      loadConfig,
      startDevProvider: async () => fakeDevProvider(),
      logger: recordingLogger(),
    });
    assert.equal(setup.kind === 'configured' && setup.config.redirectUri, 'http://127.0.0.1/callback');
  });
});

// Issue 15: a redirect URI the app cannot receive is refused at start-up instead of a sign-in that hangs.
describe('redirectUriProblem', () => {
  const OTHER: RedirectTarget = { identity: { urlScheme: 'com.mycorp.app', defaultRedirectUri: 'com.mycorp.app:/callback' }, platform: 'linux', isPackaged: true };

  it('accepts the registered scheme in any letter case, and loopback everywhere', () => {
    assert.equal(redirectUriProblem('com.mycorp.app:/callback', OTHER), undefined);
    assert.equal(redirectUriProblem('COM.MyCorp.App:/callback', OTHER), undefined);
    assert.equal(redirectUriProblem('http://127.0.0.1/callback', OTHER), undefined);
    assert.equal(redirectUriProblem('http://127.0.0.1/callback', { ...OTHER, platform: 'darwin', isPackaged: false }), undefined);
  });

  it('refuses a scheme the app does not register, naming both schemes', () => {
    const problem = redirectUriProblem('com.example.desktop:/callback', OTHER) ?? '';
    assert.match(problem, /"com\.example\.desktop:"/);
    assert.match(problem, /"com\.mycorp\.app:"/);
    assert.match(problem, /app-identity\.json/);
  });

  it('refuses a custom scheme in an unpackaged macOS run, saying why and what works', () => {
    const problem = redirectUriProblem('com.mycorp.app:/callback', { ...OTHER, platform: 'darwin', isPackaged: false }) ?? '';
    assert.match(problem, /Info\.plist/);
    assert.match(problem, /OIDC_REDIRECT_URI=http:\/\/127\.0\.0\.1\/callback/);
    assert.equal(redirectUriProblem('com.mycorp.app:/callback', { ...OTHER, platform: 'darwin', isPackaged: true }), undefined);
  });

  it('resolveAuthConfig refuses such a configuration at start-up as config_invalid', async () => {
    const setup = await resolveAuthConfig({
      configFile: CONFIG_FILE,
      redirectTarget: OTHER,
      env: { OIDC_ISSUER: 'https://login.example.com', OIDC_CLIENT_ID: 'desktop', OIDC_REDIRECT_URI: 'com.example.desktop:/callback' },
      loadConfig,
      logger: recordingLogger(),
    });
    assert.equal(setup.kind === 'invalid' && setup.error.code, 'config_invalid');
    assert.match(setup.kind === 'invalid' ? setup.error.message : '', /"com\.mycorp\.app:"/);
  });
});

// Issue 10 (High): the development provider only in a development run, and never for a partial configuration.
describe('resolveAuthConfig without a development provider (packaged or production build)', () => {
  const USER_DATA_FILE = '/home/dana/.config/OIDC Desktop/oidc-config.json';

  it('shows the welcome (config_missing, not an error) when nothing is configured: the real path, and where the file is on each OS', async () => {
    const logger = recordingLogger();
    const setup = await resolveAuthConfig({ configFile: USER_DATA_FILE, redirectTarget: LINUX, env: {}, loadConfig, logger });
    assert.equal(setup.kind, 'invalid');
    if (setup.kind !== 'invalid') return;
    assert.equal(setup.error.code, 'config_missing');
    assert.ok(setup.error.message.includes(`"redirectUri": "${APP_IDENTITY.defaultRedirectUri}"`), setup.error.message);
    assert.ok(!logger.lines.some((line) => line.startsWith('error')), 'a first run is not logged as an error');
    const message = setup.error.message;
    assert.ok(message.includes(`Create the file ${USER_DATA_FILE}`), message);
    assert.ok(message.includes('"issuer"') && message.includes('"clientId"') && message.includes('"redirectUri"'), message);
    assert.ok(message.includes('- Windows: %APPDATA%\\OIDC Desktop\\oidc-config.json'), message);
    assert.ok(message.includes('- macOS: ~/Library/Application Support/OIDC Desktop/oidc-config.json'), message);
    assert.ok(message.includes('- Linux: $XDG_CONFIG_HOME/OIDC Desktop/oidc-config.json (~/.config/OIDC Desktop/oidc-config.json when XDG_CONFIG_HOME is not set)'), message);
  });

  it('refuses OIDC_REDIRECT_URI alone: it names no provider', async () => {
    const setup = await resolveAuthConfig({ configFile: USER_DATA_FILE, redirectTarget: LINUX, env: { OIDC_REDIRECT_URI: 'http://127.0.0.1/callback' }, loadConfig, logger: recordingLogger() });
    assert.equal(setup.kind, 'invalid');
    assert.match(setup.kind === 'invalid' ? setup.error.message : '', /issuer: is missing[\s\S]*clientId: is missing/);
  });
});

describe('resolveAuthConfig with a partial configuration (also in a development run)', () => {
  for (const [name, env, missing, present] of [
    ['only OIDC_API_BASE_URLS', { OIDC_API_BASE_URLS: 'https://api.example.com/' }, ['issuer', 'clientId', 'redirectUri'], []],
    ['an issuer without a client id', { OIDC_ISSUER: 'https://login.example.com', OIDC_REDIRECT_URI: SCHEME_REDIRECT }, ['clientId'], ['issuer', 'redirectUri']],
    ['only OIDC_SCOPES, beside the redirect choice', { OIDC_SCOPES: 'openid', OIDC_REDIRECT_URI: 'http://127.0.0.1/callback' }, ['issuer', 'clientId'], ['redirectUri']],
  ] as const) {
    it(`${name}: config_invalid naming the missing fields and the file; the development provider is not started`, async () => {
      let started = 0;
      const setup = await resolveAuthConfig({
        configFile: CONFIG_FILE,
        redirectTarget: LINUX,
        env,
        loadConfig,
        startDevProvider: async () => (started++, fakeDevProvider()),
        logger: recordingLogger(),
      });
      assert.equal(started, 0, 'the development provider was started');
      assert.equal(setup.kind, 'invalid');
      if (setup.kind !== 'invalid') return;
      assert.equal(setup.error.code, 'config_invalid');
      for (const field of missing) assert.ok(setup.error.message.includes(`- ${field}: is missing`), `${field} not named: ${setup.error.message}`);
      for (const field of present) assert.ok(!setup.error.message.includes(`- ${field}: is missing`), `${field} named as missing: ${setup.error.message}`);
      assert.ok(setup.error.message.includes(`The configuration file on this computer: ${CONFIG_FILE}`), setup.error.message);
    });
  }
});

describe('createUnavailableAuthService', () => {
  it('shows the error as session state and fails every operation with it', async () => {
    const error = new AuthError('config_invalid', 'The sign-in configuration is invalid:\n- issuer: is missing.');
    const auth = createUnavailableAuthService(error);
    assert.deepEqual(auth.getSession(), { status: 'error', error: { code: 'config_invalid', message: error.message } });
    await assert.rejects(auth.signIn(), error);
    await assert.rejects(auth.getUserInfo(), error);
    await assert.rejects(auth.callApi({ url: 'https://api.example.com/' }), error);
    assert.equal(await auth.handleRedirect('com.example.desktop:/callback?code=1'), false);
    await auth.ready();
    await auth.restore();
    auth.resume();
    auth.cancelSignIn();
    auth.onSessionChange(() => assert.fail('never changes'))();
    auth.dispose();
  });
});
