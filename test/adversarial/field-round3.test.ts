/**
 * Issue 16, round 3 of the field reports: what real deployments do that the
 * suite did not cover, each with the field's own input and the neighbours a
 * careful reader of the spec would add, against the hostile provider.
 *
 * 1. PAR advertised, then refused for public clients (Keycloak < 23, Duende).
 * 2. `iat` in the past (Entra back-dates it by 5 minutes).
 * 3. Revocation answers that mean "already gone" (Google, RFC 7009 §2.2).
 * 4. The token request's redirect_uri is the authorization request's, byte for byte.
 * 5. Display claims from userinfo (OIDC Core §5.4 providers).
 * 6. A refresh refused for good with something other than invalid_grant.
 * 7. A refused signed userinfo answer is a userinfo problem.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { vaultKey } from '../../main/auth/pending-flow';
import { extractDeepLink } from '../../main/shell/deep-link';
import {
  assertUserMessage,
  beginSignIn,
  errorOf,
  expectRejectedSignIn,
  hostileClient,
  recordingVault,
  signInFully,
  waitFor,
  waitForState,
  type HostileClient,
  type RecordingVault,
} from '../support/hostile-harness';
import { sendJson, signJwt, startHostileProvider, type HostileProvider, type HostileScript, type Json, type RawHandler } from '../support/hostile-provider';
import { assertNoSecret, assertSecretEqual } from '../support/secret-assert';

/** Longer than the first backoff (1 s): a retry loop would have sent its second request by then. */
const QUIET_MS = 1500;
const nowSeconds = (): number => Math.floor(Date.now() / 1000);
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const refreshRequests = (provider: HostileProvider): number => provider.requests.filter((r) => r.path === '/token' && r.form.get('grant_type') === 'refresh_token').length;

function answerWith(status: number, headers: Record<string, string>, body: string): RawHandler {
  return (_request, response) => void response.writeHead(status, headers).end(body);
}

interface Stored {
  readonly vault: RecordingVault;
  readonly key: string;
  readonly record: string;
}

/** Signs in once, waits for the keychain write, and quits: a stored session for a restart. */
async function storedSession(provider: HostileProvider, script: HostileScript = {}, config: Record<string, unknown> = {}): Promise<Stored> {
  const vault = recordingVault();
  provider.script = script;
  const first = hostileClient(provider, { vault, config });
  try {
    await signInFully(first, provider);
    const key = vaultKey('refresh-token', first.config);
    await vault.completed('set', key, 'the refresh token written to the vault');
    const record = await vault.get(key);
    assert.ok(record !== null);
    return { vault, key, record };
  } finally {
    first.auth.dispose();
    provider.script = {};
  }
}

async function assertKeychainKept(stored: Stored, what: string): Promise<void> {
  assertSecretEqual(await stored.vault.get(stored.key), stored.record, `${what}: the keychain keeps the refresh token`);
  assert.equal(stored.vault.calls.filter((c) => c.op === 'delete' && c.key === stored.key).length, 0, `${what}: the refresh token was never deleted`);
}

