import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AuthError } from '../../../main/auth/errors';
import type { ApiRequest } from '../../../main/auth/ports';
import type { SessionState } from '../../../main/auth/session-state';
import { createIpcRouter, type IpcMainLike } from '../../../main/shell/ipc-handlers';
import { providerInfoFor, registerSessionHandlers, toUserInfo, type SessionOperations } from '../../../main/shell/session-handlers';
import { appOriginOf, type FrameLike, type IpcEventLike } from '../../../main/shell/trusted-sender';

const frame: FrameLike = { url: 'app://com.example.desktop/index.html', parent: null };
const event: IpcEventLike = { senderFrame: frame, sender: { mainFrame: frame } };
const silent = { info() {}, warn() {}, error() {} };

function harness(auth: Partial<SessionOperations>, apiBaseUrls: readonly string[] = ['https://api.example.com/v1/']) {
  const handlers = new Map<string, (event: IpcEventLike, ...args: unknown[]) => unknown>();
  const ipcMain: IpcMainLike = { handle: (c, l) => void handlers.set(c, l), removeHandler: (c) => void handlers.delete(c) };
  const router = createIpcRouter({ ipcMain, origin: appOriginOf('app://com.example.desktop'), logger: silent });
  const missing = () => {
    throw new Error('not in this test');
  };
  const operations: SessionOperations = {
    getSession: missing,
    signIn: missing,
    cancelSignIn: missing,
    signOut: missing,
    getUserInfo: missing,
    callApi: missing,
    grantApiAccess: missing,
    stepUpApi: missing,
    getApiStatuses: () => [],
    ...auth,
  };
  registerSessionHandlers(router, Promise.resolve({ auth: operations, providerInfo: providerInfoFor('https://login.example.com/tenant', false), apiBaseUrls }));
  return (channel: string, ...args: unknown[]) => handlers.get(channel)?.(event, ...args);
}

describe('registerSessionHandlers', () => {
  it('registers exactly the contract’s channels', () => {
    const channels: string[] = [];
    const ipcMain: IpcMainLike = { handle: (c) => void channels.push(c), removeHandler: () => {} };
    registerSessionHandlers(createIpcRouter({ ipcMain, origin: appOriginOf('app://com.example.desktop'), logger: silent }), new Promise(() => {}));
    assert.deepEqual(channels.sort(), ['callApi', 'cancelSignIn', 'getApis', 'getProviderInfo', 'getSession', 'getUserInfo', 'grantApiAccess', 'recheckConfiguration', 'signIn', 'signOut', 'stepUpApi']);
  });

  it('recheckConfiguration answers the re-read configuration\'s state, as plain contract data; without a re-reader, the current state', async () => {
    const handlers = new Map<string, (event: IpcEventLike, ...args: unknown[]) => unknown>();
    const ipcMain: IpcMainLike = { handle: (c, l) => void handlers.set(c, l), removeHandler: () => {} };
    const router = createIpcRouter({ ipcMain, origin: appOriginOf('app://com.example.desktop'), logger: silent });
    const current: SessionState = { status: 'error', error: { code: 'config_invalid', message: 'Create the file.' } };
    const operations = { getSession: () => current } as unknown as SessionOperations;
    let rereads = 0;
    registerSessionHandlers(router, Promise.resolve({ auth: operations, providerInfo: providerInfoFor('https://login.example.com/', false), apiBaseUrls: [] }), {
      recheckConfiguration: async () => {
        rereads++;
        return { status: 'signed-out', extra: 'dropped' } as unknown as SessionState;
      },
    });
    assert.deepEqual(await handlers.get('recheckConfiguration')?.(event), { ok: true, value: { status: 'signed-out' } });
    assert.equal(rereads, 1);
    assert.deepEqual(await handlers.get('recheckConfiguration')?.(event, 'x'), { ok: false, error: { code: 'bad_request', message: 'This operation takes no arguments.' } });
    assert.equal(rereads, 1, 'a bad call does not re-read');

    const call = harness({ getSession: () => current });
    assert.deepEqual(await call('recheckConfiguration'), { ok: true, value: current });
  });

  it('getSession returns the state as plain contract data', async () => {
    const state = { status: 'signed-in', user: { sub: 'u1', name: 'Dana Demo', extra: 'x' }, expiresAt: 1700000000000, internal: 'no' } as unknown as SessionState;
    const call = harness({ getSession: () => state });
    assert.deepEqual(await call('getSession'), {
      ok: true,
      value: { status: 'signed-in', user: { sub: 'u1', name: 'Dana Demo' }, expiresAt: 1700000000000 },
    });
  });

  it('getProviderInfo gives the issuer host only', async () => {
    assert.deepEqual(await harness({})('getProviderInfo'), { ok: true, value: { issuerHost: 'login.example.com', development: false } });
  });

  it('signIn / signOut / cancelSignIn resolve to ok with no value, or the AuthError', async () => {
    let cancelled = 0;
    const call = harness({
      signIn: async () => {
        throw new AuthError('browser_open_failed', 'no browser');
      },
      signOut: async () => undefined,
      cancelSignIn: () => void cancelled++,
    });
    assert.deepEqual(await call('signIn'), { ok: false, error: { code: 'browser_open_failed', message: 'no browser' } });
    assert.deepEqual(await call('signOut'), { ok: true, value: undefined });
    assert.deepEqual(await call('cancelSignIn'), { ok: true, value: undefined });
    assert.equal(cancelled, 1);
  });

  it('getUserInfo returns plain JSON claims', async () => {
    const call = harness({ getUserInfo: async () => ({ sub: 'u1', name: 'Dana Demo', updated_at: 5, when: new Date(0) }) });
    assert.deepEqual(await call('getUserInfo'), { ok: true, value: { sub: 'u1', name: 'Dana Demo', updated_at: 5, when: '1970-01-01T00:00:00.000Z' } });
  });

  it('callApi resolves the relative path against the allow-list before the core sees it', async () => {
    const seen: ApiRequest[] = [];
    const call = harness({
      callApi: async (request) => {
        seen.push(request);
        return { status: 200, contentType: 'application/json', body: { hello: 'world' } };
      },
    });
    assert.deepEqual(await call('callApi', { path: 'users/me' }), {
      ok: true,
      value: { status: 200, contentType: 'application/json', body: { hello: 'world' } },
    });
    assert.deepEqual(seen, [{ url: 'https://api.example.com/v1/users/me' }]);
  });

  it('callApi refuses absolute URLs and malformed requests without calling the core', async () => {
    let called = 0;
    const call = harness({
      callApi: async () => {
        called++;
        return { status: 200, contentType: null, body: null };
      },
    });
    for (const args of [[{ path: 'https://evil.example/' }], [{ path: '../x' }], [{ url: 'https://api.example.com/v1/' }], [], ['a', 'b']]) {
      const result = (await call('callApi', ...args)) as { ok: boolean; error?: { code: string } };
      assert.equal(result.ok, false, JSON.stringify(args));
      assert.ok(result.error?.code === 'api_not_allowed' || result.error?.code === 'bad_request');
    }
    assert.equal(called, 0);
  });
});

