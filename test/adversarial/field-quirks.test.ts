/**
 * What deployed providers, gateways and networks actually do (issue 9), and
 * the security review's side doors (issue 10 Low 1–6), each with the issue's
 * own input, against the hostile provider. The rule under test: a refresh
 * token valid at the provider is deleted only by an OAuth error that says it
 * is dead, or by sign-out; everything else keeps the session and retries.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { createServer as createNetServer, type Server as NetServer } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { createAuthService, createKeytarVault, keychainServiceName, type AuthErrorCode, type SessionState } from '../../main/auth/index';
import { vaultKey } from '../../main/auth/pending-flow';
import {
  assertUserMessage,
  beginSignIn,
  configFor,
  errorOf,
  expectRejectedSignIn,
  hostileClient,
  recordingVault,
  signInFully,
  waitFor,
  waitForState,
  type ClientOptions,
  type HostileClient,
  type RecordingVault,
} from '../support/hostile-harness';
import { sendJson, startHostileProvider, type HostileProvider, type Json, type RawHandler } from '../support/hostile-provider';
import { assertContainsSecret, assertNoSecret, assertSecretEqual } from '../support/secret-assert';

/** Longer than the first backoff (1 s), far shorter than the provider's Retry-After (30 s). */
const QUIET_MS = 1500;
const TOKEN_SHAPED = /[A-Za-z0-9_~+/=.-]{32,}/;

const refreshRequests = (provider: HostileProvider): number => provider.requests.filter((r) => r.path === '/token' && r.form.get('grant_type') === 'refresh_token').length;
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** A token endpoint that answers every request with this status, headers and body. */
function answerWith(status: number, headers: Record<string, string>, body: string): RawHandler {
  return (_request, response) => void response.writeHead(status, headers).end(body);
}

const RATE_LIMITED: ReadonlyArray<readonly [string, RawHandler]> = [
  ['{"error":"too_many_requests"}', answerWith(429, { 'retry-after': '30', 'content-type': 'application/json' }, '{"error":"too_many_requests"}')],
  ['"Too Many Requests"', answerWith(429, { 'retry-after': '30', 'content-type': 'text/plain' }, 'Too Many Requests')],
];

interface Stored {
  readonly vault: RecordingVault;
  readonly key: string;
  /** The keychain record after sign-in (a secret: compared, never printed). */
  readonly record: string;
  readonly nonce: string;
}

/** Signs in once, waits for the refresh token's keychain write, and quits (dispose): a stored session for a restart. */
async function storedSession(provider: HostileProvider, config: Record<string, unknown> = {}): Promise<Stored> {
  const vault = recordingVault();
  const first = hostileClient(provider, { vault, config });
  try {
    const authorization = await signInFully(first, provider);
    const key = vaultKey('refresh-token', first.config);
    await vault.completed('set', key, 'the refresh token written to the vault');
    const record = await vault.get(key);
    assert.ok(record !== null);
    return { vault, key, record, nonce: authorization.nonce ?? '' };
  } finally {
    first.auth.dispose();
  }
}

/** The keychain still holds the record it had, and nothing deleted it. */
async function assertKeychainKept(stored: Stored, what: string): Promise<void> {
  assertSecretEqual(await stored.vault.get(stored.key), stored.record, `${what}: the keychain keeps the refresh token`);
  assert.equal(stored.vault.calls.filter((c) => c.op === 'delete' && c.key === stored.key).length, 0, `${what}: the refresh token was never deleted`);
}

/** A signed-in client whose access tokens live `expiresIn` s, its refresh token written to the vault. */
async function signedIn(provider: HostileProvider, expiresIn: number, options: ClientOptions = {}): Promise<{ client: HostileClient; stored: Stored }> {
  provider.script = { ...provider.script, tokenResponse: (body) => ({ ...body, expires_in: expiresIn }) };
  const client = hostileClient(provider, options);
  const authorization = await signInFully(client, provider);
  const key = vaultKey('refresh-token', client.config);
  await client.vault.completed('set', key, 'the refresh token written to the vault');
  const record = await client.vault.get(key);
  assert.ok(record !== null);
  return { client, stored: { vault: client.vault, key, record, nonce: authorization.nonce ?? '' } };
}

function retryOf(state: SessionState): (NonNullable<Extract<SessionState, { status: 'restoring' }>['retry']>) | undefined {
  return state.status === 'restoring' ? state.retry : undefined;
}

