import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createSessionBridge, type PreloadTransport } from '../../../main/shell/preload-api';

function fakeTransport() {
  const invoked: unknown[][] = [];
  const listeners = new Map<string, Set<(event: unknown, ...args: unknown[]) => void>>();
  const transport: PreloadTransport = {
    invoke: async (channel, ...args) => {
      invoked.push([channel, ...args]);
      return { ok: true, value: channel };
    },
    on: (channel, listener) => {
      if (!listeners.has(channel)) listeners.set(channel, new Set());
      listeners.get(channel)?.add(listener);
    },
    removeListener: (channel, listener) => {
      listeners.get(channel)?.delete(listener);
    },
  };
  const emit = (channel: string, event: unknown, ...args: unknown[]) => {
    for (const listener of listeners.get(channel) ?? []) listener(event, ...args);
  };
  return { transport, invoked, listeners, emit };
}

describe('createSessionBridge', () => {
  it('exposes exactly one method per operation plus onSessionChanged, and nothing generic', () => {
    const bridge = createSessionBridge(fakeTransport().transport);
    assert.deepEqual(Object.keys(bridge).sort(), [
      'callApi',
      'cancelSignIn',
      'copyErrorDetails',
      'copySignInLink',
      'getApis',
      'getProviderInfo',
      'getSession',
      'getUserInfo',
      'grantApiAccess',
      'onSessionChanged',
      'recheckConfiguration',
      'signIn',
      'signOut',
      'stepUpApi',
    ]);
    assert.ok(Object.isFrozen(bridge));
    assert.ok(!('invoke' in bridge) && !('send' in bridge) && !('ipcRenderer' in bridge));
  });

  it('invokes the channel of each method with fixed arguments', async () => {
    const { transport, invoked } = fakeTransport();
    const bridge = createSessionBridge(transport);
    await bridge.getSession();
    await bridge.getProviderInfo();
    await bridge.signIn();
    await bridge.cancelSignIn();
    await bridge.signOut();
    await bridge.getUserInfo();
    await bridge.recheckConfiguration();
    await bridge.copySignInLink();
    assert.deepEqual(invoked, [['getSession'], ['getProviderInfo'], ['signIn'], ['cancelSignIn'], ['signOut'], ['getUserInfo'], ['recheckConfiguration'], ['copySignInLink']]);
  });

  it('copies only the contract fields of error details', async () => {
    const { transport, invoked } = fakeTransport();
    const bridge = createSessionBridge(transport);
    const sneaky = { code: 'network_error', summary: 'Offline.', detail: '', extra: { a: 1 } } as unknown as Parameters<typeof bridge.copyErrorDetails>[0];
    await bridge.copyErrorDetails(sneaky);
    assert.deepEqual(invoked, [['copyErrorDetails', { code: 'network_error', summary: 'Offline.', detail: '' }]]);
  });

  it('copies only the contract fields of an API request', async () => {
    const { transport, invoked } = fakeTransport();
    const bridge = createSessionBridge(transport);
    const sneaky = { path: 'users/me', method: 'GET', url: 'https://evil.example/', headers: { a: 'b' } } as unknown as Parameters<typeof bridge.callApi>[0];
    await bridge.callApi(sneaky);
    assert.deepEqual(invoked, [['callApi', { path: 'users/me', method: 'GET' }]]);
  });

  it('names the API of a request, and sends only the contract fields, for the consent and step-up operations (issue 18)', async () => {
    const { transport, invoked } = fakeTransport();
    const bridge = createSessionBridge(transport);
    const sneaky = { api: 'Orders', path: 'list', token: 'x' } as unknown as Parameters<typeof bridge.grantApiAccess>[0];
    await bridge.getApis();
    await bridge.grantApiAccess(sneaky);
    await bridge.stepUpApi(sneaky);
    await bridge.callApi(sneaky);
    assert.deepEqual(invoked, [['getApis'], ['grantApiAccess', { api: 'Orders', path: 'list' }], ['stepUpApi', { api: 'Orders', path: 'list' }], ['callApi', { api: 'Orders', path: 'list' }]]);
  });

  it('hands the listener the state only, never the IPC event, and unsubscribes', () => {
    const { transport, listeners, emit } = fakeTransport();
    const bridge = createSessionBridge(transport);
    const received: unknown[][] = [];
    const unsubscribe = bridge.onSessionChanged((...args: unknown[]) => void received.push(args));
    const ipcEvent = { sender: { send() {}, invoke() {} }, ports: [] };
    emit('session-changed', ipcEvent, { status: 'signing-in' });
    assert.deepEqual(received, [[{ status: 'signing-in' }]]);
    unsubscribe();
    emit('session-changed', ipcEvent, { status: 'signed-out' });
    assert.equal(received.length, 1);
    assert.equal(listeners.get('session-changed')?.size, 0);
  });

  it('refuses a listener that is not a function', () => {
    const bridge = createSessionBridge(fakeTransport().transport);
    assert.throws(() => bridge.onSessionChanged('x' as unknown as () => void), TypeError);
  });
});
