/**
 * The sign-in core's public contract. Plain Node: nothing here imports
 * electron, so the app, the tests and the benchmark all drive the same code.
 */
export { createAuthService } from './auth-service';
export { createMemoryVault, type SecretVault } from './secret-vault';
export { createKeytarVault, keychainServiceName } from './keytar-vault';
export { loadConfig, validateConfig, redirectModeOf, DEFAULT_SCOPES, CONFIG_ENV, type AuthConfig, type RedirectMode } from './config';
export { AuthError, AUTH_ERROR_CODES, isAuthError, type AuthErrorCode } from './errors';
export type { SessionState, SessionStatus, SessionError, UserClaims } from './session-state';
export type { AuthService, AuthServiceOptions, AuthLogger, ApiRequest, ApiResponse, SessionListener } from './ports';
export { redactText, redactUrl } from './redact';
export type { ApiConfig } from './api-config';
export type { ApiStatus } from './api-calls';