describe('issue 16 kind 1: PAR advertised, then refused for a public client', () => {
  let provider: HostileProvider;
  before(async () => {
    provider = await startHostileProvider();
  });
  after(() => provider.close());

  const KEYCLOAK_22: RawHandler = (_q, res) => sendJson(res, 400, { error: 'invalid_request', error_description: 'Authentication failed.' });
  const DUENDE: RawHandler = (_q, res) => sendJson(res, 401, { error: 'invalid_client' });
  const UNAUTHORIZED_CLIENT: RawHandler = (_q, res) => sendJson(res, 400, { error: 'unauthorized_client', error_description: 'Client not allowed to push' });

  for (const [name, handler] of [
    ['Keycloak < 23: 400 {"error":"invalid_request","error_description":"Authentication failed."}', KEYCLOAK_22],
    ['Duende: 401 {"error":"invalid_client"}', DUENDE],
    ['400 {"error":"unauthorized_client"}', UNAUTHORIZED_CLIENT],
  ] as const) {
    it(`par auto, ${name}: the same sign-in falls back to the browser URL, once, logged; the provider is remembered until restart`, async () => {
      provider.reset();
      provider.script = { offer: { par: true }, par: handler };
      const client = hostileClient(provider);
      try {
        const { authorizeUrl, authorization } = await beginSignIn(client, provider);
        assert.equal(provider.count('/par'), 1, 'one push, not repeated');
        assert.equal(authorization.pushed, false, 'the authorization request went in the browser URL');
        const query = new URL(authorizeUrl).searchParams;
        assert.equal(query.get('request_uri'), null);
        assert.equal(query.get('code_challenge_method'), 'S256');
        assert.ok(query.get('state') && query.get('nonce') && query.get('code_challenge'), 'PKCE, state and nonce in the URL');
        assert.equal(client.logs.filter((line) => /falling back|fall back/i.test(line)).length, 1, `one log line says so: ${client.logs.join(' | ')}`);
        assert.equal(await client.auth.handleRedirect(authorization.callback), true);
        assert.equal(client.auth.getSession().status, 'signed-in', JSON.stringify(client.auth.getSession()));
        await client.auth.signOut();

        // Remembered: the next sign-in of this run does not push again.
        provider.resetRequests();
        const second = await beginSignIn(client, provider);
        assert.equal(provider.count('/par'), 0, 'no push to a provider that refused one in this run');
        assert.equal(second.authorization.pushed, false);
        client.auth.cancelSignIn();
      } finally {
        client.auth.dispose();
      }
      // A restart (a new service) tries PAR again: the provider may have been fixed.
      provider.resetRequests();
      provider.script = { offer: { par: true } };
      const restarted = hostileClient(provider);
      try {
        const { authorization } = await beginSignIn(restarted, provider);
        assert.equal(provider.count('/par'), 1);
        assert.equal(authorization.pushed, true, 'after a restart the request is pushed again');
      } finally {
        restarted.auth.dispose();
      }
    });
  }

  it('par auto with DPoP, the Keycloak < 23 answer: the fallback URL carries dpop_jkt, the code is bound to the key and redeemed with its proof', async () => {
    provider.reset();
    provider.script = { offer: { par: true, dpopAlgs: ['ES256'] }, par: KEYCLOAK_22 };
    const client = hostileClient(provider);
    try {
      const { authorizeUrl, authorization } = await beginSignIn(client, provider);
      assert.equal(authorization.pushed, false);
      assert.ok(new URL(authorizeUrl).searchParams.get('dpop_jkt'), 'dpop_jkt in the browser URL (RFC 9449 §10)');
      assert.equal(await client.auth.handleRedirect(authorization.callback), true);
      assert.equal(client.auth.getSession().status, 'signed-in', JSON.stringify(client.auth.getSession()));
      assert.equal(provider.exchanges.at(-1)?.dpopJkt, authorization.dpopJkt, 'the exchange carried a proof of the bound key');
    } finally {
      client.auth.dispose();
    }
  });

  for (const [name, par, code] of [
    ['HTTP 503 with an OAuth body', (_q, res) => sendJson(res, 503, { error: 'invalid_request' }), 'network_error'],
    ['HTTP 500 HTML', answerWith(500, { 'content-type': 'text/html' }, '<html>oops</html>'), 'network_error'],
    ['400 with an HTML body', answerWith(400, { 'content-type': 'text/html' }, '<html><body>invalid_request: Authentication failed.</body></html>'), 'authorization_error'],
    ['no answer (the connection is reset)', (req) => void req.socket.destroy(), 'network_error'],
    ['400 {"error":"invalid_scope"} (not a client or request refusal of the push)', (_q, res) => sendJson(res, 400, { error: 'invalid_scope' }), 'authorization_error'],
  ] as const satisfies ReadonlyArray<readonly [string, RawHandler, string]>) {
    it(`par auto, the push answered with ${name}: ${code}, no fallback, no browser`, async () => {
      provider.reset();
      provider.script = { offer: { par: true }, par };
      const client = hostileClient(provider, { httpTimeoutMs: 2000 });
      try {
        await assert.rejects(client.auth.signIn(), (error: { code?: string }) => error.code === code);
        assert.equal(client.opened.length, 0, 'the browser was not opened');
        assert.equal(provider.count('/par'), 1);
        assert.equal(client.logs.filter((line) => /falling back|fall back/i.test(line)).length, 0);
        // Nothing remembered: with the provider fixed, the next sign-in pushes.
        provider.script = { offer: { par: true } };
        const { authorization } = await beginSignIn(client, provider);
        assert.equal(authorization.pushed, true);
      } finally {
        client.auth.dispose();
      }
    });
  }

  it('par always, the Keycloak < 23 answer: authorization_error naming the par setting and the provider\'s answer, no browser', async () => {
    provider.reset();
    provider.script = { offer: { par: true }, par: KEYCLOAK_22 };
    const client = hostileClient(provider, { config: { par: 'always' } });
    try {
      await assert.rejects(client.auth.signIn(), (error: { code?: string; message?: string }) => {
        assert.equal(error.code, 'authorization_error');
        assertUserMessage(error.message, 'authorization_error');
        assert.match(error.message ?? '', /\bpar\b/, 'the message names the par setting');
        assert.match(error.message ?? '', /Authentication failed\./, 'the message quotes the provider');
        assert.match(error.message ?? '', /invalid_request/);
        return true;
      });
      assert.equal(client.opened.length, 0);
      assert.equal(provider.count('/par'), 1);
    } finally {
      client.auth.dispose();
    }
  });

  it('a provider that requires PAR, the Duende answer: authorization_error naming the par setting and the provider\'s answer, no fallback', async () => {
    provider.reset();
    provider.script = { offer: { par: 'required' }, par: DUENDE };
    const client = hostileClient(provider);
    try {
      await assert.rejects(client.auth.signIn(), (error: { code?: string; message?: string }) => {
        assert.equal(error.code, 'authorization_error');
        assertUserMessage(error.message, 'authorization_error');
        assert.match(error.message ?? '', /\bpar\b/);
        assert.match(error.message ?? '', /invalid_client/);
        assert.match(error.message ?? '', /requires/);
        return true;
      });
      assert.equal(client.opened.length, 0);
    } finally {
      client.auth.dispose();
    }
  });

  it('par auto, a refusal that echoes the pushed form: the fallback log line holds no state, nonce or challenge', async () => {
    provider.reset();
    let pushed: URLSearchParams | undefined;
    provider.script = {
      offer: { par: true },
      par: (_q, res, recorded) => {
        pushed = new URLSearchParams(recorded.form);
        sendJson(res, 400, { error: 'invalid_request', error_description: `Authentication failed for state=${pushed.get('state')} nonce=${pushed.get('nonce')} ${pushed.get('code_challenge')}` });
      },
    };
    const client = hostileClient(provider);
    try {
      await beginSignIn(client, provider);
      assert.ok(pushed);
      for (const name of ['state', 'nonce', 'code_challenge']) assertNoSecret(client.logs.join('\n'), [pushed.get(name) ?? ''], `the ${name} in the log`);
    } finally {
      client.auth.dispose();
    }
  });
});

