/**
 * Hostile authorization responses (the callback the browser hands the app):
 * RFC 6749 §10.12 (state), RFC 9207 (iss), RFC 6749 §4.1.2.1 (errors),
 * RFC 6749 §10.5 (single-use codes). Plus the one deliberate exception: a
 * signed-in session ignores stray callbacks entirely.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  assertNothingLeaked,
  assertUserMessage,
  beginSignIn,
  errorOf,
  expectRejectedSignIn,
  hostileClient,
  signInFully,
} from '../support/hostile-harness';
import { startHostileProvider, type HostileProvider } from '../support/hostile-provider';

const HOSTILE_HTML = '<img src=x onerror=alert(1)><script>alert(1)</script>';

describe('hostile provider: authorization response', () => {
  let provider: HostileProvider;
  before(async () => {
    provider = await startHostileProvider();
  });
  after(async () => {
    await provider.close();
  });

  it('state wrong', async () => {
    await expectRejectedSignIn(provider, {
      callback: (a, url, p) => p.callbackWith(url, [['code', a.code], ['state', 'a-state-this-app-never-sent-0123456789abcdefgh'], ['iss', p.issuer]]),
      code: 'state_mismatch',
      tokenRequests: 0,
      flowKept: true,
    });
  });

  it('state wrong: the right state with one character changed', async () => {
    await expectRejectedSignIn(provider, {
      callback: (a, url, p) => {
        const state = a.state ?? '';
        const flipped = `${state.slice(0, -1)}${state.endsWith('A') ? 'B' : 'A'}`;
        return p.callbackWith(url, [['code', a.code], ['state', flipped], ['iss', p.issuer]]);
      },
      code: 'state_mismatch',
      tokenRequests: 0,
      flowKept: true,
    });
  });

  it('state missing', async () => {
    await expectRejectedSignIn(provider, {
      callback: (a, url, p) => p.callbackWith(url, [['code', a.code], ['iss', p.issuer]]),
      code: 'callback_invalid',
      tokenRequests: 0,
      flowKept: true,
    });
  });

  it('state duplicated (parameter pollution: the right value and another)', async () => {
    await expectRejectedSignIn(provider, {
      callback: (a, url, p) => p.callbackWith(url, [['code', a.code], ['state', a.state ?? ''], ['state', 'attacker-state'], ['iss', p.issuer]]),
      code: 'callback_invalid',
      tokenRequests: 0,
      flowKept: true,
    });
  });

  it('iss wrong (RFC 9207 mix-up defence)', async () => {
    await expectRejectedSignIn(provider, {
      callback: (a, url, p) => p.callbackWith(url, [['code', a.code], ['state', a.state ?? ''], ['iss', 'https://attacker.example']]),
      code: 'iss_mismatch',
      tokenRequests: 0,
    });
  });

  it('iss missing while the provider advertises authorization_response_iss_parameter_supported', async () => {
    await expectRejectedSignIn(provider, {
      callback: (a, url, p) => p.callbackWith(url, [['code', a.code], ['state', a.state ?? '']]),
      code: 'iss_mismatch',
      tokenRequests: 0,
    });
  });

  it('iss duplicated (the right value and another)', async () => {
    await expectRejectedSignIn(provider, {
      callback: (a, url, p) => p.callbackWith(url, [['code', a.code], ['state', a.state ?? ''], ['iss', p.issuer], ['iss', 'https://attacker.example']]),
      code: 'callback_invalid',
      tokenRequests: 0,
      flowKept: true,
    });
  });

  for (const [error, code] of [
    ['access_denied', 'authorization_denied'],
    ['login_required', 'authorization_error'],
    ['server_error', 'authorization_error'],
    ['temporarily_unavailable', 'authorization_error'],
  ] as const) {
    it(`error=${error} with an error_description holding HTML and script`, async () => {
      // C0 control characters (escape sequences, newlines) and a long tail, too.
      const description = `${HOSTILE_HTML}\u001b[31mred\u0000\r\nInjected-Header: 1 ${'A'.repeat(2000)}`;
      const outcome = await expectRejectedSignIn(provider, {
        callback: (a, url, p) => p.callbackWith(url, [['error', error], ['error_description', description], ['state', a.state ?? ''], ['iss', p.issuer]]),
        code,
        tokenRequests: 0,
      });
      const message = outcome.error.message;
      assert.equal(typeof message, 'string');
      assert.ok(message.includes(HOSTILE_HTML), `the provider's text is kept verbatim, as inert text: ${message.slice(0, 200)}`);
      assert.ok(message.length < 600, `capped (${message.length} characters)`);
      assert.ok(!message.includes('A'.repeat(400)), 'the long tail is cut');
      assert.doesNotMatch(message, /[\u0000-\u001f\u007f]/, 'no C0 control characters');
      if (code === 'authorization_error') assert.ok(message.includes(`(${error})`), 'the error code is named');
    });
  }

  it('error_description with C1 control characters (U+0080–U+009F, e.g. CSI U+009B) is cleaned too', async () => {
    const description = `Denied\u009b31m by policy\u0085next line\u0090`;
    const outcome = await expectRejectedSignIn(provider, {
      callback: (a, url, p) => p.callbackWith(url, [['error', 'access_denied'], ['error_description', description], ['state', a.state ?? ''], ['iss', p.issuer]]),
      code: 'authorization_denied',
      tokenRequests: 0,
    });
    assert.ok(outcome.error.message.includes('Denied'));
  });

  it('a callback with no flow pending', async () => {
    provider.reset();
    const client = hostileClient(provider);
    try {
      // A well-formed callback that no sign-in of this app asked for.
      const stray = provider.callbackWith(`${provider.issuer}/authorize?redirect_uri=${encodeURIComponent('com.example.desktop:/callback')}`, [
        ['code', provider.mint('code')],
        ['state', 'stray-state-0123456789abcdefghijklmnopqrstu'],
        ['iss', provider.issuer],
      ]);
      assert.equal(await client.auth.handleRedirect(stray), true);
      const session = client.auth.getSession();
      assert.equal(session.status, 'error');
      assert.equal(errorOf(session)?.code, 'no_pending_flow');
      assertUserMessage(errorOf(session)?.message, 'no_pending_flow');
      assert.equal(provider.requests.length, 0, 'no request at all: not even discovery');
      await assertNothingLeaked(client, provider.secrets());
      await signInFully(client, provider);
      await client.auth.signOut();
    } finally {
      client.auth.dispose();
    }
  });

  it('the same callback twice: the code is redeemed once, the session is untouched', async () => {
    provider.reset();
    const client = hostileClient(provider);
    try {
      const authorization = await signInFully(client, provider);
      const signedIn = client.auth.getSession();
      const emitted = client.states.length;
      provider.resetRequests();
      assert.equal(await client.auth.handleRedirect(authorization.callback), true);
      assert.equal(provider.count('/token'), 0, 'the replay sends no token request');
      assert.equal(client.auth.getSession(), signedIn, 'the very same session state');
      assert.equal(client.states.length, emitted, 'no state emitted');
      // The session legitimately holds its tokens (and the vault its refresh token); states and logs never do.
      await assertNothingLeaked(client, provider.secrets(), { vault: [] });
      await client.auth.signOut();
    } finally {
      client.auth.dispose();
    }
  });

  it('the same callback twice, the first rejected: the second sends nothing and says no sign-in is pending', async () => {
    provider.reset();
    const client = hostileClient(provider);
    try {
      const { authorization } = await beginSignIn(client, provider);
      provider.script = { tokenResponse: ({ access_token: _dropped, ...rest }) => rest };
      assert.equal(await client.auth.handleRedirect(authorization.callback), true);
      assert.equal(errorOf(client.auth.getSession())?.code, 'token_response_invalid');
      provider.resetRequests();
      provider.script = {};
      assert.equal(await client.auth.handleRedirect(authorization.callback), true);
      assert.equal(provider.count('/token'), 0, 'the spent code is not sent again');
      assert.equal(errorOf(client.auth.getSession())?.code, 'no_pending_flow');
      const kept = new Set([...provider.verifiers(), ...provider.nonces()]); // kept in the vault while a flow is pending, on purpose
      await assertNothingLeaked(client, provider.secrets(), { vault: provider.secrets().filter((x) => !kept.has(x)) });
      await signInFully(client, provider);
      await client.auth.signOut();
    } finally {
      client.auth.dispose();
    }
  });

  it('signed in: stray, replayed, wrong-state, error and malformed callbacks leave the session untouched', async () => {
    provider.reset();
    const client = hostileClient(provider);
    try {
      const authorization = await signInFully(client, provider);
      const signedIn = client.auth.getSession();
      const emitted = client.states.length;
      const redirect = (params: ReadonlyArray<readonly [string, string]>): string =>
        provider.callbackWith(`${provider.issuer}/authorize?redirect_uri=${encodeURIComponent('com.example.desktop:/callback')}`, params);
      const injected = [
        authorization.callback, // replayed
        redirect([['code', provider.mint('code')], ['state', authorization.state ?? ''], ['iss', provider.issuer]]), // the old state, a new code
        redirect([['code', provider.mint('code')], ['state', 'attacker-state-0123456789abcdefghijklmnop'], ['iss', provider.issuer]]), // wrong state
        redirect([['error', 'access_denied'], ['error_description', HOSTILE_HTML], ['state', 'x'], ['iss', provider.issuer]]), // an error
        redirect([['error', 'login_required'], ['state', authorization.state ?? ''], ['iss', provider.issuer]]),
        redirect([['code', provider.mint('code')], ['iss', provider.issuer]]), // no state
        redirect([['code', 'a'], ['code', 'b'], ['state', 's']]), // duplicated
        redirect([['code', provider.mint('code')], ['state', authorization.state ?? ''], ['iss', 'https://attacker.example']]), // wrong iss
        'com.example.desktop:/callback',
        'com.example.desktop:/callback?',
        'com.example.desktop://attacker@/callback?code=x&state=y',
        'com.example.desktop:/other?code=x&state=y',
        'https://attacker.example/callback?code=x&state=y',
      ];
      provider.resetRequests();
      for (const url of injected) {
        const handled = await client.auth.handleRedirect(url);
        assert.equal(typeof handled, 'boolean');
        assert.equal(client.auth.getSession(), signedIn, `the session is untouched by ${url}`);
      }
      assert.equal(client.states.length, emitted, 'not one state emitted: an injected link cannot sign the user out or show an error');
      assert.equal(provider.requests.length, 0, 'no request sent for any of them');
      // The session still works with the tokens it had.
      const info = await client.auth.getUserInfo();
      assert.equal(info.sub, provider.subject);
      await assertNothingLeaked(client, provider.secrets(), { vault: [] });
      await client.auth.signOut();
    } finally {
      client.auth.dispose();
    }
  });
});
