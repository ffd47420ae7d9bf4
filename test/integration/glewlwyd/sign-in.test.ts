/**
 * Sign-in against glewlwyd 2.7.5, an independent OpenID provider: custom
 * scheme and loopback redirects, userinfo. One glewlwyd for the file.
 */
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { leaks } from '../../support/sign-in-harness';
import { startGlewlwyd, type Glewlwyd } from '../../support/glewlwyd';
import { createAppHarness, type AppHarness } from '../../support/glewlwyd/app-harness';
import { AuthorizeRefusedError, deliverLoopbackRedirect } from '../../support/glewlwyd/login';
import { GLEWLWYD_ONLY_ON_LINUX } from '../../support/platform-parts';

describe('sign-in against glewlwyd', { skip: GLEWLWYD_ONLY_ON_LINUX }, () => {
  let provider: Glewlwyd;
  let app: AppHarness;
  before(async () => {
    provider = await startGlewlwyd();
    app = createAppHarness(provider);
  });
  after(async () => {
    app?.dispose();
    await provider?.close();
  });

  it('custom scheme: signs in with PKCE, shows the user, keeps tokens out of the state, stores the refresh token', async () => {
    const service = app.service();
    const opened = service.nextOpened();
    await service.auth.signIn();
    const authorizeUrl = new URL(await opened);
    assert.equal(authorizeUrl.origin + authorizeUrl.pathname, `${provider.issuer}/auth`);
    assert.equal(authorizeUrl.searchParams.get('code_challenge_method'), 'S256');
    assert.equal(authorizeUrl.searchParams.get('redirect_uri'), 'com.example.desktop:/callback');

    const login = await provider.login(authorizeUrl.href);
    assert.ok(login.location.startsWith('com.example.desktop:/callback?'), 'glewlwyd redirects to the custom scheme');
    const callback = new URL(login.location);
    assert.equal(callback.searchParams.get('iss'), provider.issuer, 'glewlwyd sends RFC 9207 iss although discovery does not advertise it');
    assert.equal(await service.auth.handleRedirect(login.location), true);

    const session = service.auth.getSession();
    assert.equal(session.status, 'signed-in', `state: ${JSON.stringify(session)}`);
    assert.equal(session.status === 'signed-in' && session.user.name, 'Dana Demo');
    assert.equal(session.status === 'signed-in' && session.user.email, 'dana@example.test');
    assert.match(session.status === 'signed-in' ? session.user.sub : '', /^\S+$/, 'glewlwyd\'s opaque sub');

    const secrets = [...service.issued('access_token'), ...service.issued('id_token'), ...service.issued('refresh_token'), callback.searchParams.get('code') ?? ''];
    assert.equal(secrets.length, 4, 'access, ID and refresh tokens plus the code');
    assert.deepEqual(leaks(JSON.stringify(service.states), secrets).length, 0, 'no secret in any session state');

    await app.vault.quiet();
    const stored = await app.storedSession();
    assert.ok(stored !== null && stored.includes(service.issued('refresh_token')[0] as string), 'the refresh token glewlwyd issued is in the keychain');
    await service.auth.signOut();
  });

  it('userinfo: the claims of the signed-in user', async () => {
    const service = app.service();
    await app.signIn(service);
    const info = await service.auth.getUserInfo();
    const session = service.auth.getSession();
    assert.equal(info.sub, session.status === 'signed-in' ? session.user.sub : undefined);
    assert.equal(info.name, 'Dana Demo');
    assert.equal(info.email, 'dana@example.test');
    await service.auth.signOut();
  });

  it('loopback with the fixed port registered at glewlwyd: signs in through the app\'s listener', async () => {
    const service = app.service(app.config({ redirectUri: provider.loopbackRedirectUri }));
    const opened = service.nextOpened();
    await service.auth.signIn();
    const authorizeUrl = new URL(await opened);
    assert.equal(authorizeUrl.searchParams.get('redirect_uri'), provider.loopbackRedirectUri, 'the configured port, byte for byte');

    const login = await provider.login(authorizeUrl.href);
    assert.ok(login.location.startsWith(`${provider.loopbackRedirectUri}?`), 'glewlwyd redirects to the loopback listener');
    const page = await deliverLoopbackRedirect(login.location);
    assert.equal(page.status, 200);
    assert.match(page.text, /You can close this tab/i);
    const session = service.auth.getSession();
    assert.equal(session.status, 'signed-in', `state: ${JSON.stringify(session)}`);
    assert.equal(session.status === 'signed-in' && session.user.name, 'Dana Demo');
    await service.auth.signOut();
  });

  it('loopback with an ephemeral port: glewlwyd compares redirect URIs exactly and refuses it (403), so it needs the fixed port', async () => {
    const service = app.service(app.config({ redirectUri: 'http://127.0.0.1/callback' }));
    const opened = service.nextOpened();
    await service.auth.signIn();
    const authorizeUrl = await opened;
    await assert.rejects(provider.login(authorizeUrl), (error: unknown) => error instanceof AuthorizeRefusedError && error.status === 403);
    service.auth.cancelSignIn();
  });

  it('loopback with the fixed port already taken: sign-in fails with an error that names the port', async () => {
    const port = new URL(provider.loopbackRedirectUri).port;
    const squatter = createServer();
    await new Promise<void>((resolve, reject) => {
      squatter.once('error', reject);
      squatter.listen(Number(port), '127.0.0.1', resolve);
    });
    try {
      const service = app.service(app.config({ redirectUri: provider.loopbackRedirectUri }));
      await assert.rejects(service.auth.signIn(), (error: { code?: string; message?: string }) => {
        assert.notEqual(error.code, 'internal_error', `a specific code, not internal_error (got ${String(error.code)}: ${String(error.message)})`);
        assert.match(error.message ?? '', new RegExp(`\\b${port}\\b`), 'the message names the port');
        assert.match(error.message ?? '', /in use|taken|busy|another (app|program)/i, 'the message says the port is in use');
        return true;
      });
      assert.equal(service.opened.length, 0, 'no browser opened');
      const state = service.auth.getSession();
      assert.equal(state.status, 'error');
    } finally {
      await new Promise((resolve) => squatter.close(resolve));
    }
  });
});