describe('issue 16 kind 2: iat in the past is fine while exp is in the future', () => {
  let provider: HostileProvider;
  before(async () => {
    provider = await startHostileProvider();
  });
  after(() => provider.close());

  for (const [name, claims] of [
    ['Entra: iat and nbf 305 s old, exp in an hour', () => ({ iat: nowSeconds() - 305, nbf: nowSeconds() - 305, exp: nowSeconds() + 3600 })],
    ['iat one day old, exp in 10 minutes', () => ({ iat: nowSeconds() - 86_400, exp: nowSeconds() + 600 })],
    ['iat 290 s in the future (inside the skew)', () => ({ iat: nowSeconds() + 290, exp: nowSeconds() + 900 })],
    ['nbf 290 s in the future (inside the skew)', () => ({ nbf: nowSeconds() + 290, exp: nowSeconds() + 900 })],
  ] as const) {
    it(`${name}: signed in`, async () => {
      provider.reset();
      provider.script = { idTokenClaims: (c) => ({ ...c, ...claims() }) };
      const client = hostileClient(provider);
      try {
        await signInFully(client, provider);
        await client.auth.signOut();
      } finally {
        client.auth.dispose();
      }
    });
  }

  for (const [name, claims] of [
    ['iat 320 s in the future (beyond the skew)', () => ({ iat: nowSeconds() + 320, exp: nowSeconds() + 900 })],
    ['nbf 320 s in the future (beyond the skew)', () => ({ nbf: nowSeconds() + 320, exp: nowSeconds() + 900 })],
    ['exp 320 s ago, iat a day ago', () => ({ iat: nowSeconds() - 86_400, exp: nowSeconds() - 320 })],
  ] as const) {
    it(`${name}: clock_skew`, async () => {
      await expectRejectedSignIn(provider, { script: { idTokenClaims: (c) => ({ ...c, ...claims() }) }, code: 'clock_skew' });
    });
  }

  it('Entra after a restart: a refreshed ID token with iat 305 s old restores the session', async () => {
    provider.reset();
    const stored = await storedSession(provider);
    provider.script = { idTokenClaims: (c) => ({ ...c, iat: nowSeconds() - 305, nbf: nowSeconds() - 305 }) };
    const restarted = hostileClient(provider, { vault: stored.vault });
    try {
      await restarted.auth.restore();
      assert.equal(restarted.auth.getSession().status, 'signed-in', JSON.stringify(restarted.auth.getSession()));
    } finally {
      restarted.auth.dispose();
    }
  });
});

