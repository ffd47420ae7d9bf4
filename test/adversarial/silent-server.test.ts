/**
 * Issue 17 (mutant: createBoundedFetch without its timeout): the requests
 * that go through the core's bounded fetch alone, not through openid-client
 * (which has a timeout of its own), end in `network_error` within
 * `httpTimeoutMs` when the server accepts and never answers: the JWKS fetch
 * before a sign-in and a bearer call to an allowed API.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { hostileClient, signInFully } from '../support/hostile-harness';
import { startHostileProvider, type HostileProvider } from '../support/hostile-provider';

const HTTP_TIMEOUT_MS = 400;
/** How much later than the timeout the outcome may come on a busy machine; a fetch without a timeout never ends. */
const SLACK_MS = 10_000;

/** Settles with `promise`'s rejection and how long it took; fails if it has not settled after the timeout plus slack. */
async function rejectionWithin<T>(promise: Promise<T>): Promise<{ error: { code?: string; cause?: { code?: string } }; elapsedMs: number }> {
  const started = performance.now();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const bound = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`still waiting ${HTTP_TIMEOUT_MS + SLACK_MS} ms later: the request is not bounded`)), HTTP_TIMEOUT_MS + SLACK_MS);
  });
  try {
    await Promise.race([promise, bound]);
  } catch (error) {
    if (error instanceof Error && /not bounded/.test(error.message)) throw error;
    return { error: error as { code?: string; cause?: { code?: string } }, elapsedMs: performance.now() - started };
  } finally {
    clearTimeout(timer);
  }
  return assert.fail('the call succeeded against a server that never answers');
}

describe('a server that accepts and never answers: network_error within httpTimeoutMs', () => {
  let provider: HostileProvider;
  let silent: Server;
  let silentBase: string;
  before(async () => {
    provider = await startHostileProvider();
    silent = createServer(() => undefined);
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    silentBase = `http://127.0.0.1:${(silent.address() as AddressInfo).port}/v1`;
  });
  after(async () => {
    silent.closeAllConnections();
    await new Promise((resolve) => silent.close(resolve));
    await provider.close();
  });

  it('the JWKS request (ready() before a sign-in)', async () => {
    provider.reset();
    provider.script = { jwksRaw: () => undefined };
    const client = hostileClient(provider, { httpTimeoutMs: HTTP_TIMEOUT_MS });
    try {
      const { error, elapsedMs } = await rejectionWithin(client.auth.ready());
      assert.equal(error.code, 'discovery_failed');
      assert.equal(error.cause?.code, 'network_error', 'the keys request ended in network_error');
      assert.ok(elapsedMs >= HTTP_TIMEOUT_MS - 50, `it waited for the timeout (${Math.round(elapsedMs)} ms)`);
    } finally {
      client.auth.dispose();
      provider.reset();
    }
  });

  it('a bearer call to an allowed API', async () => {
    provider.reset();
    const client = hostileClient(provider, { httpTimeoutMs: HTTP_TIMEOUT_MS, config: { apiBaseUrls: [silentBase] } });
    try {
      await signInFully(client, provider);
      const { error, elapsedMs } = await rejectionWithin(client.auth.callApi({ url: `${silentBase}/items` }));
      assert.equal(error.code, 'network_error');
      assert.ok(elapsedMs >= HTTP_TIMEOUT_MS - 50, `it waited for the timeout (${Math.round(elapsedMs)} ms)`);
      assert.equal(client.auth.getSession().status, 'signed-in', 'the session stays');
    } finally {
      client.auth.dispose();
    }
  });
});
