import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as oidc from 'openid-client';
import { DpopKey } from '../../../main/auth/dpop-key';
import { decidePar, pushAuthorizationRequest } from '../../../main/auth/pushed-authorization';

const ISSUER = 'https://as.example.test';
const PAR_ENDPOINT = `${ISSUER}/par`;
const REQUEST_URI = 'urn:ietf:params:oauth:request_uri:unit-test-1';

const metadata = (extra: Record<string, unknown> = {}) => ({ issuer: ISSUER, ...extra });

describe('PAR decision from discovery (RFC 9126 §5)', () => {
  it('auto: pushed when the provider lists an endpoint, not otherwise', () => {
    assert.deepEqual(decidePar('auto', metadata({ pushed_authorization_request_endpoint: PAR_ENDPOINT })), { use: true, forced: false });
    assert.deepEqual(decidePar('auto', metadata()), { use: false });
    assert.deepEqual(decidePar('auto', metadata({ pushed_authorization_request_endpoint: '' })), { use: false });
  });

  it('never: not pushed, unless the provider requires PAR; then pushed and marked forced', () => {
    assert.deepEqual(decidePar('never', metadata({ pushed_authorization_request_endpoint: PAR_ENDPOINT })), { use: false });
    assert.deepEqual(decidePar('never', metadata({ pushed_authorization_request_endpoint: PAR_ENDPOINT, require_pushed_authorization_requests: true })), { use: true, forced: true });
  });

  it('always: pushed, or provider_unsupported naming the setting to change', () => {
    assert.deepEqual(decidePar('always', metadata({ pushed_authorization_request_endpoint: PAR_ENDPOINT })), { use: true, forced: false });
    assert.throws(() => decidePar('always', metadata()), (error: { code?: string; message?: string }) => error.code === 'provider_unsupported' && /"auto"/.test(error.message ?? ''));
  });

  it('a provider that requires PAR without publishing an endpoint is refused under every setting', () => {
    for (const setting of ['auto', 'always', 'never'] as const) {
      assert.throws(() => decidePar(setting, metadata({ require_pushed_authorization_requests: true })), (error: { code?: string }) => error.code === 'provider_unsupported', setting);
    }
  });
});

interface Captured {
  readonly url: string;
  readonly body: URLSearchParams;
  readonly headers: Headers;
}

/** A configuration whose requests are answered by `answer`, each kept: unit tests stay off the network. */
function configurationAnswering(answer: (request: Captured, index: number) => Response | Promise<Response>): { configuration: oidc.Configuration; requests: Captured[] } {
  const configuration = new oidc.Configuration(
    { issuer: ISSUER, authorization_endpoint: `${ISSUER}/authorize`, pushed_authorization_request_endpoint: PAR_ENDPOINT, token_endpoint: `${ISSUER}/token` },
    'client-1',
    undefined,
    oidc.None(),
  );
  const requests: Captured[] = [];
  configuration[oidc.customFetch] = async (url, options) => {
    const captured = { url, body: new URLSearchParams(String(options.body)), headers: new Headers(options.headers) };
    requests.push(captured);
    return answer(captured, requests.length - 1);
  };
  return { configuration, requests };
}

const PARAMS = {
  redirect_uri: 'com.example.desktop:/callback',
  scope: 'openid profile offline_access',
  state: 'state-value-unit-test',
  nonce: 'nonce-value-unit-test',
  code_challenge: 'challenge-value-unit-test-0123456789abcdefghijk',
  code_challenge_method: 'S256',
};

const created = () => Response.json({ request_uri: REQUEST_URI, expires_in: 60 }, { status: 201 });