describe('issue 16 kind 3: revocation answers that mean "already gone"', () => {
  let provider: HostileProvider;
  before(async () => {
    provider = await startHostileProvider();
  });
  after(() => provider.close());

  /** Google: revoking the refresh token revokes its access token too; revoking that one next answers 400 invalid_token. */
  function google(): RawHandler {
    const gone = new Set<string>();
    return (_q, res, recorded) => {
      const token = recorded.form.get('token') ?? '';
      if (gone.has(token) || token.startsWith('hostile-at-')) {
        sendJson(res, 400, { error: 'invalid_token', error_description: 'Token expired or revoked' });
        return;
      }
      gone.add(token);
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    };
  }

  async function signOutWith(revocation: RawHandler): Promise<{ client: HostileClient; revoked: string[] }> {
    provider.reset();
    const client = hostileClient(provider);
    await signInFully(client, provider);
    provider.script = { revocation };
    provider.resetRequests();
    await client.auth.signOut();
    const revoked = provider.requests.filter((r) => r.path === '/revoke').map((r) => r.form.get('token_type_hint') ?? '');
    return { client, revoked };
  }

  it('Google: refresh token revoked (200), then the access token answers 400 invalid_token: signed out with no error', async () => {
    const { client, revoked } = await signOutWith(google());
    try {
      assert.deepEqual(revoked, ['refresh_token', 'access_token'], 'both were asked');
      const state = client.auth.getSession();
      assert.equal(state.status, 'signed-out');
      assert.equal(errorOf(state), undefined, `no "stay valid" message: ${JSON.stringify(state)}`);
    } finally {
      client.auth.dispose();
    }
  });

  it('400 invalid_token for the refresh token as well (both already gone): signed out with no error, the access token still asked', async () => {
    const { client, revoked } = await signOutWith((_q, res) => sendJson(res, 400, { error: 'invalid_token' }));
    try {
      assert.deepEqual(revoked, ['refresh_token', 'access_token']);
      assert.equal(errorOf(client.auth.getSession()), undefined);
    } finally {
      client.auth.dispose();
    }
  });

  for (const [name, handler, code, pattern] of [
    ['401 with an empty body (glewlwyd, a public client)', answerWith(401, {}, ''), 'sign_out_incomplete', /stay valid/],
    ['403 {"error":"access_denied"}', (_q, res) => sendJson(res, 403, { error: 'access_denied' }), 'sign_out_incomplete', /stay valid/],
    ['400 {"error":"unsupported_token_type"}', (_q, res) => sendJson(res, 400, { error: 'unsupported_token_type' }), 'sign_out_incomplete', /stay valid/],
    ['400 invalid_token as HTML', answerWith(400, { 'content-type': 'text/html' }, '<html>invalid_token</html>'), 'sign_out_incomplete', /stay valid/],
    ['503', (_q, res) => sendJson(res, 503, { error: 'temporarily_unavailable' }), 'network_error', /could not be reached/],
    ['no answer (connection reset)', (req) => void req.socket.destroy(), 'network_error', /could not be reached/],
  ] as const satisfies ReadonlyArray<readonly [string, RawHandler, string, RegExp]>) {
    it(`${name}: ${code}`, async () => {
      const { client } = await signOutWith(handler);
      try {
        const error = errorOf(client.auth.getSession());
        assert.equal(error?.code, code, JSON.stringify(client.auth.getSession()));
        assertUserMessage(error?.message, code);
        assert.match(error?.message ?? '', pattern);
      } finally {
        client.auth.dispose();
      }
    });
  }
});

