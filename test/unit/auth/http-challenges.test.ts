/**
 * Issue 9, kind 3: a `WWW-Authenticate` challenge means something only on
 * 401, and on 403 with `insufficient_scope` (RFC 6750 §3); a gateway's
 * challenge on any other response is dropped before openid-client reads it.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { meaningfulChallenge, withoutStrayChallenge } from '../../../main/auth/http-challenges';

const GATEWAY = 'Key realm="gateway"';

describe('meaningfulChallenge', () => {
  it('401: always', () => {
    assert.equal(meaningfulChallenge(401, GATEWAY), true);
    assert.equal(meaningfulChallenge(401, 'Bearer error="invalid_token"'), true);
  });

  it('403: only with error="insufficient_scope" (quoted or not)', () => {
    assert.equal(meaningfulChallenge(403, 'Bearer error="insufficient_scope", scope="read"'), true);
    assert.equal(meaningfulChallenge(403, 'Bearer error=insufficient_scope'), true);
    assert.equal(meaningfulChallenge(403, GATEWAY), false);
    assert.equal(meaningfulChallenge(403, 'Bearer error="invalid_token"'), false);
  });

  it('any other status: never', () => {
    for (const status of [200, 201, 204, 302, 400, 404, 429, 500, 502]) assert.equal(meaningfulChallenge(status, GATEWAY), false, String(status));
  });
});

describe('withoutStrayChallenge', () => {
  it('the issue\'s input: a 200 with a gateway challenge loses the header and keeps status, body and other headers', async () => {
    const original = new Response('{"sub":"u"}', { status: 200, statusText: 'OK', headers: { 'www-authenticate': GATEWAY, 'content-type': 'application/json', 'x-gateway': 'yes' } });
    const cleaned = withoutStrayChallenge(original);
    assert.equal(cleaned.headers.get('www-authenticate'), null);
    assert.equal(cleaned.status, 200);
    assert.equal(cleaned.statusText, 'OK');
    assert.equal(cleaned.headers.get('content-type'), 'application/json');
    assert.equal(cleaned.headers.get('x-gateway'), 'yes');
    assert.deepEqual(await cleaned.json(), { sub: 'u' });
  });

  it('a 401 or a 403 insufficient_scope keeps its challenge: it is the same response', () => {
    const unauthorized = new Response(null, { status: 401, headers: { 'www-authenticate': 'Bearer error="invalid_token"' } });
    assert.equal(withoutStrayChallenge(unauthorized), unauthorized);
    const forbidden = new Response(null, { status: 403, headers: { 'www-authenticate': 'Bearer error="insufficient_scope"' } });
    assert.equal(withoutStrayChallenge(forbidden), forbidden);
  });

  it('a response without a challenge is passed through untouched', () => {
    const plain = new Response('x', { status: 200 });
    assert.equal(withoutStrayChallenge(plain), plain);
  });

  it('a 204 or a 400 with a stray challenge: no error building the copy, and the 400 keeps its body', async () => {
    const noContent = withoutStrayChallenge(new Response(null, { status: 204, headers: { 'www-authenticate': GATEWAY } }));
    assert.equal(noContent.status, 204);
    assert.equal(noContent.headers.get('www-authenticate'), null);
    const bad = withoutStrayChallenge(new Response('{"error":"invalid_grant"}', { status: 400, headers: { 'www-authenticate': GATEWAY, 'content-type': 'application/json' } }));
    assert.equal(bad.headers.get('www-authenticate'), null);
    assert.deepEqual(await bad.json(), { error: 'invalid_grant' });
  });
});