describe('field quirks: what ends a session (issue 9, kind 1)', () => {
  let provider: HostileProvider;
  before(async () => {
    provider = await startHostileProvider();
  });
  after(async () => {
    await provider.close();
  });

  for (const [body, handler] of RATE_LIMITED) {
    it(`429 Retry-After: 30, body ${body}, at restore(): restoring with retry, keychain kept, no second request before Retry-After`, async () => {
      provider.reset();
      const stored = await storedSession(provider);
      provider.resetRequests();
      provider.script = { token: handler };
      const restarted = hostileClient(provider, { vault: stored.vault, now: () => Date.now() });
      try {
        const startedAt = Date.now();
        await restarted.auth.restore();
        const state = restarted.auth.getSession();
        assert.equal(state.status, 'restoring', `not signed out: ${JSON.stringify(state)}`);
        const retry = retryOf(state);
        assert.ok(retry, 'the user is told the app will retry');
        assertUserMessage(retry.message, retry.code);
        assert.ok(retry.retryAt >= startedAt + 30_000, `the retry is planned no sooner than Retry-After (in ${retry.retryAt - startedAt} ms)`);
        await assertKeychainKept(stored, 'rate limited at restore');
        assert.equal(provider.count('/token'), 1, 'one refresh request');
        await sleep(QUIET_MS);
        assert.equal(provider.count('/token'), 1, 'no second request within the first backoff: Retry-After holds it back');
        assert.equal(restarted.auth.getSession().status, 'restoring');
      } finally {
        restarted.auth.dispose();
      }
    });

    it(`429 Retry-After: 30, body ${body}, mid-session: signed-in and stale, keychain kept, no second request before Retry-After`, async () => {
      provider.reset();
      const { client, stored } = await signedIn(provider, 2);
      try {
        provider.resetRequests();
        provider.script = { token: handler };
        const stale = await waitForState(client, (s) => s.status === 'signed-in' && s.stale === true, 'the session marked stale after the 429');
        assert.equal(stale.status, 'signed-in');
        await assertKeychainKept(stored, 'rate limited mid-session');
        assert.equal(refreshRequests(provider), 1);
        await sleep(QUIET_MS);
        assert.equal(refreshRequests(provider), 1, 'no second request within the first backoff');
        assert.equal(client.auth.getSession().status, 'signed-in');
        // A call in the meantime sends no refresh either: the provider asked to wait.
        assert.equal((await client.auth.getUserInfo()).sub, provider.subject);
        assert.equal(refreshRequests(provider), 1);
      } finally {
        client.auth.dispose();
      }
    });
  }

  it('429 Retry-After: 30 mid-session, then userinfo answers 401: the call fails for now (token_request_failed), the session is not called ended, no refresh is sent, the keychain is kept', async () => {
    provider.reset();
    const { client, stored } = await signedIn(provider, 2);
    try {
      provider.resetRequests();
      provider.script = { token: RATE_LIMITED[0]![1], userinfoRaw: answerWith(401, { 'www-authenticate': 'Bearer error="invalid_token"' }, '') };
      await waitForState(client, (s) => s.status === 'signed-in' && s.stale === true, 'the session marked stale after the 429');
      await assert.rejects(client.auth.getUserInfo(), (error: { code?: AuthErrorCode; message?: string }) => {
        assert.equal(error.code, 'token_request_failed', `not "session_ended" while the session goes on (${error.code})`);
        assertUserMessage(error.message ?? '', error.code);
        return true;
      });
      assert.equal(refreshRequests(provider), 1, 'the 401 sends no refresh while the provider asked to wait');
      assert.equal(client.auth.getSession().status, 'signed-in');
      await assertKeychainKept(stored, 'a refused call during a rate limit');
    } finally {
      client.auth.dispose();
    }
  });

  it('429 with Retry-After: 1 at restore(): the session recovers by itself once the provider answers, never sooner than Retry-After', async () => {
    provider.reset();
    const stored = await storedSession(provider);
    provider.resetRequests();
    provider.script = { token: answerWith(429, { 'retry-after': '1', 'content-type': 'text/plain' }, 'Too Many Requests') };
    const restarted = hostileClient(provider, { vault: stored.vault });
    try {
      await restarted.auth.restore();
      assert.ok(retryOf(restarted.auth.getSession()), 'restoring, will retry');
      provider.script = {};
      const back = await waitForState(restarted, (s) => s.status === 'signed-in', 'the session restored by the retry', 10_000);
      assert.equal(back.status === 'signed-in' && back.user.sub, provider.subject);
      const times = provider.requests.filter((r) => r.path === '/token').map((r) => r.at);
      assert.equal(times.length, 2);
      assert.ok((times[1] as number) - (times[0] as number) >= 1000, 'the retry came no sooner than Retry-After');
      await waitFor(async () => (await stored.vault.get(stored.key)) !== stored.record, 'the rotated refresh token in the keychain');
    } finally {
      restarted.auth.dispose();
    }
  });

  it('a retry timer that fires before the clock has reached Retry-After sends nothing and plans again: the restore still recovers, never shown as signed out', async () => {
    provider.reset();
    const stored = await storedSession(provider);
    provider.resetRequests();
    provider.script = { token: answerWith(429, { 'retry-after': '1', 'content-type': 'text/plain' }, 'Too Many Requests') };
    // The core's clock stands still while the timers run on: the first retry finds Retry-After not yet over.
    let frozenAt: number | undefined = Date.now();
    const restarted = hostileClient(provider, { vault: stored.vault, now: () => frozenAt ?? Date.now() });
    try {
      await restarted.auth.restore();
      assert.ok(retryOf(restarted.auth.getSession()), 'restoring, will retry');
      provider.script = {};
      await sleep(QUIET_MS);
      assert.equal(provider.count('/token'), 1, 'nothing sent while the clock says Retry-After is not over');
      frozenAt = undefined;
      const back = await waitForState(restarted, (s) => s.status === 'signed-in', 'the session restored once the clock has passed Retry-After', 10_000);
      assert.equal(back.status, 'signed-in');
      assert.ok(!restarted.states.some((state) => state.status === 'signed-out'), 'never shown as signed out on the way');
    } finally {
      restarted.auth.dispose();
    }
  });

  it('429 with Retry-After: 1 mid-session: stale, then fresh again by itself once the provider answers', async () => {
    provider.reset();
    const { client } = await signedIn(provider, 2);
    try {
      provider.script = { token: answerWith(429, { 'retry-after': '1', 'content-type': 'application/json' }, '{"error":"too_many_requests"}') };
      const stale = await waitForState(client, (s) => s.status === 'signed-in' && s.stale === true, 'stale after the 429');
      const staleExpiry = stale.status === 'signed-in' ? stale.expiresAt : 0;
      provider.script = { tokenResponse: (body) => ({ ...body, expires_in: 60 }) };
      const fresh = await waitForState(client, (s) => s.status === 'signed-in' && s.stale !== true && s.expiresAt > staleExpiry, 'the session refreshed again, not stale', 10_000);
      assert.equal(fresh.status, 'signed-in');
    } finally {
      client.auth.dispose();
    }
  });

  const TRANSIENT: ReadonlyArray<readonly [string, RawHandler]> = [
    ['HTML 200 from a proxy', answerWith(200, { 'content-type': 'text/html' }, '<html><body>Proxy authentication required</body></html>')],
    ['HTML 502 from a gateway', answerWith(502, { 'content-type': 'text/html' }, '<html><body><h1>502 Bad Gateway</h1></body></html>')],
    ['302 to a captive portal', answerWith(302, { location: 'http://127.0.0.1:1/portal', 'content-type': 'text/html' }, '<html>captive portal</html>')],
    ['empty body 400 (glewlwyd\'s dead-token shape)', answerWith(400, {}, '')],
    ['truncated JSON 400', answerWith(400, { 'content-type': 'application/json' }, '{"error":"invalid_gr')],
  ];

  for (const [name, handler] of TRANSIENT) {
    it(`${name} at restore(): transient, keychain kept`, async () => {
      provider.reset();
      const stored = await storedSession(provider);
      provider.script = { token: handler };
      const restarted = hostileClient(provider, { vault: stored.vault });
      try {
        await restarted.auth.restore();
        const state = restarted.auth.getSession();
        assert.equal(state.status, 'restoring', `not signed out: ${JSON.stringify(state)}`);
        assert.ok(retryOf(state), 'will retry');
        await assertKeychainKept(stored, name);
      } finally {
        restarted.auth.dispose();
      }
    });
  }

  it('HTML 200 from a proxy mid-session: signed-in and stale, keychain kept', async () => {
    provider.reset();
    const { client, stored } = await signedIn(provider, 2);
    try {
      provider.script = { token: TRANSIENT[0]?.[1] as RawHandler };
      await waitForState(client, (s) => s.status === 'signed-in' && s.stale === true, 'stale after the HTML answer');
      await assertKeychainKept(stored, 'HTML 200 mid-session');
    } finally {
      client.auth.dispose();
    }
  });

  const DEAD: ReadonlyArray<readonly [string, RawHandler]> = [
    ['400 invalid_grant', (_q, res) => sendJson(res, 400, { error: 'invalid_grant', error_description: 'refresh token revoked' })],
    ['401 invalid_client', (_q, res) => sendJson(res, 401, { error: 'invalid_client' })],
  ];

  for (const [name, handler] of DEAD) {
    it(`${name} at restore(): session_ended, keychain cleared`, async () => {
      provider.reset();
      const stored = await storedSession(provider);
      const since = stored.vault.calls.length;
      provider.script = { token: handler };
      const restarted = hostileClient(provider, { vault: stored.vault });
      try {
        await restarted.auth.restore();
        const state = restarted.auth.getSession();
        assert.equal(state.status, 'signed-out');
        assert.equal(errorOf(state)?.code, 'session_ended');
        await stored.vault.completed('delete', stored.key, 'the dead refresh token deleted', { since });
        assert.equal(await stored.vault.get(stored.key), null);
      } finally {
        restarted.auth.dispose();
      }
    });

    it(`${name} mid-session: session_ended, keychain cleared`, async () => {
      provider.reset();
      const { client, stored } = await signedIn(provider, 2);
      try {
        const since = stored.vault.calls.length;
        provider.script = { token: handler };
        const ended = await waitForState(client, (s) => s.status === 'signed-out', 'the session ended');
        assert.equal(errorOf(ended)?.code, 'session_ended');
        await stored.vault.completed('delete', stored.key, 'the dead refresh token deleted', { since });
        assert.equal(await stored.vault.get(stored.key), null);
      } finally {
        client.auth.dispose();
      }
    });
  }
});