describe('issue 16 kind 4: the token request\'s redirect_uri is the authorization request\'s', () => {
  let provider: HostileProvider;
  before(async () => {
    provider = await startHostileProvider();
  });
  after(() => provider.close());

  const forms: ReadonlyArray<readonly [string, (callback: string) => string]> = [
    ['as sent', (callback) => callback],
    ['empty authority (scheme:///callback)', (callback) => callback.replace('com.example.desktop:/callback', 'com.example.desktop:///callback')],
    ['scheme in capitals', (callback) => callback.replace('com.example.desktop:', 'COM.Example.DESKTOP:')],
    ['through the Windows argv (-- before the URL, Chromium switches after it)', (callback) => extractDeepLink(['C:\\Program Files\\OIDC Desktop\\OIDC Desktop.exe', '--', callback, '--allow-file-access-from-files'], 'com.example.desktop') ?? 'not extracted'],
    ['a capitalised scheme through the Windows argv', (callback) => extractDeepLink(['OIDC Desktop.exe', '--', callback.replace('com.example.desktop:', 'Com.Example.Desktop:')], 'com.example.desktop') ?? 'not extracted'],
  ];

  for (const [name, form] of forms) {
    it(`callback ${name}: the exchange sends the authorize request's redirect_uri and succeeds`, async () => {
      provider.reset();
      const client = hostileClient(provider);
      try {
        const { authorization } = await beginSignIn(client, provider);
        assert.equal(await client.auth.handleRedirect(form(authorization.callback)), true, 'accepted as ours');
        assert.equal(provider.exchanges.length, 1);
        assert.equal(provider.exchanges[0]?.redirectUri, authorization.redirectUri, 'byte for byte');
        assert.equal(client.auth.getSession().status, 'signed-in', JSON.stringify(client.auth.getSession()));
      } finally {
        client.auth.dispose();
      }
    });
  }

  it('callback with a trailing slash (/callback/): not ours, the code is not spent, the real callback still works', async () => {
    provider.reset();
    const client = hostileClient(provider);
    try {
      const { authorization } = await beginSignIn(client, provider);
      assert.equal(await client.auth.handleRedirect(authorization.callback.replace('/callback?', '/callback/?')), false);
      assert.equal(provider.count('/token'), 0);
      assert.equal(await client.auth.handleRedirect(authorization.callback), true);
      assert.equal(client.auth.getSession().status, 'signed-in');
    } finally {
      client.auth.dispose();
    }
  });
});

