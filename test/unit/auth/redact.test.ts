import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { redactText, redactUrl } from '../../../main/auth/redact';

describe('redaction', () => {
  it('drops query and fragment from URLs', () => {
    assert.equal(redactUrl('com.example.desktop:/callback?code=SECRET&state=S'), 'com.example.desktop:/callback?[redacted]');
    assert.equal(redactUrl('https://idp.example.com/authorize?client_id=a&code_challenge=b'), 'https://idp.example.com/authorize?[redacted]');
    assert.equal(redactUrl('https://idp.example.com/.well-known/openid-configuration'), 'https://idp.example.com/.well-known/openid-configuration');
  });

  it('scrubs JWTs, OAuth parameters, JSON token fields and bearer headers from text', () => {
    const jwt = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl';
    const text = `token ${jwt} code=abc123&state=s1 {"refresh_token":"rt-secret","access_token": "at-secret"} Authorization: Bearer at-secret2 at https://x.example/cb?code=zzz`;
    const out = redactText(text);
    for (const secret of [jwt, 'abc123', 's1', 'rt-secret', 'at-secret', 'at-secret2', 'zzz']) {
      assert.ok(!out.includes(secret), `${secret} leaked in: ${out}`);
    }
  });
});
