import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AuthError } from '../../../main/auth/errors';
import type { InvokeResult } from '../../../main/ipc/contract';
import {
  GENERIC_INTERNAL_MESSAGE,
  IpcRequestError,
  createIpcRouter,
  noArgs,
  sendEvent,
  toIpcError,
  toIpcResult,
  type IpcMainLike,
} from '../../../main/shell/ipc-handlers';
import { appOriginOf, type FrameLike, type IpcEventLike } from '../../../main/shell/trusted-sender';

const origin = appOriginOf('app://com.example.desktop');

function fakeIpcMain() {
  const handlers = new Map<string, (event: IpcEventLike, ...args: unknown[]) => unknown>();
  const ipcMain: IpcMainLike = {
    handle: (channel, listener) => void handlers.set(channel, listener),
    removeHandler: (channel) => void handlers.delete(channel),
  };
  return { ipcMain, handlers };
}

function appEvent(url = 'app://com.example.desktop/index.html'): IpcEventLike {
  const frame: FrameLike = { url, parent: null };
  return { senderFrame: frame, sender: { mainFrame: frame } };
}

function logger() {
  const lines: string[] = [];
  return { lines, info: (m: string) => void lines.push(m), warn: (m: string) => void lines.push(m), error: (m: string) => void lines.push(m) };
}

describe('toIpcError / toIpcResult', () => {
  it('keeps an AuthError’s code and message', async () => {
    assert.deepEqual(toIpcError(new AuthError('state_mismatch', 'The answer does not match this sign-in.')), {
      code: 'state_mismatch',
      message: 'The answer does not match this sign-in.',
    });
    const result = await toIpcResult(() => {
      throw new AuthError('flow_expired', 'expired');
    });
    assert.deepEqual(result, { ok: false, error: { code: 'flow_expired', message: 'expired' } });
  });

  it('turns any other error into internal_error without its message', async () => {
    const seen: unknown[] = [];
    const secretish = new TypeError('Cannot read properties of undefined (reading "refresh") at /home/dana/.config token=abc');
    const result = await toIpcResult(() => Promise.reject(secretish), (error) => seen.push(error));
    assert.deepEqual(result, { ok: false, error: { code: 'internal_error', message: GENERIC_INTERNAL_MESSAGE } });
    assert.ok(!JSON.stringify(result).includes('abc'));
    assert.deepEqual(seen, [secretish]);
    assert.deepEqual(toIpcError('a string'), { code: 'internal_error', message: GENERIC_INTERNAL_MESSAGE });
    assert.deepEqual(toIpcError(Object.assign(new Error('x'), { code: 'state_mismatch' })), { code: 'internal_error', message: GENERIC_INTERNAL_MESSAGE });
  });

  it('wraps values, sync or async', async () => {
    assert.deepEqual(await toIpcResult(() => 42), { ok: true, value: 42 });
    assert.deepEqual(await toIpcResult(async () => undefined), { ok: true, value: undefined });
  });

  it('reports argument errors as bad_request', () => {
    assert.deepEqual(toIpcError(new IpcRequestError('no')), { code: 'bad_request', message: 'no' });
  });
});

describe('createIpcRouter', () => {
  it('runs the handler for the app page and wraps its value', async () => {
    const { ipcMain, handlers } = fakeIpcMain();
    const router = createIpcRouter({ ipcMain, origin, logger: logger() });
    router.handle('getProviderInfo', noArgs, () => ({ issuerHost: 'login.example.com', development: false }));
    const result = (await handlers.get('getProviderInfo')?.(appEvent())) as InvokeResult<'getProviderInfo'>;
    assert.deepEqual(result, { ok: true, value: { issuerHost: 'login.example.com', development: false } });
  });

  it('refuses untrusted senders before running anything', async () => {
    const { ipcMain, handlers } = fakeIpcMain();
    const log = logger();
    const router = createIpcRouter({ ipcMain, origin, logger: log });
    let ran = 0;
    router.handle('signIn', noArgs, () => void ran++);
    const main: FrameLike = { url: 'app://com.example.desktop/index.html', parent: null };
    const sub: FrameLike = { url: 'app://com.example.desktop/index.html', parent: main };
    for (const event of [
      appEvent('https://evil.example/'),
      appEvent('app://com.example.desktop.evil/'),
      appEvent('file:///index.html'),
      { senderFrame: sub, sender: { mainFrame: main } },
      { senderFrame: null, sender: { mainFrame: main } },
    ]) {
      const result = await handlers.get('signIn')?.(event);
      assert.deepEqual(result, { ok: false, error: { code: 'sender_rejected', message: 'This page may not use the session.' } });
    }
    assert.equal(ran, 0);
    assert.equal(log.lines.length, 5);
  });

  it('refuses unexpected arguments as bad_request', async () => {
    const { ipcMain, handlers } = fakeIpcMain();
    const router = createIpcRouter({ ipcMain, origin, logger: logger() });
    router.handle('signOut', noArgs, () => undefined);
    assert.deepEqual(await handlers.get('signOut')?.(appEvent(), 'extra'), {
      ok: false,
      error: { code: 'bad_request', message: 'This operation takes no arguments.' },
    });
  });

  it('converts a thrown AuthError into its code, and logs unexpected errors in main only', async () => {
    const { ipcMain, handlers } = fakeIpcMain();
    const log = logger();
    const router = createIpcRouter({ ipcMain, origin, logger: log });
    router.handle('signIn', noArgs, async () => {
      throw new AuthError('browser_open_failed', 'The browser could not be opened.');
    });
    router.handle('signOut', noArgs, async () => {
      throw new Error('boom at /secret/path');
    });
    assert.deepEqual(await handlers.get('signIn')?.(appEvent()), {
      ok: false,
      error: { code: 'browser_open_failed', message: 'The browser could not be opened.' },
    });
    assert.deepEqual(await handlers.get('signOut')?.(appEvent()), { ok: false, error: { code: 'internal_error', message: GENERIC_INTERNAL_MESSAGE } });
    assert.ok(log.lines.some((line) => line.includes('signOut failed unexpectedly')));
  });

  it('refuses a second handler for a channel, and removes its handlers on dispose', () => {
    const { ipcMain, handlers } = fakeIpcMain();
    const router = createIpcRouter({ ipcMain, origin, logger: logger() });
    router.handle('signIn', noArgs, () => undefined);
    assert.throws(() => router.handle('signIn', noArgs, () => undefined));
    router.dispose();
    assert.equal(handlers.size, 0);
  });
});

describe('sendEvent', () => {
  it('sends the typed event, and nothing to a destroyed target', () => {
    const sent: unknown[][] = [];
    let destroyed = false;
    const target = { send: (...args: unknown[]) => void sent.push(args), isDestroyed: () => destroyed };
    sendEvent(target, 'session-changed', { status: 'signed-out' });
    destroyed = true;
    sendEvent(target, 'session-changed', { status: 'restoring' });
    assert.deepEqual(sent, [['session-changed', { status: 'signed-out' }]]);
  });
});
