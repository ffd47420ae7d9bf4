/**
 * Issue 17, F2: an allowed API that answers 401 costs at most one refresh
 * grant per access token. Concurrent calls share the renewal; a token a 401
 * renewed moments ago is not renewed again (MIN_UNAUTHORIZED_REFRESH_INTERVAL_MS);
 * the second 401 is the API's answer, returned to the caller.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { MIN_UNAUTHORIZED_REFRESH_INTERVAL_MS } from '../../main/auth/resource-calls';
import { hostileClient, signInFully } from '../support/hostile-harness';
import { startHostileProvider, type HostileProvider } from '../support/hostile-provider';

const CALLS = 10;

describe('F2: 401 from an allowed API', () => {
  let provider: HostileProvider;
  let api: Server;
  let apiBase: string;
  let apiRequests = 0;
  before(async () => {
    provider = await startHostileProvider();
    // An API that refuses every token, as one with the wrong audience would.
    api = createServer((request, response) => {
      apiRequests += 1;
      request.resume();
      response.writeHead(401, { 'www-authenticate': 'Bearer error="invalid_token"', 'content-type': 'application/json' }).end('{"error":"invalid_token"}');
    });
    await new Promise<void>((resolve) => api.listen(0, '127.0.0.1', resolve));
    apiBase = `http://127.0.0.1:${(api.address() as AddressInfo).port}/v1`;
  });
  after(async () => {
    api.closeAllConnections();
    await new Promise((resolve) => api.close(resolve));
    await provider.close();
  });

  const refreshGrants = (): number => provider.requests.filter((r) => r.path === '/token' && r.form.get('grant_type') === 'refresh_token').length;

  for (const mode of ['concurrent', 'one after another'] as const) {
    it(`${CALLS} calls (${mode}) answered 401 right after sign-in: at most one refresh grant, every caller gets the 401`, async () => {
      provider.reset();
      const client = hostileClient(provider, { config: { apiBaseUrls: [apiBase] } });
      try {
        await signInFully(client, provider);
        provider.resetRequests();
        apiRequests = 0;
        const call = () => client.auth.callApi({ url: `${apiBase}/items` });
        const answers = mode === 'concurrent' ? await Promise.all(Array.from({ length: CALLS }, call)) : [];
        if (mode === 'one after another') for (let i = 0; i < CALLS; i += 1) answers.push(await call());
        assert.deepEqual(answers.map((a) => a.status), Array(CALLS).fill(401), 'each caller gets the API\'s answer');
        assert.ok(refreshGrants() <= 1, `at most one refresh grant (saw ${refreshGrants()})`);
        assert.equal(client.auth.getSession().status, 'signed-in', 'the session stays');
      } finally {
        client.auth.dispose();
      }
    });
  }

  it('the floor is a floor: once it has passed, a 401 renews the token again (once)', async () => {
    provider.reset();
    let offsetMs = 0;
    const client = hostileClient(provider, { config: { apiBaseUrls: [apiBase] }, now: () => Date.now() + offsetMs });
    try {
      await signInFully(client, provider);
      provider.resetRequests();
      assert.equal((await client.auth.callApi({ url: `${apiBase}/a` })).status, 401);
      assert.equal(refreshGrants(), 1, 'the first 401 renews the token once');
      assert.equal((await client.auth.callApi({ url: `${apiBase}/b` })).status, 401);
      assert.equal(refreshGrants(), 1, 'a 401 right after that renewal renews nothing');
      offsetMs = MIN_UNAUTHORIZED_REFRESH_INTERVAL_MS + 1_000;
      assert.equal((await client.auth.callApi({ url: `${apiBase}/c` })).status, 401);
      assert.equal(refreshGrants(), 2, 'past the floor, a 401 renews once more');
    } finally {
      client.auth.dispose();
    }
  });
});