describe('issue 16 kind 5: display claims from userinfo', () => {
  let provider: HostileProvider;
  before(async () => {
    provider = await startHostileProvider();
  });
  after(() => provider.close());

  const withoutProfile = (claims: Json): Json => {
    const { name: _name, email: _email, ...rest } = claims;
    return rest;
  };

  it('an ID token without name and email: signed-in with the sub first, then the name from one userinfo request; kept in the keychain, so a restart shows it at once', async () => {
    provider.reset();
    provider.script = { idTokenClaims: withoutProfile };
    const client = hostileClient(provider);
    try {
      const { authorization } = await beginSignIn(client, provider);
      assert.equal(await client.auth.handleRedirect(authorization.callback), true);
      const first = client.auth.getSession();
      assert.equal(first.status, 'signed-in', 'signed in before userinfo answers');
      assert.deepEqual(first.status === 'signed-in' && first.user, { sub: provider.subject });
      const named = await waitForState(client, (s) => s.status === 'signed-in' && s.user.name === 'Harriet Hostile', 'the name from userinfo');
      assert.equal(named.status === 'signed-in' && named.user.email, 'harriet@hostile.test');
      assert.equal(provider.count('/userinfo'), 1, 'one userinfo request');
      const key = vaultKey('refresh-token', client.config);
      await waitFor(async () => ((await client.vault.get(key)) ?? '').includes('Harriet Hostile'), 'the name in the keychain record');
      const record = JSON.parse((await client.vault.get(key)) ?? '{}') as { v?: number };
      assert.equal(record.v, 2, 'still a version 2 record (user was always part of it)');
      client.auth.dispose();

      provider.resetRequests();
      const restarted = hostileClient(provider, { vault: client.vault });
      try {
        await restarted.auth.restore();
        const state = restarted.auth.getSession();
        assert.equal(state.status === 'signed-in' && state.user.name, 'Harriet Hostile', `the name at once after a restart: ${JSON.stringify(state)}`);
        assert.equal(restarted.states.filter((s) => s.status === 'signed-in' && s.user.name === undefined).length, 0, 'never shown without the name');
        assert.equal(provider.count('/userinfo'), 0, 'no userinfo request at the restart');
      } finally {
        restarted.auth.dispose();
      }
    } finally {
      client.auth.dispose();
    }
  });

  it('a version 1 record from before (user without a name), a provider whose ID tokens carry none: restored, then the name from one userinfo request, written into the record', async () => {
    provider.reset();
    // The first run asks for no profile scope, so it never fetches userinfo: its record has the sub alone.
    const stored = await storedSession(provider, { idTokenClaims: withoutProfile }, { scopes: ['openid', 'offline_access'] });
    const current = JSON.parse(stored.record) as { refreshToken: string; user: Json };
    assert.deepEqual(current.user, { sub: provider.subject }, 'the first run never got the name');
    await stored.vault.set(stored.key, JSON.stringify({ v: 1, refreshToken: current.refreshToken, user: current.user }));
    provider.resetRequests();
    provider.script = { idTokenClaims: withoutProfile };
    const restarted = hostileClient(provider, { vault: stored.vault });
    try {
      await restarted.auth.restore();
      assert.equal(restarted.auth.getSession().status, 'signed-in');
      await waitForState(restarted, (s) => s.status === 'signed-in' && s.user.name === 'Harriet Hostile', 'the name from userinfo after the restore');
      assert.equal(provider.count('/userinfo'), 1);
      await waitFor(async () => ((await stored.vault.get(stored.key)) ?? '').includes('Harriet Hostile'), 'the name in the rewritten record');
      assert.equal((JSON.parse((await stored.vault.get(stored.key)) ?? '{}') as { v?: unknown }).v, 2);
    } finally {
      restarted.auth.dispose();
    }
  });

  it('an ID token that has the profile claims: no userinfo request', async () => {
    provider.reset();
    const client = hostileClient(provider);
    try {
      await signInFully(client, provider);
      await client.vault.completed('set', vaultKey('refresh-token', client.config), 'the refresh token written');
      await sleep(200);
      assert.equal(provider.count('/userinfo'), 0);
    } finally {
      client.auth.dispose();
    }
  });

  it('scopes that name no profile claims (openid offline_access): no userinfo request', async () => {
    provider.reset();
    provider.script = { idTokenClaims: withoutProfile };
    const client = hostileClient(provider, { config: { scopes: ['openid', 'offline_access'] } });
    try {
      await signInFully(client, provider);
      await client.vault.completed('set', vaultKey('refresh-token', client.config), 'the refresh token written');
      await sleep(200);
      assert.equal(provider.count('/userinfo'), 0);
    } finally {
      client.auth.dispose();
    }
  });

  it('no userinfo endpoint in discovery: no request, the sub is shown', async () => {
    provider.reset();
    provider.script = { idTokenClaims: withoutProfile, discovery: ({ userinfo_endpoint: _u, ...rest }) => rest };
    const client = hostileClient(provider);
    try {
      await signInFully(client, provider);
      await sleep(200);
      assert.equal(provider.count('/userinfo'), 0);
      assert.equal(client.auth.getSession().status, 'signed-in');
    } finally {
      client.auth.dispose();
    }
  });

  it('userinfo for another sub: the name is not taken, the session stays as it is', async () => {
    provider.reset();
    provider.script = { idTokenClaims: withoutProfile, userinfo: (c) => ({ ...c, sub: 'someone-else', name: 'Mallory' }) };
    const client = hostileClient(provider);
    try {
      await signInFully(client, provider);
      await waitFor(() => provider.count('/userinfo') === 1, 'the userinfo request');
      await waitFor(() => client.logs.some((line) => /userinfo/i.test(line)), 'the refusal logged');
      const state = client.auth.getSession();
      assert.deepEqual(state.status === 'signed-in' && state.user, { sub: provider.subject });
      assert.equal(client.states.some((s) => s.status === 'signed-in' && s.user.name === 'Mallory'), false);
    } finally {
      client.auth.dispose();
    }
  });

  it('userinfo answers 500: the session stays, one request, no retry loop', async () => {
    provider.reset();
    provider.script = { idTokenClaims: withoutProfile, userinfoRaw: (_q, res) => sendJson(res, 500, { error: 'server_error' }) };
    const client = hostileClient(provider);
    try {
      await signInFully(client, provider);
      await waitFor(() => provider.count('/userinfo') === 1, 'the userinfo request');
      await sleep(QUIET_MS);
      assert.equal(provider.count('/userinfo'), 1);
      assert.equal(client.auth.getSession().status, 'signed-in');
    } finally {
      client.auth.dispose();
    }
  });
});

