import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { assertBrowserUrl, decideWindowOpen, externalOriginsFor, mayNavigate } from '../../../main/shell/navigation-policy';

const allowed = ['https://login.example.com'];

describe('decideWindowOpen', () => {
  it('always denies the window, and hands an allow-listed https URL to the system browser', () => {
    const decision = decideWindowOpen('https://login.example.com/account?tab=security', allowed);
    assert.equal(decision.action, 'deny');
    assert.equal(decision.openExternal, 'https://login.example.com/account?tab=security');
  });

  it('compares parsed origins exactly: no prefix tricks, no other ports', () => {
    for (const url of [
      'https://login.example.com.evil.example/',
      'https://login.example.com@evil.example/',
      'https://evil.example/?https://login.example.com',
      'https://login.example.com:8443/',
      'https://sub.login.example.com/',
    ]) {
      const decision = decideWindowOpen(url, allowed);
      assert.equal(decision.action, 'deny');
      assert.equal(decision.openExternal, undefined, url);
    }
  });

  it('never opens other schemes, credentials or garbage', () => {
    for (const url of [
      'http://login.example.com/',
      'file:///etc/passwd',
      'javascript:alert(1)',
      'com.example.desktop:/callback?code=1',
      'smb://server/share',
      'https://user:pw@login.example.com/',
      'not a url',
      '',
    ]) {
      assert.equal(decideWindowOpen(url, allowed).openExternal, undefined, url);
    }
  });

  it('allows nothing with an empty allow-list, and ignores non-https entries in it', () => {
    assert.equal(decideWindowOpen('https://login.example.com/', []).openExternal, undefined);
    assert.equal(decideWindowOpen('http://127.0.0.1:4000/', ['http://127.0.0.1:4000']).openExternal, undefined);
  });
});

describe('mayNavigate', () => {
  it('refuses every navigation, including the app origin itself', () => {
    for (const url of ['app://com.example.desktop/index.html', 'https://login.example.com/', 'file:///etc/passwd']) {
      assert.equal(mayNavigate(url), false);
    }
  });
});

describe('externalOriginsFor', () => {
  it('is the https issuer origin, and nothing for an http development issuer', () => {
    assert.deepEqual(externalOriginsFor('https://login.example.com/tenant/v2'), ['https://login.example.com']);
    assert.deepEqual(externalOriginsFor('http://127.0.0.1:4000'), []);
  });
});

describe('assertBrowserUrl', () => {
  it('passes https and loopback http (the development provider)', () => {
    assert.equal(assertBrowserUrl('https://login.example.com/authorize?x=1'), 'https://login.example.com/authorize?x=1');
    assert.equal(assertBrowserUrl('http://127.0.0.1:4000/auth'), 'http://127.0.0.1:4000/auth');
  });

  it('refuses anything else', () => {
    for (const url of ['http://login.example.com/', 'file:///etc/passwd', 'com.example.desktop:/callback', 'https://u:p@x.example/', 'nope']) {
      assert.throws(() => assertBrowserUrl(url), TypeError, url);
    }
  });
});
