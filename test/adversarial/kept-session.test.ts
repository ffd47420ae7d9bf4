/**
 * A review tried to make the app lose a session the provider still honours,
 * or leak a secret through text, and found these inputs (issue 9's rule: a
 * refresh token valid at the provider is deleted only by an OAuth error that
 * says it is dead, or by sign-out; issue 10 Low 1: no secret in a message or
 * a log). Each failed on the code before its fix.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { vaultKey } from '../../main/auth/pending-flow';
import { hostileClient, recordingVault, signInFully, waitFor, type RecordingVault } from '../support/hostile-harness';
import { sendJson, startHostileProvider, type HostileProvider } from '../support/hostile-provider';
import { assertNoSecret } from '../support/secret-assert';

const TOKEN_SHAPED = /[A-Za-z0-9_~+/=.-]{32,}/;

interface Stored {
  readonly vault: RecordingVault;
  readonly key: string;
}

/** Signs in once (the provider rotates refresh tokens), waits for the keychain write, and quits. */
async function storedSession(provider: HostileProvider): Promise<Stored> {
  const vault = recordingVault();
  const first = hostileClient(provider, { vault });
  try {
    await signInFully(first, provider);
    const key = vaultKey('refresh-token', first.config);
    await vault.completed('set', key, 'the refresh token written to the vault');
    return { vault, key };
  } finally {
    first.auth.dispose();
  }
}

function deletesSince(stored: Stored, since: number): number {
  return stored.vault.calls.slice(since).filter((c) => c.op === 'delete' && c.key === stored.key).length;
}

describe('the start-up refresh keeps a session the provider honours', () => {
  let provider: HostileProvider;
  before(async () => {
    provider = await startHostileProvider();
  });
  after(async () => {
    await provider.close();
  });

  it('the provider moved its jwks_uri since the record was written: the early refresh\'s answer is kept, one refresh request, nothing deleted', async () => {
    provider.reset();
    const stored = await storedSession(provider);
    provider.resetRequests();
    provider.script = { discovery: (document) => ({ ...document, jwks_uri: `${provider.issuer}/jwks?v=2` }) };
    const since = stored.vault.calls.length;
    const restarted = hostileClient(provider, { vault: stored.vault });
    try {
      await restarted.auth.restore();
      assert.equal(restarted.auth.getSession().status, 'signed-in', JSON.stringify(restarted.auth.getSession()));
      assert.equal(provider.count('/token'), 1, 'the refresh token was sent once: a rotated one is never sent again');
      assert.equal(deletesSince(stored, since), 0, 'the keychain record was never deleted');
    } finally {
      restarted.auth.dispose();
    }
  });

  it('the provider moved its token endpoint: the early answer is dropped, the discovered endpoint gets the rotated refresh token, and the session is restored', async () => {
    provider.reset();
    const stored = await storedSession(provider);
    provider.resetRequests();
    // Same server, another URL for the token endpoint (the hostile provider routes by path).
    provider.script = { discovery: (document) => ({ ...document, token_endpoint: `${provider.issuer}/token?moved=1` }) };
    const since = stored.vault.calls.length;
    const restarted = hostileClient(provider, { vault: stored.vault });
    try {
      await restarted.auth.restore();
      assert.equal(restarted.auth.getSession().status, 'signed-in', JSON.stringify(restarted.auth.getSession()));
      const refreshes = provider.requests.filter((r) => r.path === '/token').map((r) => r.form.get('refresh_token'));
      assert.equal(refreshes.length, 2, 'the kept endpoint, then the discovered one');
      assert.notEqual(refreshes[1], refreshes[0], 'the discovered endpoint got the rotated refresh token, not the spent one');
      assert.equal(deletesSince(stored, since), 0, 'the keychain record was never deleted');
      assert.ok(restarted.logs.some((line) => /another token endpoint/.test(line)), 'the log says why the answer was dropped');
    } finally {
      restarted.auth.dispose();
    }
  });

  for (const [label, damage] of [
    ['an algorithm this build does not know (ES384)', (record: { dpop: { alg: string } }) => void (record.dpop.alg = 'ES384')],
    ['a damaged private key', (record: { dpop: { jwk: { d: string } } }) => void (record.dpop.jwk.d = 'AAAA')],
  ] as const) {
    it(`a DPoP key in the record with ${label}: the session ends here, no request is sent, and the keychain keeps the refresh token`, async () => {
      provider.reset();
      provider.script = { offer: { dpopAlgs: ['ES256'] } };
      const stored = await storedSession(provider);
      const record = JSON.parse((await stored.vault.get(stored.key)) ?? '{}') as { dpop: { alg: string; jwk: { d: string } } };
      assert.ok(record.dpop, 'a DPoP session keeps its key in the record');
      damage(record);
      await stored.vault.set(stored.key, JSON.stringify(record));
      provider.resetRequests();
      const since = stored.vault.calls.length;
      const restarted = hostileClient(provider, { vault: stored.vault });
      try {
        await restarted.auth.restore();
        const state = restarted.auth.getSession();
        assert.equal(state.status, 'signed-out');
        assert.equal(state.status === 'signed-out' && state.error?.code, 'session_ended');
        assert.equal(provider.count('/token'), 0);
        assert.equal(deletesSince(stored, since), 0, 'nothing from the provider said the grant is dead');
        assert.notEqual(await stored.vault.get(stored.key), null);
      } finally {
        restarted.auth.dispose();
      }
    });
  }
});