describe('issue 16 kind 6: a refresh refused for good with something other than invalid_grant', () => {
  let provider: HostileProvider;
  before(async () => {
    provider = await startHostileProvider();
  });
  after(() => provider.close());

  const REFUSED: ReadonlyArray<readonly [string, RawHandler]> = [
    ['400 {"error":"invalid_request"} (a certified provider, refresh token deleted by an administrator)', (_q, res) => sendJson(res, 400, { error: 'invalid_request', error_description: 'Token not found' })],
    ['401 {"error":"invalid_request"}', (_q, res) => sendJson(res, 401, { error: 'invalid_request' })],
    ['400 {"error":"unsupported_grant_type"}', (_q, res) => sendJson(res, 400, { error: 'unsupported_grant_type' })],
    ['400 {"error":"invalid_scope"}', (_q, res) => sendJson(res, 400, { error: 'invalid_scope', error_description: 'offline session expired' })],
  ];

  for (const [name, handler] of REFUSED) {
    it(`${name} at restore(): not renewed, the provider's reason shown, one request, no retry, keychain kept`, async () => {
      provider.reset();
      const stored = await storedSession(provider);
      provider.resetRequests();
      provider.script = { token: handler };
      const restarted = hostileClient(provider, { vault: stored.vault });
      try {
        await restarted.auth.restore();
        const state = restarted.auth.getSession();
        assert.equal(state.status, 'signed-out', JSON.stringify(state));
        const error = errorOf(state);
        assert.equal(error?.code, 'session_ended');
        assertUserMessage(error?.message, 'session_ended');
        assert.match(error?.message ?? '', /could not be renewed/);
        const code = /"error":"(\w+)"/.exec(name)?.[1] ?? '';
        assert.ok((error?.message ?? '').includes(code), `the provider's reason (${code}) in ${error?.message}`);
        await sleep(QUIET_MS);
        assert.equal(refreshRequests(provider), 1, 'no retry loop');
        await assertKeychainKept(stored, name);
      } finally {
        restarted.auth.dispose();
      }
    });
  }

  it('mid-session, 400 invalid_request while the access token is valid: signed in until it expires, then "could not be renewed" with a Sign in (signed-out); one request; the keychain kept; a new sign-in replaces the record', async () => {
    provider.reset();
    provider.script = { tokenResponse: (body) => ({ ...body, expires_in: 5 }) };
    const client = hostileClient(provider);
    try {
      await signInFully(client, provider);
      const key = vaultKey('refresh-token', client.config);
      await client.vault.completed('set', key, 'the refresh token written');
      const record = (await client.vault.get(key)) ?? '';
      const signedIn = client.auth.getSession();
      const expiresAt = signedIn.status === 'signed-in' ? signedIn.expiresAt : 0;
      provider.resetRequests();
      provider.script = { token: REFUSED[0]![1] };
      await waitFor(() => refreshRequests(provider) === 1, 'the refresh request', 10_000);
      const ended = await waitForState(client, (s) => s.status === 'signed-out', 'the session over once the access token expired', 10_000);
      assert.ok(Date.now() >= expiresAt - 50, `not before the access token expired (${expiresAt - Date.now()} ms early)`);
      assert.equal(client.states.filter((s) => s.status === 'signed-in' && s.stale === true).length, 0, 'never shown as offline');
      const error = errorOf(ended);
      assert.equal(error?.code, 'session_ended');
      assert.match(error?.message ?? '', /could not be renewed/);
      assert.match(error?.message ?? '', /invalid_request/);
      assert.match(error?.message ?? '', /Token not found/);
      await sleep(QUIET_MS);
      assert.equal(refreshRequests(provider), 1, 'no retry loop');
      assertSecretEqual(await client.vault.get(key), record, 'the keychain keeps the refresh token until a new sign-in');
      await assert.rejects(client.auth.getUserInfo(), (e: { code?: string }) => e.code === 'not_signed_in');

      provider.script = {};
      await signInFully(client, provider);
      await waitFor(async () => (await client.vault.get(key)) !== record, 'the new sign-in\'s record replaces the old one');
    } finally {
      client.auth.dispose();
    }
  });

  it('mid-session, userinfo answers 401 and the refresh is refused with invalid_request: the call says the session could not be renewed (not "offline"), one refresh request however many calls, still signed in while the access token lasts', async () => {
    provider.reset();
    const client = hostileClient(provider);
    try {
      await signInFully(client, provider);
      provider.resetRequests();
      provider.script = { token: REFUSED[0]![1], userinfoRaw: answerWith(401, { 'www-authenticate': 'Bearer error="invalid_token"' }, '') };
      for (let call = 0; call < 2; call += 1) {
        await assert.rejects(client.auth.getUserInfo(), (error: { code?: string; message?: string }) => {
          assert.equal(error.code, 'token_rejected', `call ${call}: ${error.message}`);
          assert.match(error.message ?? '', /could not be renewed/);
          assert.match(error.message ?? '', /invalid_request/);
          return true;
        });
      }
      assert.equal(refreshRequests(provider), 1, 'the refused refresh is not asked again');
      assert.equal(client.auth.getSession().status, 'signed-in');
    } finally {
      client.auth.dispose();
    }
  });

  it('a refusal whose description echoes the refresh token: the message and the log hold none of it', async () => {
    provider.reset();
    const stored = await storedSession(provider);
    provider.script = {
      token: (_q, res, recorded) => sendJson(res, 400, { error: 'invalid_request', error_description: `unknown token ${recorded.form.get('refresh_token')}` }),
    };
    const restarted = hostileClient(provider, { vault: stored.vault });
    try {
      await restarted.auth.restore();
      const secrets = provider.secrets().filter((s) => s.startsWith('hostile-rt-'));
      assert.ok(secrets.length > 0);
      assertNoSecret(JSON.stringify(restarted.states) + restarted.logs.join('\n'), secrets, 'the refresh token in the states or the log');
      assert.match(errorOf(restarted.auth.getSession())?.message ?? '', /unknown token/);
    } finally {
      restarted.auth.dispose();
    }
  });

  for (const [name, handler] of [
    ['429 {"error":"invalid_request"}', (_q, res) => sendJson(res, 429, { error: 'invalid_request' })],
    ['503 {"error":"invalid_request"}', (_q, res) => sendJson(res, 503, { error: 'invalid_request' })],
    ['400 HTML that says invalid_request', answerWith(400, { 'content-type': 'text/html' }, '<html>invalid_request</html>')],
    ['no answer (connection reset)', (req) => void req.socket.destroy()],
  ] as const satisfies ReadonlyArray<readonly [string, RawHandler]>) {
    it(`${name} at restore(): transient as before (restoring, will retry), keychain kept`, async () => {
      provider.reset();
      const stored = await storedSession(provider);
      provider.script = { token: handler };
      const restarted = hostileClient(provider, { vault: stored.vault });
      try {
        await restarted.auth.restore();
        const state = restarted.auth.getSession();
        assert.equal(state.status, 'restoring', JSON.stringify(state));
        assert.ok(state.status === 'restoring' && state.retry, 'will retry');
        await assertKeychainKept(stored, name);
      } finally {
        restarted.auth.dispose();
      }
    });
  }
});

