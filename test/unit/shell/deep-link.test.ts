import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { describeDeepLink, extractDeepLink } from '../../../main/shell/deep-link';

const SCHEME = 'com.example.desktop';
const CALLBACK = 'com.example.desktop:/callback?code=abc123&state=xyz&iss=http%3A%2F%2F127.0.0.1%3A4000';

describe('extractDeepLink', () => {
  it('finds the URL in a Linux cold-start argv (electron . <url>)', () => {
    assert.equal(extractDeepLink(['/usr/lib/electron/electron', '.', CALLBACK], SCHEME), CALLBACK);
  });

  it('finds the URL in a packaged cold-start argv (exe -- <url>)', () => {
    assert.equal(extractDeepLink(['C:\\Program Files\\OIDC Desktop\\OIDC Desktop.exe', '--', CALLBACK], SCHEME), CALLBACK);
  });

  it('tolerates Windows second-instance argv with Chromium switches after the URL', () => {
    const argv = [
      'C:\\Program Files\\OIDC Desktop\\OIDC Desktop.exe',
      '--',
      CALLBACK,
      '--allow-file-access-from-files',
      '--original-process-start-time=13345678901234567',
      '--secure-schemes=app',
      '--enable-features=SomeFeature',
    ];
    assert.equal(extractDeepLink(argv, SCHEME), CALLBACK);
  });

  it('tolerates switches before the URL in development (electron.exe app -- url)', () => {
    const argv = ['C:\\dev\\node_modules\\electron\\dist\\electron.exe', '--inspect=0', 'C:\\dev\\app', '--', CALLBACK];
    assert.equal(extractDeepLink(argv, SCHEME), CALLBACK);
  });

  it('takes the macOS open-url string as a one-element list', () => {
    assert.equal(extractDeepLink([CALLBACK], SCHEME), CALLBACK);
  });

  it('matches the scheme case-insensitively and returns the normalized URL', () => {
    assert.equal(extractDeepLink(['COM.Example.Desktop:/callback?code=1'], SCHEME), 'com.example.desktop:/callback?code=1');
  });

  it('refuses two URLs of our scheme, even when they are identical', () => {
    assert.equal(extractDeepLink(['app', CALLBACK, 'com.example.desktop:/callback?code=evil'], SCHEME), undefined);
    assert.equal(extractDeepLink(['app', CALLBACK, CALLBACK], SCHEME), undefined);
  });

  it('refuses when none is present, and URLs of other schemes', () => {
    assert.equal(extractDeepLink(['/usr/bin/app', '.'], SCHEME), undefined);
    assert.equal(extractDeepLink([], SCHEME), undefined);
    assert.equal(extractDeepLink(['https://evil.example/callback?code=1'], SCHEME), undefined);
    assert.equal(extractDeepLink(['file:///etc/passwd'], SCHEME), undefined);
    assert.equal(extractDeepLink(['com.example.desktopx:/callback?code=1'], SCHEME), undefined);
    assert.equal(extractDeepLink(['com.example:/callback?code=1'], SCHEME), undefined);
    assert.equal(extractDeepLink(['javascript:alert(1)'], SCHEME), undefined);
  });

  it('refuses the CVE-2018-1000006 payload as one argument', () => {
    assert.equal(extractDeepLink(['app.exe', 'com.example.desktop://" --gpu-launcher="cmd" --'], SCHEME), undefined);
    assert.equal(extractDeepLink(['app.exe', 'com.example.desktop:/callback" --gpu-launcher="cmd /c calc" --'], SCHEME), undefined);
  });

  it('refuses the CVE-2018-1000006 payload as Windows split it into arguments', () => {
    const argv = ['app.exe', 'com.example.desktop://', '--gpu-launcher=cmd /c calc', '--'];
    assert.equal(extractDeepLink(argv, SCHEME), undefined);
  });

  it('refuses authorities, credentials, whitespace, control characters and empty paths', () => {
    for (const bad of [
      'com.example.desktop://evil.example/callback?code=1',
      'com.example.desktop://user:pass@host/callback',
      'com.example.desktop:/call back?code=1',
      'com.example.desktop:/callback?code=1\n--inspect',
      'com.example.desktop:/callback?code=1\t',
      'com.example.desktop:callback?code=1',
      'com.example.desktop:/',
      'com.example.desktop:',
      'com.example.desktop:/callback?code=<script>',
      'com.example.desktop:/callback?code=é',
      `com.example.desktop:/callback?code=${'a'.repeat(9000)}`,
    ]) {
      assert.equal(extractDeepLink(['app', bad], SCHEME), undefined, bad);
    }
  });

  it('never takes the last argument blindly', () => {
    assert.equal(extractDeepLink([CALLBACK, '--some-switch'], SCHEME), CALLBACK);
    assert.equal(extractDeepLink(['app', '--', 'https://evil.example/'], SCHEME), undefined);
  });
});

describe('describeDeepLink', () => {
  it('keeps the scheme and path and drops the query (it holds the code)', () => {
    const text = describeDeepLink(CALLBACK);
    assert.equal(text, 'com.example.desktop:/callback (with query)');
    assert.ok(!text.includes('abc123'));
  });
});
