import type { AuthError } from '../auth/errors';
import type { AuthService } from '../auth/ports';
import type { SessionState } from '../auth/session-state';

/**
 * Stands in for the core when it cannot start (invalid configuration): the
 * renderer sees an `error` session state with the configuration's message,
 * and every operation fails with the same error, so the shell's wiring stays
 * the same and nothing crashes.
 */
export function createUnavailableAuthService(error: AuthError): AuthService {
  const state: SessionState = Object.freeze({ status: 'error', error: Object.freeze({ code: error.code, message: error.message }) });
  const fail = async (): Promise<never> => {
    throw error;
  };
  return {
    ready: async () => undefined,
    signIn: fail,
    cancelSignIn: () => undefined,
    handleRedirect: async () => false,
    signOut: fail,
    restore: async () => undefined,
    resume: () => undefined,
    callApi: fail,
    grantApiAccess: fail,
    stepUpApi: fail,
    getApiStatuses: () => [],
    getSession: () => state,
    onSessionChange: () => () => undefined,
    getUserInfo: fail,
    dispose: () => undefined,
  };
}
