/**
 * Discovery's endpoints and issuer (issue 10 Low 2 and 6, issue 9 kind 7):
 * https endpoints only under an https issuer (loopback http only under a
 * loopback development issuer), and a templated issuer (Entra ID "common")
 * explained, not just refused.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AuthError } from '../../../main/auth/errors';
import { checkEndpoints, issuerMismatch } from '../../../main/auth/provider-metadata';

const HTTPS_ISSUER = new URL('https://idp.example');
const LOOPBACK_ISSUER = new URL('http://127.0.0.1:4000');
const good = {
  issuer: 'https://idp.example',
  authorization_endpoint: 'https://idp.example/authorize',
  token_endpoint: 'https://idp.example/token',
  jwks_uri: 'https://idp.example/jwks',
  userinfo_endpoint: 'https://idp.example/userinfo',
  revocation_endpoint: 'https://idp.example/revoke',
  end_session_endpoint: 'https://idp.example/logout',
};

function refusal(server: Record<string, unknown>, issuer: URL): AuthError | undefined {
  try {
    checkEndpoints(server, issuer);
    return undefined;
  } catch (error) {
    assert.ok(error instanceof AuthError);
    return error;
  }
}

describe('checkEndpoints', () => {
  it('all https under an https issuer: accepted', () => {
    assert.equal(refusal(good, HTTPS_ISSUER), undefined);
  });

  for (const [field, value] of [
    ['jwks_uri', 'http://idp.example/jwks'],
    ['jwks_uri', 'data:application/json,{"keys":[]}'],
    ['jwks_uri', 'http://127.0.0.1/jwks'],
    ['end_session_endpoint', 'smb://files.example/logout'],
    ['end_session_endpoint', 'http://idp.example/logout'],
    ['token_endpoint', 'file:///etc/passwd'],
    ['userinfo_endpoint', 'javascript:alert(1)'],
    ['revocation_endpoint', 'not a url'],
    ['pushed_authorization_request_endpoint', 'ftp://idp.example/par'],
    ['introspection_endpoint', 'ws://idp.example/introspect'],
    ['authorization_endpoint', 42],
  ] as const) {
    it(`https issuer, ${field} = ${JSON.stringify(value)}: provider_unsupported naming the field`, () => {
      const error = refusal({ ...good, [field]: value }, HTTPS_ISSUER);
      assert.equal(error?.code, 'provider_unsupported');
      assert.match(error?.message ?? '', new RegExp(field));
    });
  }

  it('loopback http issuer (development): loopback http endpoints accepted, http off loopback, data: and smb: refused', () => {
    const dev = { authorization_endpoint: 'http://127.0.0.1:4000/auth', token_endpoint: 'http://127.0.0.1:4000/token', jwks_uri: 'http://[::1]:4000/jwks' };
    assert.equal(refusal(dev, LOOPBACK_ISSUER), undefined);
    assert.equal(refusal({ ...dev, jwks_uri: 'https://keys.example/jwks' }, LOOPBACK_ISSUER), undefined, 'https is always fine');
    assert.equal(refusal({ ...dev, jwks_uri: 'http://keys.example/jwks' }, LOOPBACK_ISSUER)?.code, 'provider_unsupported');
    assert.equal(refusal({ ...dev, jwks_uri: 'data:application/json,{}' }, LOOPBACK_ISSUER)?.code, 'provider_unsupported');
    assert.equal(refusal({ ...dev, end_session_endpoint: 'smb://files.example/logout' }, LOOPBACK_ISSUER)?.code, 'provider_unsupported');
  });

  it('absent endpoints are not checked', () => {
    assert.equal(refusal({ issuer: 'https://idp.example' }, HTTPS_ISSUER), undefined);
  });
});

describe('issuerMismatch', () => {
  it('the issue\'s input: configured "…/common/v2.0", published "…/{tenantid}/v2.0": the tenant-specific issuer is named', () => {
    const error = issuerMismatch('https://login.microsoftonline.com/common/v2.0', 'https://login.microsoftonline.com/{tenantid}/v2.0');
    assert.equal(error.code, 'issuer_mismatch');
    assert.match(error.message, /https:\/\/login\.microsoftonline\.com\/<tenant-id>\/v2\.0/);
    assert.match(error.message, /tenant/);
    assert.doesNotMatch(error.message, /exactly the value the provider publishes/);
  });

  it('"organizations" and "consumers" publish the same template', () => {
    for (const configured of ['https://login.microsoftonline.com/organizations/v2.0', 'https://login.microsoftonline.com/consumers/v2.0']) {
      assert.match(issuerMismatch(configured, 'https://login.microsoftonline.com/{tenantid}/v2.0').message, /tenant/);
    }
  });

  it('a plain mismatch says to use exactly the published value', () => {
    const error = issuerMismatch('https://idp.example', 'https://idp.example/');
    assert.equal(error.code, 'issuer_mismatch');
    assert.match(error.message, /exactly the value the provider publishes/);
    assert.ok(error.message.includes('"https://idp.example/"'));
  });

  it('a published issuer that is not a string, or holds control characters, is shown safely', () => {
    assert.equal(issuerMismatch('https://idp.example', 42).code, 'issuer_mismatch');
    assert.doesNotMatch(issuerMismatch('https://idp.example', 'https://evil\u0000\u202E.example').message, /[\u0000\u202E]/);
  });
});
