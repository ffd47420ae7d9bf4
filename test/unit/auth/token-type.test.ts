import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type * as oidc from 'openid-client';
import { DpopKey } from '../../../main/auth/dpop-key';
import { tokenSetFrom } from '../../../main/auth/token-response';

const USER = { sub: 'user-1' };

function response(tokenType: string): oidc.TokenEndpointResponse {
  return { access_token: 'at-unit', token_type: tokenType.toLowerCase() as oidc.TokenEndpointResponse['token_type'], expires_in: 60, refresh_token: 'rt-unit' };
}

function recordingLog() {
  const lines: string[] = [];
  return { lines, log: { info: (m: string) => lines.push(`info: ${m}`), warn: (m: string) => lines.push(`warn: ${m}`), error: (m: string) => lines.push(`error: ${m}`) } };
}

describe('token type against what was asked (RFC 9449 §5)', () => {
  it('no proof sent: Bearer accepted, DPoP refused as token_response_invalid', () => {
    const tokens = tokenSetFrom(response('Bearer'), USER, undefined, {}, 0);
    assert.equal(tokens.tokenType, 'Bearer');
    assert.equal(tokens.dpopKey, undefined);
    assert.throws(() => tokenSetFrom(response('DPoP'), USER, undefined, {}, 0), (error: { code?: string }) => error.code === 'token_response_invalid');
    assert.throws(() => tokenSetFrom(response('DPoP'), USER, undefined, {}, 0, { dpopKey: undefined, log: recordingLog().log }), (error: { code?: string }) => error.code === 'token_response_invalid');
  });

  it('proof sent: DPoP bound to the key; Bearer used as bearer, with a warning, the key kept for the bound refresh token', async () => {
    const key = await DpopKey.generate('ES256');
    const { lines, log } = recordingLog();
    const bound = tokenSetFrom(response('DPoP'), USER, undefined, {}, 0, { dpopKey: key, log });
    assert.equal(bound.tokenType, 'DPoP');
    assert.equal(bound.dpopKey, key);
    assert.deepEqual(lines, []);
    const bearer = tokenSetFrom(response('Bearer'), USER, undefined, {}, 0, { dpopKey: key, log });
    assert.equal(bearer.tokenType, 'Bearer');
    assert.equal(bearer.dpopKey, key);
    assert.equal(lines.length, 1);
    assert.match(lines[0] ?? '', /^warn: .*bearer.*RFC 9449 §5/);
    assert.ok(!(lines[0] ?? '').includes('at-unit'), 'no token in the log');
  });

  it('other token types are refused, an odd one not echoed', async () => {
    const key = await DpopKey.generate('ES256');
    for (const type of ['mac', 'N_A']) {
      assert.throws(() => tokenSetFrom(response(type), USER, undefined, {}, 0, { dpopKey: key, log: recordingLog().log }), (error: { code?: string }) => error.code === 'token_response_invalid');
    }
    assert.throws(() => tokenSetFrom(response('<script>x</script>'), USER, undefined, {}, 0), (error: { message?: string }) => !(error.message ?? '').includes('<script>'));
  });
});