describe('pushing the authorization request (RFC 9126 §2)', () => {
  it('sends every parameter in the push and returns an authorize URL with client_id and request_uri only', async () => {
    const { configuration, requests } = configurationAnswering(created);
    const url = await pushAuthorizationRequest(configuration, PARAMS);
    assert.equal(requests.length, 1, 'one request: the push');
    assert.equal(requests[0]?.url, PAR_ENDPOINT);
    for (const [name, value] of Object.entries(PARAMS)) assert.equal(requests[0]?.body.get(name), value, `${name} is pushed`);
    assert.equal(requests[0]?.body.get('client_id'), 'client-1');
    assert.equal(requests[0]?.body.get('response_type'), 'code');
    assert.equal(`${url.origin}${url.pathname}`, `${ISSUER}/authorize`);
    assert.deepEqual([...url.searchParams.keys()].sort(), ['client_id', 'request_uri'], 'nothing else in the URL the browser sees (§4)');
    assert.equal(url.searchParams.get('request_uri'), REQUEST_URI);
  });

  it('with DPoP, the push carries a proof for the endpoint (RFC 9449 §10.1), and a nonce challenge is retried once with the nonce', async () => {
    const key = await DpopKey.generate('ES256');
    const { configuration, requests } = configurationAnswering((_request, index) =>
      index === 0 ? Response.json({ error: 'use_dpop_nonce' }, { status: 400, headers: { 'dpop-nonce': 'nonce-from-provider' } }) : created(),
    );
    const url = await pushAuthorizationRequest(configuration, { ...PARAMS, dpop_jkt: await key.thumbprint(configuration) }, key.handle(configuration));
    assert.equal(requests.length, 2, 'the push and its one retry');
    const [first, second] = requests.map((r) => r.headers.get('dpop'));
    assert.ok(first && second && first !== second, 'each attempt has its own proof');
    const payload = JSON.parse(Buffer.from(second.split('.')[1] ?? '', 'base64url').toString()) as Record<string, unknown>;
    assert.equal(payload['nonce'], 'nonce-from-provider');
    assert.equal(payload['htu'], PAR_ENDPOINT);
    assert.equal(payload['htm'], 'POST');
    assert.deepEqual([...url.searchParams.keys()].sort(), ['client_id', 'request_uri'], 'dpop_jkt went in the push, not the URL');
  });

  it('an OAuth error from the push is authorization_error with the provider\'s words, not retryable', async () => {
    const { configuration } = configurationAnswering(() => Response.json({ error: 'invalid_request', error_description: 'redirect_uri not\u0007 registered' }, { status: 400 }));
    await assert.rejects(pushAuthorizationRequest(configuration, PARAMS), (error: { code?: string; message?: string; retryable?: boolean }) => {
      assert.equal(error.code, 'authorization_error');
      assert.match(error.message ?? '', /invalid_request/);
      assert.match(error.message ?? '', /redirect_uri not\s+registered/, 'the provider\'s text is passed on');
      assert.ok(!(error.message ?? '').includes('\u0007'), 'control characters removed');
      assert.equal(error.retryable, false);
      return true;
    });
  });

  it('a 5xx from the push (JSON or not) is a retryable network_error', async () => {
    for (const answer of [() => new Response('<html>oops</html>', { status: 503, headers: { 'content-type': 'text/html' } }), () => Response.json({ error: 'server_error' }, { status: 500 })]) {
      const { configuration } = configurationAnswering(answer);
      await assert.rejects(pushAuthorizationRequest(configuration, PARAMS), (error: { code?: string; retryable?: boolean; message?: string }) => error.code === 'network_error' && error.retryable === true && /HTTP 50[03]/.test(error.message ?? ''));
    }
  });

  it('a push that cannot complete (transport failure) is a retryable network_error', async () => {
    const { configuration } = configurationAnswering(() => {
      throw new TypeError('fetch failed');
    });
    await assert.rejects(pushAuthorizationRequest(configuration, PARAMS), (error: { code?: string; retryable?: boolean }) => error.code === 'network_error' && error.retryable === true);
  });

  it('a 201 without a usable request_uri is authorization_error', async () => {
    for (const body of [{ expires_in: 60 }, { request_uri: 42, expires_in: 60 }, { request_uri: REQUEST_URI }]) {
      const { configuration } = configurationAnswering(() => Response.json(body, { status: 201 }));
      await assert.rejects(pushAuthorizationRequest(configuration, PARAMS), (error: { code?: string }) => error.code === 'authorization_error', JSON.stringify(body));
    }
  });
});
