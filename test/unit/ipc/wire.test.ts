import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AuthError } from '../../../main/auth/errors';
import type { SessionState } from '../../../main/auth/session-state';
import { toJsonValue, toWireState } from '../../../main/shell/wire';

describe('toWireState', () => {
  it('keeps every contract field of each status', () => {
    const states: SessionState[] = [
      { status: 'signed-out' },
      { status: 'signed-out', error: { code: 'session_ended', message: 'ended' } },
      { status: 'signing-in' },
      { status: 'restoring' },
      { status: 'restoring', retry: { code: 'token_request_failed', message: 'offline, will retry', retryAt: 1_800_000_000_000 } },
      {
        status: 'signed-in',
        user: { sub: 's', name: 'Dana Demo', email: 'dana@example.test', picture: 'https://x.example/p.png' },
        expiresAt: 1,
        warning: { code: 'keychain_unavailable', message: 'no keychain' },
        stale: true,
      },
      { status: 'error', error: { code: 'config_invalid', message: 'bad' } },
    ];
    for (const state of states) assert.deepEqual(toWireState(state), state);
  });

  it('turns an AuthError instance into plain { code, message } (structured clone would lose the code)', () => {
    const state = { status: 'error', error: new AuthError('discovery_failed', 'unreachable') } as SessionState;
    const wire = toWireState(state);
    assert.deepEqual(wire, { status: 'error', error: { code: 'discovery_failed', message: 'unreachable' } });
    assert.equal(Object.getPrototypeOf(wire.status === 'error' ? wire.error : null), Object.prototype);
  });

  it('drops fields the contract does not have', () => {
    const state = {
      status: 'signed-in',
      user: { sub: 's', groups: ['admin'], picture: 42 },
      expiresAt: 5,
      stale: false,
      secretish: 'x',
    } as unknown as SessionState;
    assert.deepEqual(toWireState(state), { status: 'signed-in', user: { sub: 's' }, expiresAt: 5 });
  });
});

describe('toJsonValue', () => {
  it('keeps what JSON keeps', () => {
    assert.deepEqual(toJsonValue({ a: 1, b: [true, null], c: undefined, d: () => 1 }), { a: 1, b: [true, null] });
    assert.equal(toJsonValue(undefined), null);
    assert.equal(toJsonValue('text'), 'text');
  });
});