describe('issue 16 kind 7: a refused signed userinfo answer is a userinfo problem', () => {
  let provider: HostileProvider;
  before(async () => {
    provider = await startHostileProvider();
  });
  after(() => provider.close());

  it('userinfo as application/jwt, discovery without userinfo_signing_alg_values_supported: userinfo_invalid, not an ID token problem', async () => {
    provider.reset();
    const client = hostileClient(provider);
    try {
      await signInFully(client, provider);
      provider.script = {
        userinfoRaw: async (_q, res) => {
          const jwt = await signJwt({ sub: provider.subject, name: 'Harriet Hostile', iss: provider.issuer, aud: provider.clientId }, provider.keys.primary.privateKey, 'RS256', provider.keys.primary.kid);
          res.writeHead(200, { 'content-type': 'application/jwt' }).end(jwt);
        },
      };
      await assert.rejects(client.auth.getUserInfo(), (error: { code?: string; message?: string }) => {
        assert.equal(error.code, 'userinfo_invalid');
        assertUserMessage(error.message, 'userinfo_invalid');
        assert.match(error.message ?? '', /user information|userinfo/i);
        assert.doesNotMatch(error.message ?? '', /ID token/);
        return true;
      });
      assert.equal(client.auth.getSession().status, 'signed-in', 'the session is untouched');
    } finally {
      client.auth.dispose();
    }
  });
});
