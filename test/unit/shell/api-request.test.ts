import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AuthError } from '../../../main/auth/errors';
import { parseRendererApiRequest, resolveApiRequest } from '../../../main/shell/api-request';

const BASES = ['https://api.example.com/v1/'];

function refused(input: unknown, bases: readonly string[] = BASES): void {
  assert.throws(
    () => resolveApiRequest(input, bases),
    (error: unknown) => error instanceof AuthError && error.code === 'api_not_allowed',
    JSON.stringify(input),
  );
}

describe('resolveApiRequest', () => {
  it('resolves a relative path under the first base URL, with or without a leading slash', () => {
    assert.deepEqual(resolveApiRequest({ path: 'users/me' }, BASES), { url: 'https://api.example.com/v1/users/me' });
    assert.deepEqual(resolveApiRequest({ path: '/users/me?expand=groups' }, BASES), { url: 'https://api.example.com/v1/users/me?expand=groups' });
  });

  it('keeps the method and body', () => {
    assert.deepEqual(resolveApiRequest({ path: 'notes', method: 'POST', body: { text: 'hi' } }, BASES), {
      url: 'https://api.example.com/v1/notes',
      method: 'POST',
      body: { text: 'hi' },
    });
  });

  it('works with a base URL without a trailing slash', () => {
    assert.deepEqual(resolveApiRequest({ path: 'x' }, ['https://api.example.com/v1']), { url: 'https://api.example.com/v1/x' });
  });

  it('refuses absolute and scheme-relative URLs', () => {
    refused({ path: 'https://evil.example/steal' });
    refused({ path: '//evil.example/steal' });
    refused({ path: 'javascript:alert(1)' });
    refused({ path: 'HTTPS://api.example.com/v1/users' });
  });

  it('refuses dot segments in any encoding, backslashes and encoded slashes', () => {
    refused({ path: '../admin' });
    refused({ path: 'users/../../admin' });
    refused({ path: '%2e%2e/admin' });
    refused({ path: '.%2E/admin' });
    refused({ path: 'users/%2f..%2fadmin' });
    refused({ path: '..\\admin' });
    refused({ path: 'users/%5c..' });
  });

  it('refuses control characters, spaces, fragments and bad encodings', () => {
    refused({ path: 'users\nHost: evil' });
    refused({ path: 'users me' });
    refused({ path: 'users#frag' });
    refused({ path: '%E0%A4%A' });
    refused({ path: '' });
    refused({ path: 'a'.repeat(3000) });
  });

  it('refuses when no API is configured', () => {
    refused({ path: 'users/me' }, []);
  });

  it('refuses malformed requests', () => {
    refused(null);
    refused('users/me');
    refused([{ path: 'x' }]);
    refused({});
    refused({ path: 42 });
    refused({ path: 'x', method: 'TRACE' });
    refused({ path: 'x', url: 'https://evil.example/' });
    refused({ path: 'x', headers: { authorization: 'x' } });
  });
});

describe('parseRendererApiRequest', () => {
  it('copies only the known fields', () => {
    assert.deepEqual(parseRendererApiRequest({ path: 'a', method: 'GET' }), { path: 'a', method: 'GET' });
    assert.deepEqual(parseRendererApiRequest({ path: 'a', body: null }), { path: 'a', body: null });
  });
});
