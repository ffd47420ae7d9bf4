import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isAllowedApiUrl } from '../../../main/auth/api-client';

const allowed = ['https://api.example.com/v1/', 'http://127.0.0.1:8080/api'];

describe('isAllowedApiUrl', () => {
  for (const url of ['https://api.example.com/v1/', 'https://api.example.com/v1/me', 'https://api.example.com/v1/a/b?x=1', 'http://127.0.0.1:8080/api', 'http://127.0.0.1:8080/api/items']) {
    it(`allows ${url}`, () => assert.equal(isAllowedApiUrl(new URL(url), allowed), true));
  }
  for (const url of [
    'https://api.example.com/v2/me',
    'https://api.example.com/v1/../admin',
    'https://api.example.com.evil.test/v1/me',
    'https://evil.test/https://api.example.com/v1/',
    'http://api.example.com/v1/me',
    'https://user:pw@api.example.com/v1/me',
    'http://127.0.0.1:8081/api/items',
    'http://127.0.0.1:8080/apix',
    // Issue 17: encoded separators and dot segments a server may decode after the check (the shell refuses them first; so does the core).
    'https://api.example.com/v1/%2F..%2Fadmin',
    'https://api.example.com/v1/%2f..%2fadmin',
    'https://api.example.com/v1/..%2Fadmin',
    'https://api.example.com/v1/%5C..%5Cadmin',
    'https://api.example.com/v1/a%2Fb',
    'https://api.example.com/v1/%zz',
  ]) {
    it(`refuses ${url}`, () => assert.equal(isAllowedApiUrl(new URL(url), allowed), false));
  }
});