describe('field quirks: a challenge header on a success (issue 9, kind 3)', () => {
  let provider: HostileProvider;
  before(async () => {
    provider = await startHostileProvider();
  });
  after(async () => {
    await provider.close();
  });

  it('a gateway adds WWW-Authenticate: Key realm="gateway" to every response: sign-in, refresh, getUserInfo and callApi succeed', async () => {
    provider.reset();
    provider.script = { responseHeaders: { 'www-authenticate': 'Key realm="gateway"' } };
    const { client } = await signedIn(provider, 2, { config: { apiBaseUrls: [`${provider.issuer}/api/`] } });
    try {
      const first = client.auth.getSession();
      assert.equal((await client.auth.getUserInfo()).sub, provider.subject, 'getUserInfo');
      const api = await client.auth.callApi({ url: `${provider.issuer}/api/profile` });
      assert.equal(api.status, 200, 'callApi');
      assert.equal((api.body as Json)['sub'], provider.subject);
      const refreshed = await waitForState(client, (s) => s.status === 'signed-in' && first.status === 'signed-in' && s.expiresAt > first.expiresAt && s.stale !== true, 'a refresh through the gateway');
      assert.equal(refreshed.status, 'signed-in');
      // Positive control: the gateway's header really was on the successes.
      assert.ok(provider.requests.length > 0);
      const probe = await fetch(`${provider.issuer}/.well-known/openid-configuration`);
      assert.equal(probe.headers.get('www-authenticate'), 'Key realm="gateway"');
    } finally {
      client.auth.dispose();
    }
  });

  it('a gateway challenge at restore(): the refresh succeeds', async () => {
    provider.reset();
    const stored = await storedSession(provider);
    provider.script = { responseHeaders: { 'www-authenticate': 'Key realm="gateway"' } };
    const restarted = hostileClient(provider, { vault: stored.vault });
    try {
      await restarted.auth.restore();
      assert.equal(restarted.auth.getSession().status, 'signed-in');
    } finally {
      restarted.auth.dispose();
    }
  });

  it('401 from userinfo WITHOUT WWW-Authenticate: refresh once, retry once, succeed', async () => {
    provider.reset();
    const { client } = await signedIn(provider, 300);
    try {
      provider.resetRequests();
      provider.script = {
        userinfoRaw: (_request, response) => {
          // Once: the next call reaches the provider's own userinfo endpoint.
          const { userinfoRaw: _spent, ...rest } = provider.script;
          provider.script = rest;
          response.writeHead(401, { 'content-type': 'application/json' }).end('{"error":"invalid_token"}');
        },
      };
      const info = await client.auth.getUserInfo();
      assert.equal(info.sub, provider.subject);
      assert.equal(refreshRequests(provider), 1, 'one refresh');
      assert.equal(provider.count('/userinfo'), 2, 'one retry');
      const presented = provider.requests.filter((r) => r.path === '/userinfo').map((r) => r.headers.authorization ?? '');
      assert.notEqual(presented[0] === presented[1], true, 'the retry used the refreshed access token');
    } finally {
      client.auth.dispose();
    }
  });
});