describe('no secret through provider text', () => {
  let provider: HostileProvider;
  before(async () => {
    provider = await startHostileProvider();
  });
  after(async () => {
    await provider.close();
  });

  it('a PAR error that echoes the pushed form: neither state, nonce nor challenge reaches the message', async () => {
    provider.reset();
    let pushed: URLSearchParams | undefined;
    provider.script = {
      offer: { par: true },
      par: (_request, response, recorded) => {
        pushed = new URLSearchParams(recorded.form);
        sendJson(response, 400, { error: 'invalid_request', error_description: `bad request: state=${pushed.get('state')} nonce ${pushed.get('nonce')} challenge ${pushed.get('code_challenge')}` });
      },
    };
    // par "always": under "auto" this refusal (400 invalid_request) makes the sign-in fall back to the
    // browser URL (issue 16 kind 1), and no message is shown at all.
    const client = hostileClient(provider, { config: { par: 'always' } });
    try {
      await assert.rejects(client.auth.signIn(), (error: { code?: string }) => error.code === 'authorization_error');
      assert.ok(pushed, 'the request was pushed');
      const text = JSON.stringify(client.auth.getSession());
      for (const name of ['state', 'nonce', 'code_challenge']) assertNoSecret(text, [pushed.get(name) ?? ''], `the ${name} in the session state`);
      assert.doesNotMatch(text, TOKEN_SHAPED);
      assert.match(text, /invalid_request/, 'the provider\'s error code is still shown');
    } finally {
      client.auth.dispose();
    }
  });

  it('a refresh error code that carries the refresh token and a line break: the log holds neither', async () => {
    provider.reset();
    const stored = await storedSession(provider);
    let sent = '';
    provider.script = {
      token: (_request, response, recorded) => {
        sent = recorded.form.get('refresh_token') ?? '';
        sendJson(response, 400, { error: `temporarily_unavailable\n[auth] forged line: user admin signed in\n${sent}` });
      },
    };
    const restarted = hostileClient(provider, { vault: stored.vault });
    try {
      await restarted.auth.restore();
      await waitFor(() => restarted.logs.some((line) => /refresh failed/.test(line)), 'the failed refresh in the log');
      assert.ok(sent, 'the refresh was sent');
      const logs = restarted.logs.join('\n');
      assertNoSecret(logs, [sent], 'the refresh token in the log');
      assert.doesNotMatch(logs, /forged line/, 'no line of the provider\'s making');
      assert.equal(restarted.auth.getSession().status, 'restoring', 'not an RFC 6749 §5.2 dead-grant code: transient');
    } finally {
      restarted.auth.dispose();
    }
  });
});
