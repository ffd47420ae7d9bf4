/**
 * Issue 17, F4: while a sign-in waits for its callback, a callback that does
 * not belong to it (a forged `GET /callback?state=…` on the loopback port from
 * any local process or web page, any Host and Origin; a custom-scheme link a
 * web page opens) is logged and answered with a neutral page; the signing-in
 * screen stays, and the real callback still signs in.
 */
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { beginSignIn, hostileClient } from '../support/hostile-harness';
import { startHostileProvider, type HostileProvider } from '../support/hostile-provider';

/** A raw GET with whatever Host and Origin headers a forger likes; resolves with status and body. */
function forgedGet(url: string, headers: Record<string, string>): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'GET', headers, timeout: 10_000 }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (body += chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
    });
    req.on('timeout', () => req.destroy(new Error('no answer from the loopback listener')));
    req.on('error', reject);
    req.end();
  });
}

describe('F4: a callback that does not match the waiting flow changes nothing the user sees', () => {
  let provider: HostileProvider;
  before(async () => {
    provider = await startHostileProvider();
  });
  after(async () => {
    await provider.close();
  });

  it('loopback: forged requests on the callback path (forged state, no state, another Host and Origin) get a neutral page; the real callback signs in', async () => {
    provider.reset();
    const client = hostileClient(provider, { config: { redirectUri: 'http://127.0.0.1/callback' } });
    try {
      const { authorization } = await beginSignIn(client, provider);
      const listening = new URL(authorization.redirectUri);
      const emitted = client.states.length;
      const forged = [
        [`${listening.origin}/callback?state=forged&code=forged`, { host: 'evil.example', origin: 'https://evil.example' }],
        [`${listening.origin}/callback?code=forged`, { origin: 'null' }],
        [`${listening.origin}/callback?error=access_denied&state=forged`, { host: `localhost:${listening.port}`, referer: 'https://evil.example/' }],
      ] as const;
      for (const [url, headers] of forged) {
        const answer = await forgedGet(url, headers);
        assert.equal(answer.status, 400);
        assert.doesNotMatch(answer.body, /try again/i, 'the page does not talk the user out of the sign-in under way');
        assert.match(answer.body, /ignored/);
      }
      assert.deepEqual(client.states.slice(emitted), [], 'no state emitted');
      assert.equal(client.auth.getSession().status, 'signing-in', 'the signing-in screen stays');
      assert.equal(provider.count('/token'), 0);
      assert.ok(client.logs.filter((line) => line.startsWith('warn: redirect refused:')).length >= forged.length, 'each forged request is logged');
      const real = await forgedGet(authorization.callback, {});
      assert.equal(real.status, 200);
      assert.equal(client.auth.getSession().status, 'signed-in', 'the real callback signs in');
      await client.auth.signOut();
    } finally {
      client.auth.dispose();
    }
  });

  it('custom scheme: a forged link opened by a web page while the flow waits changes nothing; the real callback signs in', async () => {
    provider.reset();
    const client = hostileClient(provider);
    try {
      const { authorization } = await beginSignIn(client, provider);
      const emitted = client.states.length;
      for (const link of ['com.example.desktop:/callback?state=forged&code=forged', 'com.example.desktop:/callback?code=forged', 'com.example.desktop:/callback?state=a&state=b&code=x']) {
        assert.equal(await client.auth.handleRedirect(link), true);
      }
      assert.deepEqual(client.states.slice(emitted), [], 'no state emitted');
      assert.equal(client.auth.getSession().status, 'signing-in');
      assert.equal(await client.auth.handleRedirect(authorization.callback), true);
      assert.equal(client.auth.getSession().status, 'signed-in');
      await client.auth.signOut();
    } finally {
      client.auth.dispose();
    }
  });

  it('with no sign-in under way (nothing to disturb), a stray callback is still reported to the user', async () => {
    provider.reset();
    const client = hostileClient(provider);
    try {
      assert.equal(await client.auth.handleRedirect('com.example.desktop:/callback?state=forged&code=forged'), true);
      const state = client.auth.getSession();
      assert.equal(state.status, 'error');
      assert.equal(state.status === 'error' && state.error.code, 'no_pending_flow');
    } finally {
      client.auth.dispose();
    }
  });
});
