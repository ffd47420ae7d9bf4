/**
 * A hostile token endpoint (RFC 6749 §5.1/§5.2): refusals, server errors,
 * garbage, incomplete responses, a response that never ends and one far too
 * large. Each ends in a clear error with nothing kept, and the app signs in
 * again right after.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { expectRejectedSignIn, waitFor } from '../support/hostile-harness';
import { sendJson, startHostileProvider, streamHugeBody, type HostileProvider, type HugeBodyResult } from '../support/hostile-provider';

const HTTP_TIMEOUT_MS = 1500;
const HUGE_BYTES = 50 * 1024 * 1024;

describe('hostile provider: token endpoint', () => {
  let provider: HostileProvider;
  before(async () => {
    provider = await startHostileProvider();
  });
  after(async () => {
    await provider.close();
  });

  it('HTTP 400 invalid_grant', async () => {
    await expectRejectedSignIn(provider, {
      script: { token: (_req, res) => sendJson(res, 400, { error: 'invalid_grant', error_description: 'authorization code expired' }) },
      code: 'token_rejected',
      message: /rejected/,
    });
  });

  it('HTTP 400 invalid_request whose description quotes HTML', async () => {
    await expectRejectedSignIn(provider, {
      script: { token: (_req, res) => sendJson(res, 400, { error: 'invalid_request', error_description: '<script>alert(1)</script>' }) },
      code: 'token_rejected',
    });
  });

  it('HTTP 500', async () => {
    const outcome = await expectRejectedSignIn(provider, {
      script: {
        token: (_req, res) => {
          res.writeHead(500, { 'content-type': 'text/html' }).end(`<h1>Internal Server Error</h1><pre>access_token=${provider.mint('at')}</pre>`);
        },
      },
      code: 'token_request_failed',
      message: /try again/i,
    });
    assert.match(outcome.error.message, /HTTP 500/);
  });

  it('HTTP 500 with an OAuth error body', async () => {
    await expectRejectedSignIn(provider, {
      script: { token: (_req, res) => sendJson(res, 500, { error: 'server_error' }) },
      code: 'token_request_failed',
    });
  });

  it('a body that is not JSON (HTML that mentions tokens)', async () => {
    await expectRejectedSignIn(provider, {
      script: {
        token: (_req, res) => {
          const body = `<html><body>access_token=${provider.mint('at')}&refresh_token=${provider.mint('rt')}</body></html>`;
          res.writeHead(200, { 'content-type': 'text/html' }).end(body);
        },
      },
      code: 'token_response_invalid',
    });
  });

  it('a body that is not JSON but claims to be', async () => {
    await expectRejectedSignIn(provider, {
      script: {
        token: (_req, res) => {
          res.writeHead(200, { 'content-type': 'application/json' }).end(`{"access_token":"${provider.mint('at')}","refresh_token":"${provider.mint('rt')}",`);
        },
      },
      code: 'token_response_invalid',
    });
  });

  it('JSON without access_token (but with a refresh and an ID token)', async () => {
    await expectRejectedSignIn(provider, {
      script: { tokenResponse: ({ access_token: _dropped, ...rest }) => rest },
      code: 'token_response_invalid',
    });
  });

  it('JSON without token_type', async () => {
    await expectRejectedSignIn(provider, {
      script: { tokenResponse: ({ token_type: _dropped, ...rest }) => rest },
      code: 'token_response_invalid',
    });
  });

  it('JSON with a token_type other than Bearer', async () => {
    await expectRejectedSignIn(provider, {
      script: { tokenResponse: (body) => ({ ...body, token_type: 'N_A' }) },
      code: 'token_response_invalid',
    });
  });

  it('JSON without id_token (an OpenID sign-in needs one)', async () => {
    await expectRejectedSignIn(provider, {
      script: { tokenResponse: ({ id_token: _dropped, ...rest }) => rest },
      code: 'identity_unverified',
    });
  });

  it('a JSON array instead of an object', async () => {
    await expectRejectedSignIn(provider, {
      script: { token: (_req, res) => sendJson(res, 200, [{ access_token: provider.mint('at'), token_type: 'Bearer' }]) },
      code: 'token_response_invalid',
    });
  });

  it('a response that never ends: headers sent, the body never finishes — times out, bounded', async (t) => {
    let clientHungUp = false;
    await expectRejectedSignIn(provider, {
      httpTimeoutMs: HTTP_TIMEOUT_MS,
      afterRedirect: async (_p, elapsed) => {
        t.diagnostic(`gave up after ${Math.round(elapsed)} ms (httpTimeoutMs ${HTTP_TIMEOUT_MS})`);
        assert.ok(elapsed >= HTTP_TIMEOUT_MS - 100, `waited for the timeout (${Math.round(elapsed)} ms)`);
        assert.ok(elapsed < HTTP_TIMEOUT_MS + 1500, `gave up promptly after the ${HTTP_TIMEOUT_MS} ms timeout (${Math.round(elapsed)} ms)`);
        await waitFor(() => clientHungUp, 'the client to close the connection', 1000);
      },
      script: {
        token: (req, res) => {
          res.writeHead(200, { 'content-type': 'application/json' });
          res.write(`{"access_token":"${provider.mint('at')}","token_type":"Bearer","refresh_token":"${provider.mint('rt')}"`);
          req.socket.once('close', () => {
            clientHungUp = true;
          });
          // …and nothing more, ever.
        },
      },
      code: 'token_request_failed',
      message: /did not answer|could not be reached|try again/i,
    });
  });

  it('a response whose headers never come — times out, bounded', async (t) => {
    await expectRejectedSignIn(provider, {
      httpTimeoutMs: HTTP_TIMEOUT_MS,
      afterRedirect: (_p, elapsed) => {
        t.diagnostic(`gave up after ${Math.round(elapsed)} ms (httpTimeoutMs ${HTTP_TIMEOUT_MS})`);
        assert.ok(elapsed < HTTP_TIMEOUT_MS + 1500, `bounded (${Math.round(elapsed)} ms)`);
      },
      script: { token: () => undefined },
      code: 'token_request_failed',
      message: /did not answer|could not be reached|try again/i,
    });
  });

  for (const declareLength of [true, false]) {
    it(`a body of 50 MB ${declareLength ? 'with Content-Length' : 'streamed without a length'}: refused without reading it all, memory bounded`, async (t) => {
      let served: Promise<HugeBodyResult> | undefined;
      let peak = 0;
      const baseline = memory();
      const sampler = setInterval(() => {
        peak = Math.max(peak, memory() - baseline);
      }, 2);
      try {
        await expectRejectedSignIn(provider, {
          script: {
            token: (_req, res) => {
              served = streamHugeBody(res, { totalBytes: HUGE_BYTES, declareLength, filler: 'A' });
            },
          },
          afterRedirect: async () => {
            assert.ok(served, 'the huge body was served');
            const result = await served;
            t.diagnostic(`the server wrote ${(result.bytesWritten / 1048576).toFixed(1)} MB of 50 MB before the client hung up`);
            assert.equal(result.clientAborted, true, 'the client hung up before the body was complete');
            assert.equal(result.finished, false);
            assert.ok(result.bytesWritten < HUGE_BYTES / 4, `the server could write only ${(result.bytesWritten / 1048576).toFixed(1)} MB of 50 MB`);
            peak = Math.max(peak, memory() - baseline);
            t.diagnostic(`peak growth of heap + buffers while refusing it: ${(peak / 1048576).toFixed(1)} MB`);
            assert.ok(peak < 24 * 1024 * 1024, `memory grew by at most ${(peak / 1048576).toFixed(1)} MB (limit 24 MB) for a 50 MB body`);
          },
          // The bounded fetch refuses it as a transport failure (AuthError network_error): retryable, like a timeout.
          code: 'token_request_failed',
        });
      } finally {
        clearInterval(sampler);
      }
    });
  }
});

/** Bytes held by JavaScript: heap plus buffers (where a response body would sit). */
function memory(): number {
  const usage = process.memoryUsage();
  return usage.heapUsed + usage.arrayBuffers;
}