describe('field quirks: refreshed ID tokens and azp (issue 9, kinds 4 and 5)', () => {
  let provider: HostileProvider;
  before(async () => {
    provider = await startHostileProvider();
  });
  after(async () => {
    await provider.close();
  });

  const authTime = Math.floor(Date.now() / 1000) - 30;
  const CHANGES: ReadonlyArray<{ readonly name: string; readonly atSignIn?: (claims: Json) => Json; readonly atRefresh: (claims: Json) => Json }> = [
    { name: 'a different nonce', atRefresh: (c) => ({ ...c, nonce: 'a-different-nonce-value' }) },
    { name: 'a different auth_time', atSignIn: (c) => ({ ...c, auth_time: authTime }), atRefresh: (c) => ({ ...c, auth_time: authTime + 5 }) },
    { name: 'azp dropped', atSignIn: (c) => ({ ...c, azp: provider.clientId }), atRefresh: (c) => ({ ...c, azp: undefined }) },
    { name: 'a different aud', atSignIn: (c) => ({ ...c, azp: provider.clientId }), atRefresh: (c) => ({ ...c, aud: [provider.clientId, 'another-audience'], azp: provider.clientId }) },
    { name: 'a different iss', atRefresh: (c) => ({ ...c, iss: 'https://another-issuer.example' }) },
  ];

  /** ID token claims per grant: the code exchange's and the refresh's. */
  function claimsScript(atSignIn: ((claims: Json) => Json) | undefined, atRefresh: ((claims: Json) => Json) | undefined) {
    return (claims: Json, context: { grantType: string | null }): Json => {
      if (context.grantType === 'authorization_code') return atSignIn ? atSignIn(claims) : claims;
      return atRefresh ? atRefresh(claims) : claims;
    };
  }

  for (const change of CHANGES) {
    it(`mid-session, a refreshed ID token with ${change.name}: identity_unverified, session ended, keychain NOT cleared`, async () => {
      provider.reset();
      provider.script = { idTokenClaims: claimsScript(change.atSignIn, undefined) };
      const { client, stored } = await signedIn(provider, 2);
      try {
        provider.script = { ...provider.script, idTokenClaims: claimsScript(change.atSignIn, change.atRefresh) };
        const ended = await waitForState(client, (s) => s.status === 'signed-out', 'the session ended by the refreshed ID token');
        assert.equal(errorOf(ended)?.code, 'identity_unverified');
        assertUserMessage(errorOf(ended)?.message, 'identity_unverified');
        await assertKeychainKept(stored, change.name);
      } finally {
        client.auth.dispose();
      }
    });
  }

  it('positive control: a refreshed ID token that repeats the original nonce, auth_time and azp keeps the session', async () => {
    provider.reset();
    let nonce: string | null = null;
    provider.script = {
      idTokenClaims: (claims, context) => {
        if (context.grantType === 'authorization_code') nonce = (claims['nonce'] as string | undefined) ?? null;
        return { ...claims, auth_time: authTime, azp: provider.clientId, ...(nonce ? { nonce } : {}) };
      },
    };
    const { client } = await signedIn(provider, 2);
    try {
      const first = client.auth.getSession();
      const refreshed = await waitForState(client, (s) => s.status === 'signed-in' && first.status === 'signed-in' && s.expiresAt > first.expiresAt, 'a refresh that keeps the session');
      assert.equal(refreshed.status, 'signed-in');
    } finally {
      client.auth.dispose();
    }
  });

  it('after a restart: the refreshed ID token\'s nonce is still compared (the keychain record keeps the original claims)', async () => {
    provider.reset();
    const stored = await storedSession(provider);
    const record = JSON.parse(stored.record) as { v?: unknown; identity?: { nonce?: unknown; sub?: unknown } };
    assert.equal(record.v, 2, 'a version 2 record');
    assertSecretEqual(record.identity?.nonce, stored.nonce, 'the record keeps the original nonce');
    provider.script = { idTokenClaims: (claims) => ({ ...claims, nonce: 'a-different-nonce-value' }) };
    const restarted = hostileClient(provider, { vault: stored.vault });
    try {
      await restarted.auth.restore();
      const state = restarted.auth.getSession();
      assert.equal(state.status, 'signed-out');
      assert.equal(errorOf(state)?.code, 'identity_unverified');
      await assertKeychainKept(stored, 'nonce changed across a restart');
    } finally {
      restarted.auth.dispose();
    }
  });

  it('after a restart, positive control: a refreshed ID token with the original nonce restores the session', async () => {
    provider.reset();
    const stored = await storedSession(provider);
    provider.script = { idTokenClaims: (claims) => ({ ...claims, nonce: stored.nonce }) };
    const restarted = hostileClient(provider, { vault: stored.vault });
    try {
      await restarted.auth.restore();
      assert.equal(restarted.auth.getSession().status, 'signed-in');
    } finally {
      restarted.auth.dispose();
    }
  });

  it('a version 1 keychain record ({"v":1,"refreshToken":…,"user":{…}}) still restores, and is rewritten as version 2', async () => {
    provider.reset();
    const stored = await storedSession(provider);
    const current = JSON.parse(stored.record) as { refreshToken: string; user: Json };
    await stored.vault.set(stored.key, JSON.stringify({ v: 1, refreshToken: current.refreshToken, user: current.user }));
    const since = stored.vault.calls.length;
    const restarted = hostileClient(provider, { vault: stored.vault });
    try {
      await restarted.auth.restore();
      const state = restarted.auth.getSession();
      assert.equal(state.status, 'signed-in', JSON.stringify(state));
      assert.equal(state.status === 'signed-in' && state.user.sub, provider.subject);
      const rewritten = await stored.vault.completed('set', stored.key, 'the record rewritten', { since });
      assert.equal((JSON.parse(rewritten.value ?? '{}') as { v?: unknown }).v, 2);
    } finally {
      restarted.auth.dispose();
    }
  });

  // The record's metadata is used before discovery answers; provisionalMetadata's endpoint check throws outside any try.
  it('a keychain record whose kept token endpoint is not usable (smb:): restore() does not throw, and refreshes through discovery', async () => {
    provider.reset();
    const stored = await storedSession(provider);
    const record = JSON.parse(stored.record) as Json & { metadata?: Json };
    assert.ok(record.metadata, 'the record keeps provider metadata');
    await stored.vault.set(stored.key, JSON.stringify({ ...record, metadata: { ...record.metadata, token_endpoint: 'smb://files.example/token' } }));
    const restarted = hostileClient(provider, { vault: stored.vault });
    try {
      await restarted.auth.restore();
      assert.equal(restarted.auth.getSession().status, 'signed-in', JSON.stringify(restarted.auth.getSession()));
    } finally {
      restarted.auth.dispose();
    }
  });

  it('azp: an ID token with aud = our client id and azp = "other-client" is refused at sign-in', async () => {
    await expectRejectedSignIn(provider, {
      script: { idTokenClaims: (claims) => ({ ...claims, aud: provider.clientId, azp: 'other-client' }) },
      code: 'identity_unverified',
    });
  });
});

