import type { AuthErrorCode } from './errors';

/** What the UI may show about the user. Display claims only: never a token. */
export interface UserClaims {
  readonly sub: string;
  readonly name?: string;
  readonly email?: string;
  readonly picture?: string;
}

export interface SessionError {
  readonly code: AuthErrorCode;
  readonly message: string;
}

/**
 * The only thing the core tells the outside world about the session.
 * Plain, serializable data: it crosses IPC unchanged. By construction it has
 * no field that could hold a token, a code or a verifier.
 */
export type SessionState =
  | { readonly status: 'signed-out'; readonly error?: SessionError }
  | { readonly status: 'signing-in' }
  | {
      readonly status: 'restoring';
      /**
       * Set while the provider cannot be reached (or asks us to wait): the
       * stored session is kept and the app tries again by itself at `retryAt`
       * (epoch milliseconds). The user can still sign in meanwhile.
       */
      readonly retry?: SessionError & { readonly retryAt: number };
    }
  | {
      readonly status: 'signed-in';
      readonly user: UserClaims;
      /** When the access token expires, epoch milliseconds. */
      readonly expiresAt: number;
      /** Something the user should know that does not end the session (e.g. no keychain). */
      readonly warning?: SessionError;
      /** True while the provider cannot be reached to refresh: the session goes on, the UI may say it is offline. */
      readonly stale?: boolean;
    }
  | { readonly status: 'error'; readonly error: SessionError };

export type SessionStatus = SessionState['status'];

export const SIGNED_OUT: SessionState = Object.freeze({ status: 'signed-out' });

/** Copies only the display claims we allow, and only when they are strings. */
export function toUserClaims(claims: Readonly<Record<string, unknown>>): UserClaims {
  const sub = claims['sub'];
  if (typeof sub !== 'string' || sub === '') throw new TypeError('claims have no sub');
  const user: { sub: string; name?: string; email?: string; picture?: string } = { sub };
  for (const key of ['name', 'email', 'picture'] as const) {
    const value = claims[key];
    if (typeof value === 'string' && value !== '') user[key] = value;
  }
  return user;
}

/**
 * `user` with the display claims it lacks taken from `known`, when both are
 * the same subject: an ID token (a refreshed one, or one from a provider that
 * follows OIDC Core §5.4 strictly) may carry none of them, and the user's
 * name must not disappear for that. Claims `user` has win.
 */
export function withKnownDisplayClaims(user: UserClaims, known: UserClaims | undefined): UserClaims {
  if (!known || known.sub !== user.sub) return user;
  const merged: { sub: string; name?: string; email?: string; picture?: string } = { ...user };
  for (const key of ['name', 'email', 'picture'] as const) {
    const value = known[key];
    if (merged[key] === undefined && value !== undefined) merged[key] = value;
  }
  return merged;
}
