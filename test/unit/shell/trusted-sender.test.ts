import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { appOriginOf, isAppUrl, isTrustedSender, type FrameLike } from '../../../main/shell/trusted-sender';

const origin = appOriginOf('app://com.example.desktop');

function topFrame(url: string): FrameLike {
  return { url, parent: null };
}

function event(frame: FrameLike | null, mainFrame: FrameLike | null = frame) {
  return { senderFrame: frame, sender: { mainFrame: mainFrame ?? topFrame('app://com.example.desktop/index.html') } };
}

describe('isTrustedSender', () => {
  it('accepts the app page in the top-level frame', () => {
    assert.equal(isTrustedSender(event(topFrame('app://com.example.desktop/index.html')), origin), true);
    assert.equal(isTrustedSender(event(topFrame('app://com.example.desktop/')), origin), true);
  });

  it('refuses a subframe, even one on the app origin', () => {
    const main = topFrame('app://com.example.desktop/index.html');
    const child: FrameLike = { url: 'app://com.example.desktop/index.html', parent: main };
    assert.equal(isTrustedSender(event(child, main), origin), false);
  });

  it('refuses a top-level-looking frame that is not the window main frame', () => {
    const main = topFrame('app://com.example.desktop/index.html');
    const other = topFrame('app://com.example.desktop/index.html');
    assert.equal(isTrustedSender(event(other, main), origin), false);
  });

  it('refuses a destroyed or navigated-away sender (senderFrame null)', () => {
    assert.equal(isTrustedSender(event(null, topFrame('app://com.example.desktop/index.html')), origin), false);
  });

  for (const url of [
    'https://com.example.desktop/index.html',
    'app://evil/index.html',
    'app://com.example.desktop.evil/index.html',
    'app://evil.com.example.desktop/index.html',
    'app://com.example.desktop@evil/index.html',
    'app://user:pass@com.example.desktop/index.html',
    'app://com.example.desktop:8080/index.html',
    'file:///work/main/dist/renderer/index.html',
    'http://localhost:5173/index.html',
    'http://127.0.0.1/index.html',
    'about:blank',
    'data:text/html,<script>1</script>',
    'devtools://devtools/bundled/inspector.html',
    '',
    'not a url',
  ]) {
    it(`refuses a top-level frame at ${JSON.stringify(url)}`, () => {
      assert.equal(isTrustedSender(event(topFrame(url)), origin), false);
    });
  }
});

describe('isAppUrl', () => {
  it('compares scheme and host exactly, never as a prefix', () => {
    assert.equal(isAppUrl('app://com.example.desktop/x', origin), true);
    assert.equal(isAppUrl('app://com.example.desktopx/x', origin), false);
    assert.equal(isAppUrl('apps://com.example.desktop/x', origin), false);
  });
});
