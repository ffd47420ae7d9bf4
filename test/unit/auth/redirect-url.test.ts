import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MAX_REDIRECT_LENGTH, parseRedirect } from '../../../main/auth/redirect-url';

const scheme = new URL('com.example.desktop:/callback');
const loopback = new URL('http://127.0.0.1:53123/callback');

describe('parseRedirect', () => {
  it('accepts a callback with code and state', () => {
    const result = parseRedirect('com.example.desktop:/callback?code=abc&state=xyz&iss=https%3A%2F%2Fidp', scheme);
    assert.equal(result.kind, 'callback');
    assert.equal(result.kind === 'callback' && result.state, 'xyz');
  });

  it('accepts an error callback with state', () => {
    assert.equal(parseRedirect('com.example.desktop:/callback?error=access_denied&state=xyz', scheme).kind, 'callback');
  });

  for (const url of [
    'org.other.app:/callback?code=a&state=b',
    'com.example.desktop:/other?code=a&state=b',
    'com.example.desktop://callback?code=a&state=b',
    'com.example.desktop:/callback/extra?code=a&state=b',
    'https://com.example.desktop/callback?code=a&state=b',
    'not a url',
    '',
  ]) {
    it(`ignores a URL that is not our redirect: ${JSON.stringify(url)}`, () => {
      assert.deepEqual(parseRedirect(url, scheme), { kind: 'not-ours' });
    });
  }

  it('ignores non-strings and absurdly long input', () => {
    assert.deepEqual(parseRedirect(undefined, scheme), { kind: 'not-ours' });
    assert.deepEqual(parseRedirect(`com.example.desktop:/callback?code=a&state=${'x'.repeat(MAX_REDIRECT_LENGTH)}`, scheme), { kind: 'not-ours' });
  });

  for (const [url, reason] of [
    ['com.example.desktop:/callback?code=a', /no "state"/],
    ['com.example.desktop:/callback?code=a&state=', /no "state"/],
    ['com.example.desktop:/callback?code=a&state=b&state=c', /duplicated "state"/],
    ['com.example.desktop:/callback?code=a&code=b&state=c', /duplicated "code"/],
    ['com.example.desktop:/callback?code=a&state=b&iss=x&iss=y', /duplicated "iss"/],
    ['com.example.desktop:/callback?code=a&error=b&state=c', /both/],
    ['com.example.desktop:/callback?state=c', /neither/],
    ['com.example.desktop:/callback?code=&state=c', /empty "code"/],
  ] as const) {
    it(`flags a malformed callback: ${url}`, () => {
      const result = parseRedirect(url, scheme);
      assert.equal(result.kind, 'malformed');
      assert.match(result.kind === 'malformed' ? result.reason : '', reason);
    });
  }

  it('matches loopback redirects on host, port and path exactly', () => {
    assert.equal(parseRedirect('http://127.0.0.1:53123/callback?code=a&state=b', loopback).kind, 'callback');
    assert.equal(parseRedirect('http://127.0.0.1:53124/callback?code=a&state=b', loopback).kind, 'not-ours');
    assert.equal(parseRedirect('http://localhost:53123/callback?code=a&state=b', loopback).kind, 'not-ours');
    assert.equal(parseRedirect('http://127.0.0.1:53123/callback/?code=a&state=b', loopback).kind, 'not-ours');
    assert.equal(parseRedirect('http://user:pw@127.0.0.1:53123/callback?code=a&state=b', loopback).kind, 'malformed');
  });
});