describe('configured APIs over IPC (issue 18)', () => {
  const statuses = [
    { name: 'Orders', baseUrl: 'https://orders.example.com/api/', state: 'consent_required' as const, message: 'Orders needs your permission first.' },
    { name: 'Reports', baseUrl: 'https://reports.example.com/', state: 'idle' as const },
  ];

  it('getApis lists the configured APIs and their states as contract data, nothing more', async () => {
    const call = harness({ getApiStatuses: () => statuses.map((s) => ({ ...s, token: 'never' }) as unknown as (typeof statuses)[number]) });
    assert.deepEqual(await call('getApis'), { ok: true, value: statuses });
  });

  it('a request naming an API resolves under that API\'s base URL, for callApi, grantApiAccess and stepUpApi', async () => {
    const seen: Array<[string, ApiRequest]> = [];
    const answer = (channel: string) => async (request: ApiRequest) => {
      seen.push([channel, request]);
      return { status: 200, contentType: 'application/json', body: { ok: channel } };
    };
    const call = harness({ getApiStatuses: () => statuses, callApi: answer('callApi'), grantApiAccess: answer('grantApiAccess'), stepUpApi: answer('stepUpApi') });
    assert.deepEqual(await call('callApi', { api: 'Orders', path: 'list' }), { ok: true, value: { status: 200, contentType: 'application/json', body: { ok: 'callApi' } } });
    assert.deepEqual(await call('grantApiAccess', { api: 'Orders', path: 'list' }), { ok: true, value: { status: 200, contentType: 'application/json', body: { ok: 'grantApiAccess' } } });
    assert.deepEqual(await call('stepUpApi', { api: 'Reports', path: '/x?y=1', method: 'POST', body: { a: 1 } }), { ok: true, value: { status: 200, contentType: 'application/json', body: { ok: 'stepUpApi' } } });
    assert.deepEqual(seen, [
      ['callApi', { url: 'https://orders.example.com/api/list' }],
      ['grantApiAccess', { url: 'https://orders.example.com/api/list' }],
      ['stepUpApi', { url: 'https://reports.example.com/x?y=1', method: 'POST', body: { a: 1 } }],
    ]);
  });

  it('grantApiAccess and stepUpApi need a configured API by name; nothing reaches the core otherwise', async () => {
    let called = 0;
    const core = async () => {
      called++;
      return { status: 200, contentType: null, body: null };
    };
    const call = harness({ getApiStatuses: () => statuses, callApi: core, grantApiAccess: core, stepUpApi: core });
    for (const channel of ['grantApiAccess', 'stepUpApi']) {
      for (const args of [[{ path: 'x' }], [{ api: 'Nope', path: 'x' }], [{ api: 'Orders', path: '../x' }], [{ api: 7, path: 'x' }], [{ api: 'Orders', path: 'x', url: 'https://evil.example/' }], []]) {
        const result = (await call(channel, ...args)) as { ok: boolean; error?: { code: string } };
        assert.equal(result.ok, false, `${channel} ${JSON.stringify(args)}`);
        assert.ok(result.error?.code === 'api_not_allowed' || result.error?.code === 'bad_request', JSON.stringify(result));
      }
    }
    assert.equal(called, 0);
  });
});

describe('toUserInfo', () => {
  it('refuses claims without a subject', () => {
    assert.throws(() => toUserInfo({ name: 'x' }), (error: unknown) => error instanceof AuthError && error.code === 'userinfo_invalid');
    assert.throws(() => toUserInfo(null), AuthError);
  });
});
