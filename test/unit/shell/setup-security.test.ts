import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { describe, it } from 'node:test';
import type { App, Session, Shell } from 'electron';
import { setupSecurity } from '../../../main/shell/setup-security';
import { recordingLogger } from './support';

/** Just enough of Electron's objects to drive the guards. */
class FakeContents extends EventEmitter {
  openHandler: ((details: { url: string }) => { action: string }) | undefined;
  setWindowOpenHandler(handler: (details: { url: string }) => { action: string }): void {
    this.openHandler = handler;
  }
}

function setup() {
  const app = new EventEmitter();
  const opened: string[] = [];
  let requestHandler: ((contents: unknown, permission: string, callback: (granted: boolean) => void) => void) | undefined;
  let checkHandler: (() => boolean) | undefined;
  const session = {
    setPermissionRequestHandler: (handler: typeof requestHandler) => void (requestHandler = handler),
    setPermissionCheckHandler: (handler: typeof checkHandler) => void (checkHandler = handler),
  };
  setupSecurity({
    // The fakes implement only what setupSecurity calls; the casts say so.
    app: app as unknown as Pick<App, 'on'>,
    session: session as unknown as Pick<Session, 'setPermissionRequestHandler' | 'setPermissionCheckHandler'>,
    shell: { openExternal: async (url: string) => void opened.push(url) } as Pick<Shell, 'openExternal'>,
    externalOrigins: () => ['https://login.example.com'],
    logger: recordingLogger(),
  });
  const contents = new FakeContents();
  app.emit('web-contents-created', {}, contents);
  return { contents, opened, request: () => requestHandler, check: () => checkHandler };
}

function preventable(url: string) {
  let prevented = false;
  return {
    url,
    preventDefault: () => {
      prevented = true;
    },
    get prevented() {
      return prevented;
    },
  };
}

describe('setupSecurity', () => {
  it('denies every permission request and check', () => {
    const { request, check } = setup();
    let granted: boolean | undefined;
    request()?.({}, 'media', (value) => (granted = value));
    assert.equal(granted, false);
    assert.equal(check()?.(), false);
  });

  it('prevents every navigation and redirect, and every <webview>', () => {
    const { contents } = setup();
    for (const name of ['will-navigate', 'will-frame-navigate', 'will-redirect']) {
      const event = preventable('https://evil.example/');
      contents.emit(name, event);
      assert.equal(event.prevented, true, name);
    }
    const webview = preventable('');
    contents.emit('will-attach-webview', webview);
    assert.equal(webview.prevented, true);
  });

  it('denies every window, opening only allow-listed https links in the system browser', async () => {
    const { contents, opened } = setup();
    assert.deepEqual(contents.openHandler?.({ url: 'https://login.example.com/account' }), { action: 'deny' });
    assert.deepEqual(contents.openHandler?.({ url: 'https://evil.example/' }), { action: 'deny' });
    assert.deepEqual(contents.openHandler?.({ url: 'file:///etc/passwd' }), { action: 'deny' });
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(opened, ['https://login.example.com/account']);
  });
});
