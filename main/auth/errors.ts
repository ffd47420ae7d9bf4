/**
 * Every failure the core reports carries one of these codes. They are stable:
 * the UI maps them to words, tests assert on them, and they cross IPC as-is.
 */
export const AUTH_ERROR_CODES = [
  /** Nothing configured yet (first run): the welcome screen names the file to create. Not a fault. */
  'config_missing',
  'config_invalid',
  'discovery_failed',
  'provider_unsupported',
  'issuer_mismatch',
  'browser_open_failed',
  'redirect_port_in_use',
  'flow_superseded',
  'flow_cancelled',
  'flow_expired',
  'no_pending_flow',
  'state_mismatch',
  'callback_invalid',
  'iss_mismatch',
  'authorization_denied',
  'authorization_error',
  'token_request_failed',
  'token_rejected',
  'token_response_invalid',
  'identity_unverified',
  'clock_skew',
  'network_error',
  'session_ended',
  'sign_out_incomplete',
  'keychain_unavailable',
  'not_signed_in',
  'already_signed_in',
  'userinfo_invalid',
  'api_not_allowed',
  /** An API's token needs scopes or a resource the user has not granted yet: `grantApiAccess` asks for them (incremental consent). */
  'consent_required',
  /** An API asked for a stronger or more recent sign-in (RFC 9470): `stepUpApi` runs it. */
  'step_up_required',
  /** The browser came back from a step-up with a sign-in that does not meet what the API asked for (acr, max_age). */
  'step_up_unmet',
  /** Another browser round-trip for this session (consent, step-up) is already waiting for the user. */
  'flow_in_progress',
  'internal_error',
] as const;

export type AuthErrorCode = (typeof AUTH_ERROR_CODES)[number];

/** Codes after which trying the same operation again can succeed without the user changing anything. */
const RETRYABLE: ReadonlySet<AuthErrorCode> = new Set<AuthErrorCode>([
  'discovery_failed',
  'token_request_failed',
  'network_error',
  'browser_open_failed',
]);

export class AuthError extends Error {
  override readonly name = 'AuthError';
  readonly code: AuthErrorCode;

  constructor(code: AuthErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    // The cause may be a library error that holds a response body; keep it
    // reachable for debugging but out of enumeration so a log never prints it.
    if (options && 'cause' in options) {
      Object.defineProperty(this, 'cause', { enumerable: false, value: options.cause });
    }
  }

  get retryable(): boolean {
    return RETRYABLE.has(this.code);
  }

  toJSON(): { code: AuthErrorCode; message: string } {
    return { code: this.code, message: this.message };
  }
}

export function isAuthError(value: unknown): value is AuthError {
  return value instanceof AuthError;
}
