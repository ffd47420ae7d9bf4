import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { errorDetailsText, registerClipboardHandlers } from '../../../main/shell/clipboard-handlers';
import { createIpcRouter, type IpcMainLike } from '../../../main/shell/ipc-handlers';
import { appOriginOf, type FrameLike, type IpcEventLike } from '../../../main/shell/trusted-sender';
import { assertNoSecret } from '../../support/secret-assert';

const frame: FrameLike = { url: 'app://com.example.desktop/index.html', parent: null };
const trusted: IpcEventLike = { senderFrame: frame, sender: { mainFrame: frame } };
const foreignFrame: FrameLike = { url: 'https://evil.example/', parent: null };
const foreign: IpcEventLike = { senderFrame: foreignFrame, sender: { mainFrame: foreignFrame } };
const silent = { info() {}, warn() {}, error() {} };
const report = { productName: 'OIDC Desktop', version: '1.2.3', runtime: 'Electron 45.0.0, linux x64' };
const NOW = new Date('2026-12-06T10:42:00.000Z');

function harness(options: { link?: string; failing?: boolean } = {}) {
  const handlers = new Map<string, (event: IpcEventLike, ...args: unknown[]) => unknown>();
  const ipcMain: IpcMainLike = { handle: (c, l) => void handlers.set(c, l), removeHandler: (c) => void handlers.delete(c) };
  const written: string[] = [];
  registerClipboardHandlers(createIpcRouter({ ipcMain, origin: appOriginOf('app://com.example.desktop'), logger: silent }), {
    clipboard: {
      writeText: (text) => {
        if (options.failing) throw new Error('no clipboard');
        written.push(text);
      },
    },
    signInLink: () => options.link,
    report,
    now: () => NOW,
  });
  const call = (channel: string, ...args: unknown[]) => handlers.get(channel)?.(trusted, ...args);
  return { handlers, written, call };
}

describe('registerClipboardHandlers', () => {
  it('registers the two copy channels', () => {
    assert.deepEqual([...harness().handlers.keys()].sort(), ['copyErrorDetails', 'copySignInLink']);
  });

  it('copySignInLink writes the waiting flow\'s authorize URL, or says there is nothing to copy', async () => {
    const link = 'https://login.example.com/authorize?client_id=app&request_uri=urn%3Aexample%3A1';
    const waiting = harness({ link });
    assert.deepEqual(await waiting.call('copySignInLink'), { ok: true, value: undefined });
    assert.deepEqual(waiting.written, [link]);

    const idle = harness();
    assert.deepEqual(await idle.call('copySignInLink'), { ok: false, error: { code: 'nothing_to_copy', message: 'No sign-in is waiting for the browser.' } });
    assert.deepEqual(idle.written, []);
  });

  it('copyErrorDetails writes the report built in main', async () => {
    const { call, written } = harness();
    const result = await call('copyErrorDetails', { code: 'discovery_failed', summary: 'The sign-in service could not be reached.', detail: 'HTTP 503 from\n  discovery' });
    assert.deepEqual(result, { ok: true, value: undefined });
    assert.deepEqual(written, [
      'OIDC Desktop 1.2.3 (Electron 45.0.0, linux x64)\n' +
        'Time: 2026-12-06T10:42:00.000Z\n' +
        'Code: discovery_failed\n' +
        'Message: The sign-in service could not be reached.\n' +
        'Details: HTTP 503 from discovery\n',
    ]);
  });

  it('refuses malformed requests and foreign senders without writing', async () => {
    const { handlers, call, written } = harness({ link: 'https://login.example.com/authorize' });
    for (const args of [
      [],
      [null],
      ['text'],
      [{ code: 'Not A Code', summary: '', detail: '' }],
      [{ code: 'x'.repeat(65), summary: '', detail: '' }],
      [{ code: 'network_error', summary: 'x'.repeat(2001), detail: '' }],
      [{ code: 'network_error', summary: '', detail: 42 }],
      [{ code: 'network_error', summary: '', detail: '' }, 'extra'],
    ]) {
      const result = (await call('copyErrorDetails', ...args)) as { ok: boolean; error?: { code: string } };
      assert.equal(result.ok, false, JSON.stringify(args));
      assert.equal(result.error?.code, 'bad_request', JSON.stringify(args));
    }
    assert.equal(((await call('copySignInLink', 'x')) as { error: { code: string } }).error.code, 'bad_request');
    assert.equal(((await handlers.get('copySignInLink')?.(foreign)) as { error: { code: string } }).error.code, 'sender_rejected');
    assert.deepEqual(written, []);
  });

  it('a clipboard that refuses the text gives clipboard_failed', async () => {
    const { call } = harness({ link: 'https://login.example.com/authorize', failing: true });
    assert.deepEqual(await call('copySignInLink'), { ok: false, error: { code: 'clipboard_failed', message: 'The clipboard could not be written.' } });
  });
});

describe('errorDetailsText', () => {
  it('scrubs anything token-shaped from the free text', () => {
    const jwt = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJkZW1vIn0.c2lnbmF0dXJl';
    const code = 'SplxlOBeZQQYbYS6WxSbIA';
    const text = errorDetailsText(
      { code: 'token_rejected', summary: `refused ${jwt}`, detail: `https://login.example.com/cb?code=${code}&state=abc then Bearer ${code}` },
      report,
      NOW,
    );
    assertNoSecret(text, [jwt, code, 'state=abc'], 'the error report');
    assert.match(text, /^Code: token_rejected$/m);
  });

  it('leaves out the Details line when the core gave no message', () => {
    const text = errorDetailsText({ code: 'network_error', summary: 'Offline.', detail: '' }, report, NOW);
    assert.doesNotMatch(text, /Details:/);
  });
});
