import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { vaultKey } from '../../../main/auth/pending-flow';
import { waitForState } from '../../support/service-observers';
import { signInThroughBrowser, startHarness, type SignInHarness } from '../../support/sign-in-harness';

const ACCESS_TOKEN_TTL = 5;


async function storedRefreshToken(harness: SignInHarness): Promise<string | undefined> {
  const text = await harness.vault.get(vaultKey('refresh-token', harness.config()));
  return text === null ? undefined : (JSON.parse(text) as { refreshToken: string }).refreshToken;
}

async function eventually<T>(read: () => Promise<T>, accept: (value: T) => boolean, what: string): Promise<T> {
  for (let i = 0; i < 100; i += 1) {
    const value = await read();
    if (accept(value)) return value;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`timed out waiting for ${what}`);
}

async function refreshGrant(harness: SignInHarness, refreshToken: string): Promise<{ status: number; error?: string }> {
  const response = await fetch(`${harness.provider.issuer}/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: refreshToken, client_id: harness.provider.clientId }),
  });
  const body = (await response.json()) as { error?: string };
  return { status: response.status, ...(body.error ? { error: body.error } : {}) };
}

const tokenRequests = (harness: SignInHarness): number => harness.provider.requests.filter((r) => r.method === 'POST' && r.path === '/token').length;

describe('session lifecycle against the development provider (access tokens of 5 s)', () => {
  let harness: SignInHarness;
  before(async () => {
    harness = await startHarness({ accessTokenTtl: ACCESS_TOKEN_TTL });
  });
  after(async () => {
    await harness.close();
  });

  it('refreshes before the access token expires, rotating the refresh token in the keychain; the old one is then refused', async () => {
    const service = harness.service();
    await signInThroughBrowser(harness, service);
    const first = service.auth.getSession();
    assert.equal(first.status, 'signed-in');
    const firstRefreshToken = await eventually(() => storedRefreshToken(harness), Boolean, 'the first refresh token in the keychain');

    const refreshed = await waitForState(service, (s) => s.status === 'signed-in' && first.status === 'signed-in' && s.expiresAt > first.expiresAt, 'a proactive refresh', ACCESS_TOKEN_TTL * 1000 + 3000);
    assert.ok(refreshed.status === 'signed-in' && first.status === 'signed-in' && refreshed.expiresAt - first.expiresAt >= 3000, 'refreshed at about 80% of the lifetime');
    assert.ok(Date.now() < (first.status === 'signed-in' ? first.expiresAt : 0), 'before the old access token expired');
    const rotated = await eventually(() => storedRefreshToken(harness), (t) => t !== undefined && t !== firstRefreshToken, 'the rotated refresh token in the keychain');
    assert.ok(rotated);

    const replay = await refreshGrant(harness, firstRefreshToken as string);
    assert.equal(replay.status, 400);
    assert.equal(replay.error, 'invalid_grant', 'the provider refuses the refresh token that was rotated away');
    service.auth.dispose();
    await harness.vault.delete(vaultKey('refresh-token', harness.config()));
  });

  it('restores the session silently in a new service instance over the same keychain ("restart")', async () => {
    const before = harness.service();
    await signInThroughBrowser(harness, before);
    await eventually(() => storedRefreshToken(harness), Boolean, 'a refresh token in the keychain');
    before.auth.dispose();

    const after = harness.service();
    harness.provider.resetRequests();
    await after.auth.restore();
    assert.deepEqual(after.states.map((s) => s.status), ['restoring', 'signed-in']);
    const state = after.auth.getSession();
    assert.equal(state.status === 'signed-in' && state.user.name, 'Dana Demo');
    assert.equal(after.opened.length, 0, 'the browser was not opened');
    assert.equal(tokenRequests(harness), 1, 'one refresh request');
    await after.auth.signOut();
  });

  it('ten concurrent calls that meet an expired access token share one refresh request', async () => {
    // An API that considers the first access token it sees expired (401), and accepts any later one.
    let expired: string | undefined;
    const api = createServer((request, response) => {
      const header = request.headers.authorization;
      expired ??= header;
      response.writeHead(header === expired ? 401 : 200, { 'content-type': 'application/json' }).end('{}');
    });
    await new Promise<void>((resolve) => api.listen(0, '127.0.0.1', resolve));
    const base = `http://127.0.0.1:${(api.address() as AddressInfo).port}/`;
    try {
      const service = harness.service(harness.config({ apiBaseUrls: [base] }));
      await signInThroughBrowser(harness, service);
      harness.provider.resetRequests();
      const results = await Promise.all(Array.from({ length: 10 }, () => service.auth.callApi({ url: `${base}me` })));
      assert.deepEqual(results.map((r) => r.status), Array.from({ length: 10 }, () => 200));
      assert.equal(tokenRequests(harness), 1, 'exactly one refresh request for ten callers');
      await service.auth.signOut();
    } finally {
      api.closeAllConnections();
      await new Promise((resolve) => api.close(resolve));
    }
  });

  it('invalid_grant after the provider revokes the grant: signed out cleanly, keychain cleared, the user told why', async () => {
    const service = harness.service();
    await signInThroughBrowser(harness, service);
    await eventually(() => storedRefreshToken(harness), Boolean, 'a refresh token in the keychain');
    await harness.provider.revokeAllGrants();
    const ended = await waitForState(service, (s) => s.status === 'signed-out', 'the session to end', ACCESS_TOKEN_TTL * 1000 + 3000);
    assert.equal(ended.status === 'signed-out' && ended.error?.code, 'session_ended');
    assert.match(ended.status === 'signed-out' ? (ended.error?.message ?? '') : '', /your session ended; please sign in again/i);
    assert.equal(await eventually(() => storedRefreshToken(harness), (t) => t === undefined, 'the keychain to be cleared'), undefined);
  });

  it('keeps the session, marked stale, while the provider is down, and recovers when it is back', async () => {
    const service = harness.service();
    await signInThroughBrowser(harness, service);
    // The keychain write follows the sign-in: wait for it here, so that "kept" below is about the outage, not about a write still on its way.
    await eventually(() => storedRefreshToken(harness), Boolean, 'a refresh token in the keychain');
    harness.provider.setDown(true);
    try {
      const stale = await waitForState(service, (s) => s.status === 'signed-in' && s.stale === true, 'the stale flag', ACCESS_TOKEN_TTL * 1000 + 3000);
      assert.equal(stale.status, 'signed-in');
      assert.ok(await storedRefreshToken(harness), 'the refresh token is kept');
    } finally {
      harness.provider.setDown(false);
    }
    const recovered = await waitForState(service, (s) => s.status === 'signed-in' && s.stale !== true, 'recovery after backoff', 15_000);
    assert.equal(recovered.status, 'signed-in');
    await service.auth.signOut();
  });

  it('signs out locally while the provider is down, clears the keychain and says revocation failed', async () => {
    const service = harness.service(undefined, { httpTimeoutMs: 3000 });
    await signInThroughBrowser(harness, service);
    await eventually(() => storedRefreshToken(harness), Boolean, 'a refresh token in the keychain');
    harness.provider.setDown(true);
    try {
      const started = Date.now();
      const signingOut = service.auth.signOut();
      assert.equal(service.auth.getSession().status, 'signed-out', 'signed out at once, before the network answers');
      await signingOut;
      assert.ok(Date.now() - started < 5000);
      const state = service.auth.getSession();
      assert.equal(state.status, 'signed-out');
      assert.match(state.status === 'signed-out' ? (state.error?.message ?? '') : '', /signed out on this computer, but the provider could not revoke/);
      assert.equal(await storedRefreshToken(harness), undefined);
    } finally {
      harness.provider.setDown(false);
    }
  });

  it('sign-out revokes at the provider: introspection says inactive', async () => {
    const service = harness.service();
    await signInThroughBrowser(harness, service);
    const refreshToken = await eventually(() => storedRefreshToken(harness), Boolean, 'a refresh token in the keychain');
    assert.equal((await harness.provider.introspect(refreshToken as string)).active, true);
    await service.auth.signOut();
    assert.equal((await harness.provider.introspect(refreshToken as string)).active, false);
  });

  it('rejects userinfo whose sub differs from the ID token\'s', async () => {
    // A tampering proxy in front of the real provider rewrites the userinfo sub.
    const tampering = (async (input: string | URL | Request, init?: RequestInit) => {
      const response = await fetch(input, init);
      if (!String(input).endsWith('/me')) return response;
      const body = (await response.json()) as Record<string, unknown>;
      return new Response(JSON.stringify({ ...body, sub: 'someone-else' }), { status: response.status, headers: { 'content-type': 'application/json' } });
    }) as typeof fetch;
    const service = harness.service(undefined, { fetch: tampering });
    await signInThroughBrowser(harness, service);
    await assert.rejects(service.auth.getUserInfo(), (error: { code?: string }) => error.code === 'userinfo_invalid');
    assert.equal(service.auth.getSession().status, 'signed-in');
    await service.auth.signOut();
  });

  it('calls an allow-listed API with the access token in the header, refreshing once on 401', async () => {
    let calls = 0;
    const seen: Array<string | undefined> = [];
    const api: Server = createServer((request, response) => {
      calls += 1;
      seen.push(request.headers.authorization);
      const status = calls === 1 ? 401 : 200;
      response.writeHead(status, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ call: calls, query: new URL(request.url ?? '/', 'http://x').search }));
    });
    await new Promise<void>((resolve) => api.listen(0, '127.0.0.1', resolve));
    const base = `http://127.0.0.1:${(api.address() as AddressInfo).port}/api/`;
    try {
      const service = harness.service(harness.config({ apiBaseUrls: [base] }));
      await signInThroughBrowser(harness, service);
      harness.provider.resetRequests();
      const result = await service.auth.callApi({ url: `${base}items` });
      assert.equal(result.status, 200);
      assert.deepEqual(result.body, { call: 2, query: '' });
      assert.equal(tokenRequests(harness), 1, 'one refresh after the 401');
      assert.equal(seen.length, 2);
      assert.ok(seen.every((h) => /^Bearer \S+$/.test(h ?? '')));
      assert.notEqual(seen[0], seen[1], 'the retry used the new access token');
      assert.ok(!JSON.stringify(result).includes((seen[1] as string).slice(7)), 'the token is not in the result');
      await assert.rejects(service.auth.callApi({ url: 'https://evil.example.com/api/items' }), (error: { code?: string }) => error.code === 'api_not_allowed');
      await assert.rejects(service.auth.callApi({ url: `${base}../admin` }), (error: { code?: string }) => error.code === 'api_not_allowed');
      await service.auth.signOut();
    } finally {
      api.closeAllConnections();
      await new Promise((resolve) => api.close(resolve));
    }
  });
});