describe('field quirks: an installed app\'s client secret (issue 9, kind 6)', () => {
  let provider: HostileProvider;
  before(async () => {
    provider = await startHostileProvider();
  });
  after(async () => {
    await provider.close();
  });

  const SECRET = 'installed-app-secret-of-a-desktop-client';

  function basicCredentials(header: string | undefined): { id: string; secret: string } | undefined {
    const [scheme = '', value = ''] = (header ?? '').split(' ', 2);
    if (scheme.toLowerCase() !== 'basic') return undefined;
    const decoded = Buffer.from(value, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    return { id: decodeURIComponent(decoded.slice(0, colon)), secret: decodeURIComponent(decoded.slice(colon + 1)) };
  }

  async function fullCycle(discovery?: (document: Json) => Json, config: Record<string, unknown> = { clientSecret: SECRET }): Promise<HostileClient> {
    provider.reset();
    if (discovery) provider.script = { discovery };
    const client = hostileClient(provider, { config: { ...config } });
    try {
      await signInFully(client, provider);
      provider.script = { ...provider.script };
      // A refresh through a restart over the same vault, then sign-out (revocation).
      const key = vaultKey('refresh-token', client.config);
      await client.vault.completed('set', key, 'the refresh token written');
      client.auth.dispose();
      const restarted = hostileClient(provider, { vault: client.vault, config: { ...config } });
      await restarted.auth.restore();
      assert.equal(restarted.auth.getSession().status, 'signed-in');
      await restarted.auth.signOut();
      restarted.auth.dispose();
      return client;
    } finally {
      client.auth.dispose();
    }
  }

  it('client_secret_basic (discovery lists none of the secret methods): token and revocation requests carry it, the authorize URL never does', async () => {
    const client = await fullCycle();
    const authorizeUrl = client.opened[0] ?? '';
    assert.ok(authorizeUrl.startsWith(provider.issuer), 'the authorize URL was opened');
    assertNoSecret(decodeURIComponent(authorizeUrl), [SECRET], 'the authorize URL');
    const tokenRequests = provider.requests.filter((r) => r.path === '/token');
    assert.deepEqual(tokenRequests.map((r) => r.form.get('grant_type')), ['authorization_code', 'refresh_token']);
    const revocations = provider.requests.filter((r) => r.path === '/revoke');
    assert.equal(revocations.length, 2);
    for (const request of [...tokenRequests, ...revocations]) {
      const credentials = basicCredentials(request.headers.authorization);
      assert.ok(credentials, `${request.path}: a Basic Authorization header`);
      assert.equal(credentials.id, provider.clientId);
      assertSecretEqual(credentials.secret, SECRET, `${request.path}: the secret`);
      assert.equal(request.form.get('client_secret'), null, `${request.path}: not also in the body`);
    }
    for (const request of provider.requests.filter((r) => r.path !== '/token' && r.path !== '/revoke')) {
      assertNoSecret(`${request.path}?${request.query.toString()} ${request.body} ${request.headers.authorization ?? ''}`, [SECRET], `${request.method} ${request.path}`);
    }
  });

  it('client_secret_post when discovery lists only that: in the body of token and revocation requests, never in a header or the URL', async () => {
    const client = await fullCycle((document) => ({ ...document, token_endpoint_auth_methods_supported: ['client_secret_post'] }));
    assertNoSecret(decodeURIComponent(client.opened[0] ?? ''), [SECRET], 'the authorize URL');
    const sent = provider.requests.filter((r) => r.path === '/token' || r.path === '/revoke');
    assert.equal(sent.length, 4);
    for (const request of sent) {
      assertSecretEqual(request.form.get('client_secret'), SECRET, `${request.path}: the secret in the body`);
      assert.equal(request.form.get('client_id'), provider.clientId);
      assert.equal(basicCredentials(request.headers.authorization), undefined, `${request.path}: no Basic header`);
    }
  });

  it('without clientSecret nothing is sent: no Authorization header, no client_secret', async () => {
    await fullCycle(undefined, {});
    const sent = provider.requests.filter((r) => r.path === '/token' || r.path === '/revoke');
    assert.equal(sent.length, 4);
    for (const request of sent) {
      assert.equal(request.headers.authorization, undefined, request.path);
      assert.equal(request.form.get('client_secret'), null, request.path);
      assert.equal(request.form.get('client_id'), provider.clientId, `${request.path}: a public client names itself`);
    }
  });
});

describe('field quirks: discovery (issue 9 kind 7, issue 10 Low 2 and 6)', () => {
  let provider: HostileProvider;
  before(async () => {
    provider = await startHostileProvider();
  });
  after(async () => {
    await provider.close();
  });

  async function readyError(discovery: (document: Json) => Json): Promise<{ code: AuthErrorCode; message: string }> {
    provider.reset();
    provider.script = { discovery };
    const client = hostileClient(provider);
    try {
      let caught: { code?: AuthErrorCode; message?: string } | undefined;
      await client.auth.ready().catch((error: unknown) => {
        caught = error as { code?: AuthErrorCode; message?: string };
      });
      assert.ok(caught?.code, 'ready() rejects with a coded error');
      return { code: caught.code, message: caught.message ?? '' };
    } finally {
      client.auth.dispose();
    }
  }

  it('Entra "common": discovery publishes the issuer "https://login.microsoftonline.com/{tenantid}/v2.0": issuer_mismatch naming the tenant-specific issuer', async () => {
    const error = await readyError((document) => ({ ...document, issuer: 'https://login.microsoftonline.com/{tenantid}/v2.0' }));
    assert.equal(error.code, 'issuer_mismatch');
    assert.match(error.message, /tenant/i);
    assert.match(error.message, /https:\/\/login\.microsoftonline\.com\/<tenant-id>\/v2\.0/);
    assert.doesNotMatch(error.message, /exactly the value the provider publishes/);
  });

  for (const [name, jwksUri] of [
    ['data:', 'data:application/json,{"keys":[]}'],
    ['http:// off loopback', 'http://keys.example.com/jwks'],
  ] as const) {
    it(`jwks_uri ${name}: provider_unsupported, and no key is fetched`, async () => {
      const error = await readyError((document) => ({ ...document, jwks_uri: jwksUri }));
      assert.equal(error.code, 'provider_unsupported');
      assert.match(error.message, /jwks_uri/);
      assert.equal(provider.count('/jwks'), 0, 'no key request');
    });
  }

  it('end_session_endpoint smb://: provider_unsupported at discovery', async () => {
    const error = await readyError((document) => ({ ...document, end_session_endpoint: 'smb://files.example.com/logout' }));
    assert.equal(error.code, 'provider_unsupported');
    assert.match(error.message, /end_session_endpoint/);
  });

  it('end_session_endpoint smb://, with a session restored from the keychain: signOut() never throws, and signs out locally', async () => {
    provider.reset();
    const stored = await storedSession(provider, { endSessionInBrowser: true });
    provider.script = { discovery: (document) => ({ ...document, end_session_endpoint: 'smb://files.example.com/logout' }) };
    const restarted = hostileClient(provider, { vault: stored.vault, config: { endSessionInBrowser: true } });
    try {
      await restarted.auth.restore();
      assert.equal(restarted.auth.getSession().status, 'signed-in', JSON.stringify(restarted.auth.getSession()));
      const since = stored.vault.calls.length;
      await restarted.auth.signOut();
      assert.equal(restarted.auth.getSession().status, 'signed-out');
      await stored.vault.completed('delete', stored.key, 'the refresh token deleted at sign-out', { since });
      assert.ok(!restarted.opened.some((url) => url.startsWith('smb:')), 'no smb: URL was opened');
    } finally {
      restarted.auth.dispose();
    }
  });
});

describe('field quirks: no secret in a message (issue 10 Low 1)', () => {
  let provider: HostileProvider;
  before(async () => {
    provider = await startHostileProvider();
  });
  after(async () => {
    await provider.close();
  });

  it('a token endpoint error_description echoing the code_verifier and the code: the message holds neither, nor anything token-shaped', async () => {
    let echoed: string[] = [];
    await expectRejectedSignIn(provider, {
      script: {
        token: (_request, response, recorded) => {
          const verifier = recorded.form.get('code_verifier') ?? '';
          const code = recorded.form.get('code') ?? '';
          echoed = [verifier, code];
          sendJson(response, 400, { error: 'invalid_request', error_description: `code_verifier ${verifier} does not match code ${code}` });
        },
      },
      code: 'token_rejected',
      afterRejection: (_provider, client) => {
        const message = errorOf(client.auth.getSession())?.message ?? '';
        assert.equal(echoed.length, 2);
        assert.ok(echoed.every((secret) => secret.length >= 32), 'the echoed verifier and code are long enough to be token-shaped');
        assertNoSecret(message, echoed, 'the message');
        assert.doesNotMatch(message, TOKEN_SHAPED, 'nothing token-shaped in the message');
        assert.match(message, /invalid_request/, 'the provider\'s error code is still shown');
      },
    });
  });

  for (const contentType of ['application/json', 'text/html']) {
    it(`a JWKS body that is not JSON (${contentType}): the message holds none of it`, async () => {
      provider.reset();
      const marker = provider.mint('jwks');
      const body = `<html>secret-looking-abc${marker}</html>`;
      provider.script = { jwksRaw: (_request, response) => void response.writeHead(200, { 'content-type': contentType }).end(body) };
      const client = hostileClient(provider);
      try {
        let message = '';
        await client.auth.signIn().catch((error: unknown) => {
          message = (error as Error).message;
        });
        const state = client.auth.getSession();
        const shown = errorOf(state)?.message ?? '';
        assert.equal(errorOf(state)?.code, 'discovery_failed', JSON.stringify(errorOf(state)?.code));
        for (const text of [message, shown]) {
          assert.ok(text.length > 0);
          assertNoSecret(text, [marker, 'secret-looking', '<html'], 'the message');
          assert.doesNotMatch(text, /<html|secret-looking/);
        }
      } finally {
        client.auth.dispose();
        provider.reset();
      }
    });
  }
});

describe('field quirks: the pending flow in the real keychain (issue 10 Low 3)', () => {
  let provider: HostileProvider;
  const service = `${keychainServiceName('com.example.oidc-desktop.test')}.field-quirks-${randomUUID().slice(0, 8)}`;
  before(async () => {
    // On Linux the real keychain is the private gnome-keyring of scripts/with-keyring.mjs; elsewhere, the OS's own.
    if (process.platform === 'linux') assert.ok(process.env['DBUS_SESSION_BUS_ADDRESS'], 'the real keychain: run through scripts/with-keyring.mjs (npm test does)');
    provider = await startHostileProvider();
  });
  after(async () => {
    await provider.close();
  });

  const pendingKey = (): string => vaultKey('pending-flow', configFor(provider));
  const isPending = (key: string): boolean => key.startsWith('pending-flow:');
  /** What a fresh keytar vault (a fresh process) reads for the pending flow. */
  const keptFlow = (): Promise<string | null> => createKeytarVault(service).get(pendingKey());

  it('deleted after browser_open_failed (openExternal rejects)', async () => {
    provider.reset();
    const vault = recordingVault(createKeytarVault(service));
    const auth = createAuthService({
      config: configFor(provider),
      vault,
      openExternal: () => Promise.reject(new Error('no default browser')),
    });
    try {
      await assert.rejects(auth.signIn(), (error: { code?: string }) => error.code === 'browser_open_failed');
      await vault.completed('set', isPending, 'the pending flow written');
      await vault.completed('delete', isPending, 'the pending flow deleted after the browser failed');
      assert.equal(await keptFlow(), null);
    } finally {
      auth.dispose();
    }
  });

  it('deleted after cancel', async () => {
    provider.reset();
    const vault = recordingVault(createKeytarVault(service));
    const client = hostileClient(provider, { vault });
    try {
      await beginSignIn(client, provider);
      await vault.completed('set', isPending, 'the pending flow written');
      assert.notEqual(await keptFlow(), null, 'positive control: the flow is in the keychain while pending');
      client.auth.cancelSignIn();
      await vault.completed('delete', isPending, 'the pending flow deleted after cancel');
      assert.equal(await keptFlow(), null);
    } finally {
      client.auth.dispose();
    }
  });

  it('after supersession the keychain holds only the newer flow, and nothing once that one ends', async () => {
    provider.reset();
    const vault = recordingVault(createKeytarVault(service));
    const client = hostileClient(provider, { vault });
    try {
      const first = await beginSignIn(client, provider);
      await vault.completed('set', isPending, 'the first flow written');
      const since = vault.calls.length;
      const second = await beginSignIn(client, provider);
      await vault.completed('set', isPending, 'the second flow written', { since });
      const kept = JSON.parse((await keptFlow()) ?? '{}') as { state?: unknown };
      assertSecretEqual(kept.state, second.authorization.state, 'the kept flow is the newer one');
      assert.notEqual(kept.state === first.authorization.state, true, 'the superseded flow is gone');
      client.auth.cancelSignIn();
      await vault.completed('delete', isPending, 'the pending flow deleted', { since });
      assert.equal(await keptFlow(), null);
    } finally {
      client.auth.dispose();
    }
  });

  async function quitMidFlow(): Promise<{ authorizeUrl: string }> {
    const vault = recordingVault(createKeytarVault(service));
    const client = hostileClient(provider, { vault });
    try {
      const { authorizeUrl } = await beginSignIn(client, provider);
      await vault.completed('set', isPending, 'the pending flow written');
      return { authorizeUrl };
    } finally {
      client.auth.dispose();
    }
  }

  const ELEVEN_MINUTES = 11 * 60 * 1000;

  it('expired: restore() at start-up deletes it', async () => {
    provider.reset();
    await quitMidFlow();
    const vault = recordingVault(createKeytarVault(service));
    const restarted = hostileClient(provider, { vault, now: () => Date.now() + ELEVEN_MINUTES });
    try {
      await restarted.auth.restore();
      await vault.completed('delete', isPending, 'the expired flow swept at start-up');
      assert.equal(await keptFlow(), null);
    } finally {
      restarted.auth.dispose();
    }
  });

  it('expired: a stray link at a cold start deletes it, and is refused', async () => {
    provider.reset();
    const { authorizeUrl } = await quitMidFlow();
    const vault = recordingVault(createKeytarVault(service));
    const restarted = hostileClient(provider, { vault, now: () => Date.now() + ELEVEN_MINUTES });
    try {
      const stray = provider.callbackWith(authorizeUrl, [
        ['code', 'stray-code'],
        ['state', 'stray-state'],
        ['iss', provider.issuer],
      ]);
      assert.equal(await restarted.auth.handleRedirect(stray), true);
      assert.equal(errorOf(restarted.auth.getSession())?.code, 'no_pending_flow');
      await vault.completed('delete', isPending, 'the expired flow deleted');
      assert.equal(await keptFlow(), null);
      assert.equal(provider.count('/token'), 0);
    } finally {
      restarted.auth.dispose();
    }
  });

  it('unreadable: restore() at start-up deletes it', async () => {
    provider.reset();
    await createKeytarVault(service).set(pendingKey(), '{"v":1,"state":');
    const vault = recordingVault(createKeytarVault(service));
    const restarted = hostileClient(provider, { vault });
    try {
      await restarted.auth.restore();
      await vault.completed('delete', isPending, 'the unreadable flow swept at start-up');
      assert.equal(await keptFlow(), null);
    } finally {
      restarted.auth.dispose();
    }
  });

  it('a live one survives restore(): the cold-start callback finishes the sign-in', async () => {
    provider.reset();
    const { authorizeUrl } = await quitMidFlow();
    const vault = recordingVault(createKeytarVault(service));
    const restarted = hostileClient(provider, { vault });
    try {
      await restarted.auth.restore();
      const authorization = provider.authorize(authorizeUrl);
      assert.equal(await restarted.auth.handleRedirect(authorization.callback), true);
      assert.equal(restarted.auth.getSession().status, 'signed-in', JSON.stringify(errorOf(restarted.auth.getSession())));
      await vault.completed('delete', isPending, 'the spent flow deleted');
      assert.equal(await keptFlow(), null);
      await restarted.auth.signOut();
    } finally {
      restarted.auth.dispose();
    }
  });
});

describe('field quirks: tokens of an abandoned exchange are revoked (issue 10 Low 4)', () => {
  let provider: HostileProvider;
  before(async () => {
    provider = await startHostileProvider();
  });
  after(async () => {
    await provider.close();
  });

  for (const [name, abandon] of [
    ['sign-out', (client: HostileClient) => client.auth.signOut()],
    ['cancel', async (client: HostileClient) => client.auth.cancelSignIn()],
  ] as const) {
    it(`${name} while the code exchange is in flight: the tokens that arrive are revoked (RFC 7009)`, async () => {
      provider.reset();
      const client = hostileClient(provider);
      let release: () => void = () => undefined;
      const gate = new Promise<void>((resolve) => (release = resolve));
      const issued: string[] = [];
      try {
        const { authorization } = await beginSignIn(client, provider);
        provider.script = {
          hold: (recorded) => (recorded.path === '/token' ? gate : undefined),
          tokenResponse: (body) => {
            issued.push(body['access_token'] as string, body['refresh_token'] as string);
            return body;
          },
        };
        const handled = client.auth.handleRedirect(authorization.callback);
        await waitFor(() => provider.count('/token') === 1, 'the token request at the provider');
        await abandon(client);
        assert.equal(client.auth.getSession().status, 'signed-out');
        release();
        assert.equal(await handled, true);
        assert.equal(issued.length, 2, 'the provider issued tokens');
        await waitFor(() => provider.count('/revoke') >= 2, 'the revocation requests', 5000);
        const revoked = provider.requests.filter((r) => r.path === '/revoke').map((r) => r.form.get('token') ?? '').join('\n');
        for (const token of issued) assertContainsSecret(revoked, token, 'an issued token was revoked');
        assert.equal(client.auth.getSession().status, 'signed-out', 'the abandoned tokens did not sign the user in');
        assert.equal((await client.vault.contents()).size, 0, 'nothing kept in the vault');
      } finally {
        release();
        client.auth.dispose();
      }
    });
  }
});

describe('field quirks: a fixed loopback port that is taken', () => {
  let provider: HostileProvider;
  let squatter: NetServer;
  let port = 0;
  before(async () => {
    provider = await startHostileProvider();
    squatter = createNetServer();
    await new Promise<void>((resolve) => squatter.listen(0, '127.0.0.1', resolve));
    port = (squatter.address() as { port: number }).port;
  });
  after(async () => {
    await new Promise<void>((resolve) => squatter.close(() => resolve()));
    await provider.close();
  });

  it('redirect_port_in_use, naming the port', async () => {
    const client = hostileClient(provider, { config: { redirectUri: `http://127.0.0.1:${port}/callback` } });
    try {
      let caught: { code?: string; message?: string } | undefined;
      await client.auth.signIn().catch((error: unknown) => {
        caught = error as { code?: string; message?: string };
      });
      assert.equal(caught?.code, 'redirect_port_in_use');
      assert.match(caught?.message ?? '', new RegExp(`\\b${port}\\b`));
      const state = client.auth.getSession();
      assert.equal(errorOf(state)?.code, 'redirect_port_in_use');
      assertUserMessage(errorOf(state)?.message, 'redirect_port_in_use');
      assert.equal(client.opened.length, 0, 'no browser opened');
    } finally {
      client.auth.dispose();
    }
  });
});
