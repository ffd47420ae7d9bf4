import type { JsonValue, SessionError, SessionState, UserClaims } from '../ipc/contract';

/**
 * Copies a SessionState into plain data holding only the contract's fields,
 * before it crosses IPC. The core's state is plain already; this is the
 * shell's own guarantee: structured clone would turn an Error instance into a
 * bare Error (losing its code), and an unexpected extra field would travel
 * to the renderer unnoticed.
 */
export function toWireState(state: SessionState): SessionState {
  switch (state.status) {
    case 'signed-out':
      return state.error === undefined ? { status: 'signed-out' } : { status: 'signed-out', error: toWireError(state.error) };
    case 'signing-in':
      return { status: 'signing-in' };
    case 'restoring':
      return state.retry === undefined ? { status: 'restoring' } : { status: 'restoring', retry: { ...toWireError(state.retry), retryAt: Number(state.retry.retryAt) } };
    case 'signed-in':
      return {
        status: 'signed-in',
        user: toWireUser(state.user),
        expiresAt: Number(state.expiresAt),
        ...(state.warning === undefined ? {} : { warning: toWireError(state.warning) }),
        ...(state.stale === true ? { stale: true } : {}),
      };
    case 'error':
      return { status: 'error', error: toWireError(state.error) };
  }
}

function toWireError(error: SessionError): SessionError {
  return { code: error.code, message: String(error.message) };
}

function toWireUser(user: UserClaims): UserClaims {
  const copy: { sub: string; name?: string; email?: string; picture?: string } = { sub: String(user.sub) };
  for (const key of ['name', 'email', 'picture'] as const) {
    const value = user[key];
    if (typeof value === 'string') copy[key] = value;
  }
  return copy;
}

/**
 * Plain JSON data from anything the core returns (userinfo claims, an API
 * body): what a JSON round trip keeps. Undefined becomes null.
 */
export function toJsonValue(value: unknown): JsonValue {
  if (value === undefined) return null;
  const text = JSON.stringify(value);
  return text === undefined ? null : (JSON.parse(text) as JsonValue);
}
