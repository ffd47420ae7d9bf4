/**
 * PAR (RFC 9126) and DPoP (RFC 9449) against a provider that misbehaves:
 * a proof it refuses, nonce challenges from the provider and from a resource
 * server, token types that do not match what was asked, a push that fails,
 * a request_uri that expired, and a key that changed across a restart. Each
 * ends clearly, keeps nothing it should not, and the next sign-in works.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { DpopKey } from '../../main/auth/dpop-key';
import { vaultKey } from '../../main/auth/pending-flow';
import { beginSignIn, errorOf, expectRejectedSignIn, hostileClient, recordingVault, signInFully, waitFor, type HostileClient } from '../support/hostile-harness';
import { sendJson, startHostileProvider, type HostileProvider, type HostileScript } from '../support/hostile-provider';

const DPOP_ONLY: HostileScript['offer'] = { dpopAlgs: ['ES256'] };
const BOTH: HostileScript['offer'] = { par: true, dpopAlgs: ['ES256'] };

describe('hostile provider: PAR and DPoP', () => {
  let provider: HostileProvider;
  before(async () => {
    provider = await startHostileProvider();
  });
  after(() => provider.close());

  /** A client that has discovered the provider as scripted now. */
  async function readyClient(script: HostileScript, options: Parameters<typeof hostileClient>[1] = {}): Promise<HostileClient> {
    provider.reset();
    provider.script = script;
    const client = hostileClient(provider, options);
    await client.auth.ready();
    return client;
  }

  async function storedRecord(client: HostileClient): Promise<{ v: number; dpop?: unknown } | undefined> {
    const text = (await client.vault.contents()).get(vaultKey('refresh-token', client.config));
    return text === undefined ? undefined : (JSON.parse(text) as { v: number; dpop?: unknown });
  }

  it('a proof the token endpoint refuses: token_rejected, nothing kept, the next sign-in works', async () => {
    const client = await readyClient({ offer: DPOP_ONLY, dpop: { rejectProofs: 'authorization-server' } });
    try {
      const { authorization } = await beginSignIn(client, provider);
      assert.ok(authorization.dpopJkt, 'the code was bound to the key (dpop_jkt)');
      assert.equal(await client.auth.handleRedirect(authorization.callback), true);
      assert.equal(errorOf(client.auth.getSession())?.code, 'token_rejected');
      assert.equal(provider.count('/token'), 1, 'one token request, not retried');
      assert.equal(provider.dpopProofs.length, 1, 'it carried a proof');
      await waitFor(async () => (await client.vault.contents()).size === 0, 'nothing in the vault');
      await assert.rejects(client.auth.getUserInfo(), (e: { code?: string }) => e.code === 'not_signed_in');
      provider.script = { offer: DPOP_ONLY };
      await signInFully(client, provider);
      assert.ok(provider.exchanges.at(-1)?.dpopJkt, 'the new sign-in\'s exchange carried a proof the provider accepted');
    } finally {
      client.auth.dispose();
    }
  });

  it('token_type DPoP answered to a request without a proof: refused as token_response_invalid', async () => {
    await expectRejectedSignIn(provider, {
      script: { tokenResponse: (body) => ({ ...body, token_type: 'DPoP' }) },
      code: 'token_response_invalid',
      message: /no proof/,
    });
  });

  it('a nonce challenge from the token endpoint is answered once; the refresh and a restart carry the nonce or learn it again', async () => {
    const client = await readyClient({ offer: DPOP_ONLY, dpop: { nonce: { server: 'authorization-server' } } });
    try {
      await signInFully(client, provider);
      assert.equal(provider.count('/token'), 2, 'challenged once, then accepted');
      assert.deepEqual(provider.nonceChallenges, ['/token']);
      assert.equal(provider.exchanges.at(-1)?.dpopJkt !== null, true, 'the accepted exchange carried a proof');
      await waitFor(async () => (await storedRecord(client))?.v === 3, 'the DPoP session record');
      client.auth.dispose();
      const restarted = hostileClient(provider, { vault: client.vault });
      provider.script = { offer: DPOP_ONLY, dpop: { nonce: { server: 'authorization-server', rotate: true } } };
      provider.resetRequests();
      await restarted.auth.restore();
      assert.equal(restarted.auth.getSession().status, 'signed-in', JSON.stringify(restarted.auth.getSession()));
      assert.equal(provider.count('/token'), 2, 'a new process learns the nonce again: one challenge, one retry');
      restarted.auth.dispose();
    } finally {
      client.auth.dispose();
    }
  });

  it('a resource server nonce challenge (userinfo and an API) is answered once per call', async () => {
    const client = await readyClient({ offer: BOTH, dpop: { nonce: { server: 'resource-server', rotate: true } } }, { config: { apiBaseUrls: [`http://127.0.0.1:${provider.port}/api/`] } });
    try {
      await signInFully(client, provider);
      provider.resetRequests();
      assert.equal((await client.auth.getUserInfo()).sub, provider.subject);
      assert.deepEqual(provider.nonceChallenges, ['/userinfo']);
      const response = await client.auth.callApi({ url: `${provider.issuer}/api/items` });
      assert.equal(response.status, 200);
      assert.equal((response.body as { scheme: string }).scheme, 'DPoP');
      assert.deepEqual(provider.nonceChallenges, ['/userinfo', '/api/items'], 'one challenge each, each answered with one retry');
      assert.equal(provider.count('/api/items'), 2);
      assert.equal(provider.count('/token'), 0, 'a nonce challenge is not a reason to refresh');
    } finally {
      client.auth.dispose();
    }
  });

  it('a resource server that refuses every proof: the API\'s 401 is the answer after one refresh, the session stays', async () => {
    const client = await readyClient({ offer: DPOP_ONLY, dpop: { rejectProofs: 'resource-server' } }, { config: { apiBaseUrls: [`http://127.0.0.1:${provider.port}/api/`] } });
    try {
      await signInFully(client, provider);
      provider.resetRequests();
      const response = await client.auth.callApi({ url: `${provider.issuer}/api/items` });
      assert.equal(response.status, 401);
      assert.equal(provider.count('/token'), 1, 'refreshed once');
      assert.equal(client.auth.getSession().status, 'signed-in');
    } finally {
      client.auth.dispose();
    }
  });

  it('token_type Bearer answered to a DPoP request: used as a bearer token and logged; the refresh token stays bound and a restart works', async () => {
    const client = await readyClient({ offer: DPOP_ONLY, tokenResponse: (body) => ({ ...body, token_type: 'Bearer' }) }, { config: { apiBaseUrls: [`http://127.0.0.1:${provider.port}/api/`] } });
    try {
      await signInFully(client, provider);
      assert.ok(client.logs.some((line) => line.startsWith('warn: ') && /bearer/i.test(line) && /RFC 9449/.test(line)), `logged (${client.logs.join(' | ')})`);
      const response = await client.auth.callApi({ url: `${provider.issuer}/api/items` });
      assert.equal((response.body as { scheme: string }).scheme, 'Bearer');
      assert.equal((await client.auth.getUserInfo()).sub, provider.subject);
      await waitFor(async () => (await storedRecord(client))?.v === 3, 'the key kept with the bound refresh token');
      client.auth.dispose();
      const restarted = hostileClient(provider, { vault: client.vault });
      provider.resetRequests();
      await restarted.auth.restore();
      assert.equal(restarted.auth.getSession().status, 'signed-in', JSON.stringify(restarted.auth.getSession()));
      assert.equal(provider.dpopProofs.filter((p) => p.path === '/token').length, 1, 'the restart refreshed with a proof of the kept key');
      restarted.auth.dispose();
    } finally {
      client.auth.dispose();
    }
  });

  // Issue 16 kind 1: under par "auto" a provider that does not require PAR and refuses the push with
  // invalid_request / invalid_client / unauthorized_client gets the request in the browser URL instead
  // (test/adversarial/field-round3.test.ts), so the OAuth error case runs under par "always", where a
  // refusal still ends the attempt (it ran under the default "auto" before).
  for (const [what, handler, code, par] of [
    ['an OAuth error (par "always")', (res: Parameters<NonNullable<HostileScript['par']>>[1]) => sendJson(res, 400, { error: 'invalid_request', error_description: 'unknown parameter' }), 'authorization_error', 'always'],
    ['HTTP 503', (res: Parameters<NonNullable<HostileScript['par']>>[1]) => sendJson(res, 503, { error: 'temporarily_unavailable' }), 'network_error', 'auto'],
    ['no answer (timeout)', () => undefined, 'network_error', 'auto'],
  ] as const) {
    it(`the push answered with ${what}: ${code}, no browser, nothing stored, the next sign-in works`, async () => {
      const client = await readyClient({ offer: BOTH, par: (_req, res) => handler(res) }, { httpTimeoutMs: 800, config: { par } });
      try {
        await assert.rejects(client.auth.signIn(), (error: { code?: string }) => error.code === code);
        assert.equal(client.opened.length, 0, 'the browser was not opened');
        assert.equal(provider.count('/par'), 1, 'one push, not repeated');
        assert.equal(errorOf(client.auth.getSession())?.code, code);
        assert.deepEqual([...(await client.vault.contents()).keys()], [], 'nothing stored');
        provider.script = { offer: BOTH };
        const authorization = await signInFully(client, provider);
        assert.equal(authorization.pushed, true);
      } finally {
        client.auth.dispose();
      }
    });
  }

  it('a request_uri that expired before the user got there: the provider\'s error on the redirect is authorization_error, nothing stored', async () => {
    const client = await readyClient({ offer: BOTH });
    try {
      const { authorizeUrl, authorization } = await beginSignIn(client, provider);
      assert.deepEqual([...new URL(authorizeUrl).searchParams.keys()].sort(), ['client_id', 'request_uri']);
      const callback = provider.callbackWith(authorizeUrl, [
        ['error', 'invalid_request_uri'],
        ['error_description', 'request_uri is invalid, expired, or was already used'],
        ['state', authorization.state ?? ''],
        ['iss', provider.issuer],
      ]);
      assert.equal(await client.auth.handleRedirect(callback), true);
      const error = errorOf(client.auth.getSession());
      assert.equal(error?.code, 'authorization_error');
      assert.match(error?.message ?? '', /expired/);
      assert.equal(provider.count('/token'), 0);
      await waitFor(async () => (await client.vault.contents()).size === 0, 'nothing in the vault');
      await signInFully(client, provider);
    } finally {
      client.auth.dispose();
    }
  });

  it('a cold start (custom scheme): the flow kept in the keychain carries its DPoP key, so the new process redeems the bound code', async () => {
    const vault = recordingVault();
    const client = await readyClient({ offer: BOTH }, { vault });
    let restarted: HostileClient | undefined;
    try {
      const { authorization } = await beginSignIn(client, provider);
      assert.ok(authorization.pushed && authorization.dpopJkt, 'pushed, and the code bound to the key');
      await client.vault.completed('set', (key) => key.startsWith('pending-flow:'), 'the pending flow kept in the keychain');
      client.auth.dispose();
      restarted = hostileClient(provider, { vault });
      assert.equal(await restarted.auth.handleRedirect(authorization.callback), true);
      assert.equal(restarted.auth.getSession().status, 'signed-in', JSON.stringify(restarted.auth.getSession()));
      assert.equal(provider.exchanges.at(-1)?.dpopJkt, authorization.dpopJkt, 'the new process proved possession of the same key');
    } finally {
      restarted?.auth.dispose();
      client.auth.dispose();
    }
  });

  it('a changed key after a restart: the provider refuses the refresh token, the session ends and the record is cleared', async () => {
    const vault = recordingVault();
    const client = await readyClient({ offer: DPOP_ONLY }, { vault });
    try {
      await signInFully(client, provider);
      await waitFor(async () => (await storedRecord(client))?.v === 3, 'the DPoP session record');
      client.auth.dispose();
      const key = vaultKey('refresh-token', client.config);
      const record = JSON.parse((await vault.contents()).get(key) ?? '{}') as Record<string, unknown>;
      await vault.set(key, JSON.stringify({ ...record, dpop: (await DpopKey.generate('ES256')).toStored() }));
      const restarted = hostileClient(provider, { vault });
      provider.resetRequests();
      await restarted.auth.restore();
      const state = restarted.auth.getSession();
      assert.equal(state.status, 'signed-out');
      assert.equal(errorOf(state)?.code, 'session_ended');
      assert.equal(provider.count('/token'), 1, 'one refresh, refused (invalid_grant: proof of another key)');
      await waitFor(async () => !(await vault.contents()).has(key), 'the useless record cleared');
      restarted.auth.dispose();
    } finally {
      client.auth.dispose();
    }
  });

  // Issue 9's rule (a refresh token is deleted only when the provider says its grant is dead): the
  // record stays, as for any other answer this build cannot use (changed after review; see kept-session.test.ts).
  it('a key in the record that cannot be read: session_ended without a request, the record kept', async () => {
    const vault = recordingVault();
    const client = await readyClient({ offer: DPOP_ONLY }, { vault });
    try {
      await signInFully(client, provider);
      await waitFor(async () => (await storedRecord(client))?.v === 3, 'the DPoP session record');
      client.auth.dispose();
      const key = vaultKey('refresh-token', client.config);
      const record = JSON.parse((await vault.contents()).get(key) ?? '{}') as Record<string, unknown>;
      await vault.set(key, JSON.stringify({ ...record, dpop: { alg: 'ES256', jwk: { kty: 'EC', crv: 'P-256', d: 'broken' } } }));
      const restarted = hostileClient(provider, { vault });
      provider.resetRequests();
      await restarted.auth.restore();
      assert.equal(errorOf(restarted.auth.getSession())?.code, 'session_ended');
      assert.equal(provider.count('/token'), 0, 'no refresh request without a usable key');
      assert.ok((await vault.contents()).has(key), 'the record is kept: nothing from the provider said the grant is dead');
      assert.equal(vault.calls.filter((c) => c.op === 'delete' && c.key === key).length, 0, 'never deleted');
      restarted.auth.dispose();
    } finally {
      client.auth.dispose();
    }
  });
});
