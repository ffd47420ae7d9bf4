import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { apiFor } from '../../../main/auth/api-config';
import { validateConfig } from '../../../main/auth/config';
import { AuthError } from '../../../main/auth/errors';

const valid = { issuer: 'https://login.example.com', clientId: 'desktop', redirectUri: 'com.example.desktop:/callback' };

function problemsOf(raw: Record<string, unknown>): string {
  try {
    validateConfig(raw);
  } catch (error) {
    assert.ok(error instanceof AuthError);
    assert.equal(error.code, 'config_invalid');
    return error.message;
  }
  assert.fail('expected the configuration to be refused');
}

describe('config apis (issue 18)', () => {
  it('accepts APIs with scopes and/or a resource, and defaults to none', () => {
    assert.deepEqual(validateConfig(valid).apis, []);
    const config = validateConfig({
      ...valid,
      apiBaseUrls: ['https://own.example.com/'],
      apis: [
        { name: 'Graph', baseUrl: 'https://graph.microsoft.com/v1.0/', scopes: ['https://graph.microsoft.com/User.Read'] },
        { name: 'Orders', baseUrl: 'https://api.example.com/orders', resource: 'https://api.example.com/orders' },
        { name: 'Local', baseUrl: 'http://127.0.0.1:8080/api/', scopes: ['a', 'a', 'b'], resource: 'urn:example:local' },
        { name: 'Billing', baseUrl: 'https://billing.example.com/', scopes: ['read:invoices'], audience: 'https://billing.example.com' },
      ],
    });
    assert.equal(config.apis[3]?.audience, 'https://billing.example.com');
    assert.deepEqual(config.apis.map((api) => [api.name, api.baseUrl, api.scopes, api.resource]), [
      ['Graph', 'https://graph.microsoft.com/v1.0/', ['https://graph.microsoft.com/User.Read'], undefined],
      ['Orders', 'https://api.example.com/orders', [], 'https://api.example.com/orders'],
      ['Local', 'http://127.0.0.1:8080/api/', ['a', 'b'], 'urn:example:local'],
      ['Billing', 'https://billing.example.com/', ['read:invoices'], undefined],
    ]);
    assert.equal(apiFor(new URL('https://api.example.com/orders/42'), config.apis)?.name, 'Orders');
    assert.equal(apiFor(new URL('https://api.example.com/ordersX'), config.apis), undefined, 'a segment boundary, as for the allow-list');
    assert.equal(apiFor(new URL('https://own.example.com/x'), config.apis), undefined, 'apiBaseUrls calls are not an API');
  });

  const cases: Array<[string, unknown, RegExp]> = [
    ['not a list', { name: 'x' }, /apis: must be a list/],
    ['an entry that is not an object', ['x'], /apis\[0\]: must be an object/],
    ['no name', [{ baseUrl: 'https://a.example/', scopes: ['s'] }], /apis\[0\]\.name: must be a short name/],
    ['a duplicate name', [{ name: 'A', baseUrl: 'https://a.example/', scopes: ['s'] }, { name: 'a', baseUrl: 'https://b.example/', scopes: ['s'] }], /apis\[1\]\.name: "a" is used by another API/],
    ['an http base URL off loopback', [{ name: 'A', baseUrl: 'http://a.example/', scopes: ['s'] }], /apis\[0\]\.baseUrl: "http:\/\/a\.example\/" must be an https URL/],
    ['a base URL with a query', [{ name: 'A', baseUrl: 'https://a.example/?x=1', scopes: ['s'] }], /apis\[0\]\.baseUrl: .* without query or fragment/],
    ['scopes with a space', [{ name: 'A', baseUrl: 'https://a.example/', scopes: ['a b'] }], /apis\[0\]\.scopes: must be a list of scope names/],
    ['a relative resource', [{ name: 'A', baseUrl: 'https://a.example/', resource: '/api' }], /apis\[0\]\.resource: "\/api" must be an absolute URI without a fragment \(RFC 8707 §2\)/],
    ['a resource with a fragment', [{ name: 'A', baseUrl: 'https://a.example/', resource: 'https://a.example/#x' }], /apis\[0\]\.resource: .*fragment/],
    ['neither scopes, resource nor audience', [{ name: 'A', baseUrl: 'https://a.example/' }], /apis\[0\]: needs "scopes", "resource" and\/or "audience".*apiBaseUrls/],
    ['both resource and audience', [{ name: 'A', baseUrl: 'https://a.example/', resource: 'https://a.example/', audience: 'https://a.example/' }], /apis\[0\]\.audience: and "resource" name the same thing/],
    ['an audience with a space', [{ name: 'A', baseUrl: 'https://a.example/', audience: 'my api' }], /apis\[0\]\.audience: must be the API's identifier/],
    ['an unknown field', [{ name: 'A', baseUrl: 'https://a.example/', scopes: ['s'], tokenType: 'x' }], /apis\[0\]\.tokenType: is not a field of an API/],
    ['two overlapping base URLs', [{ name: 'A', baseUrl: 'https://a.example/v1/', scopes: ['s'] }, { name: 'B', baseUrl: 'https://a.example/v1/admin/', scopes: ['t'] }], /apis\[1\]\.baseUrl: "https:\/\/a\.example\/v1\/admin\/" overlaps API "A"/],
    ['the same base URL twice', [{ name: 'A', baseUrl: 'https://a.example/', scopes: ['s'] }, { name: 'B', baseUrl: 'https://a.example/', scopes: ['t'] }], /apis\[1\]\.baseUrl: .*overlaps API "A"/],
  ];
  for (const [what, apis, expected] of cases) {
    it(`refuses ${what}, naming the field`, () => {
      assert.match(problemsOf({ ...valid, apis }), expected);
    });
  }

  it('refuses an API overlapping an apiBaseUrls entry, either way round', () => {
    assert.match(problemsOf({ ...valid, apiBaseUrls: ['https://a.example/'], apis: [{ name: 'A', baseUrl: 'https://a.example/v1/', scopes: ['s'] }] }), /apis\[0\]\.baseUrl: .*overlaps an apiBaseUrls entry \("https:\/\/a\.example\/"\)/);
    assert.match(problemsOf({ ...valid, apiBaseUrls: ['https://a.example/v1/x/'], apis: [{ name: 'A', baseUrl: 'https://a.example/v1/', scopes: ['s'] }] }), /overlaps an apiBaseUrls entry/);
  });

  it('reports every problem at once', () => {
    const message = problemsOf({ ...valid, apis: [{ name: '', baseUrl: 'x' }, { name: 'B', baseUrl: 'https://b.example/', resource: 'nope' }] });
    assert.match(message, /apis\[0\]\.name/);
    assert.match(message, /apis\[0\]\.baseUrl/);
    assert.match(message, /apis\[1\]\.resource/);
  });
});
