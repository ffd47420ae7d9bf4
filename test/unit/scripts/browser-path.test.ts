import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { browserCandidates, resolveBrowserPath } from '../../support/browser-path';

describe('the system browser of the tests (issue 15: not only /usr/bin/chromium)', () => {
  it('TEST_BROWSER wins when set and present', () => {
    assert.equal(resolveBrowserPath('linux', { TEST_BROWSER: '/usr/lib/chromium/chromium' }, (f) => f === '/usr/lib/chromium/chromium' || f === '/usr/bin/chromium'), '/usr/lib/chromium/chromium');
  });

  it('a TEST_BROWSER that does not exist is an error naming it, not a fallback', () => {
    const result = resolveBrowserPath('linux', { TEST_BROWSER: '/nowhere/chrome' }, () => true && false);
    assert.ok(result instanceof Error);
    assert.match(result.message, /TEST_BROWSER is set to \/nowhere\/chrome/);
  });

  it('finds the usual install locations on each OS', () => {
    const env = { LOCALAPPDATA: 'C:\\Users\\dana\\AppData\\Local', PROGRAMFILES: 'C:\\Program Files', 'PROGRAMFILES(X86)': 'C:\\Program Files (x86)', HOME: '/Users/dana' };
    assert.equal(resolveBrowserPath('win32', env, (f) => f === 'C:\\Program Files (x86)\\Microsoft\\Edge\\Application\\msedge.exe'), 'C:\\Program Files (x86)\\Microsoft\\Edge\\Application\\msedge.exe');
    assert.equal(resolveBrowserPath('win32', env, (f) => f.endsWith('Google\\Chrome\\Application\\chrome.exe')), 'C:\\Users\\dana\\AppData\\Local\\Google\\Chrome\\Application\\chrome.exe');
    assert.equal(resolveBrowserPath('darwin', env, (f) => f === '/Applications/Google Chrome.app/Contents/MacOS/Google Chrome'), '/Applications/Google Chrome.app/Contents/MacOS/Google Chrome');
    assert.equal(resolveBrowserPath('linux', {}, (f) => f === '/usr/bin/google-chrome-stable'), '/usr/bin/google-chrome-stable');
    assert.equal(browserCandidates('linux', {})[0], '/usr/bin/chromium', 'Chromium first');
  });

  it('none found: an error that names TEST_BROWSER', () => {
    for (const platform of ['linux', 'darwin', 'win32'] as const) {
      const result = resolveBrowserPath(platform, {}, () => false);
      assert.ok(result instanceof Error);
      assert.match(result.message, /TEST_BROWSER/);
    }
  });
});
