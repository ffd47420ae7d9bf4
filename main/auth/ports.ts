import type { ApiStatus } from './api-calls';
import type { AuthConfig } from './config';
import type { SecretVault } from './secret-vault';
import type { SessionState, UserClaims } from './session-state';

/** A log sink. The core only ever hands it redacted text. */
export interface AuthLogger {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

export interface AuthServiceOptions {
  readonly config: AuthConfig;
  /** Asks the OS to open the system browser. Never called with anything but the provider's URLs. */
  openExternal(url: string): Promise<void>;
  readonly vault: SecretVault;
  /** Defaults to the global fetch. Every request the core makes goes through it, bounded in time and size. */
  readonly fetch?: typeof fetch;
  /** Epoch milliseconds. Defaults to Date.now. */
  readonly now?: () => number;
  readonly logger?: AuthLogger;
  /** Milliseconds each HTTP request may take. Default 10 000. */
  readonly httpTimeoutMs?: number;
}

export type SessionListener = (state: SessionState) => void;

export interface ApiRequest {
  /** Absolute URL under one of the configured `apiBaseUrls`. */
  readonly url: string;
  readonly method?: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** JSON-serializable body, sent as application/json. */
  readonly body?: unknown;
}

export interface ApiResponse {
  readonly status: number;
  readonly contentType: string | null;
  readonly body: unknown;
}

export interface AuthService {
  /** Fetches discovery and the JWKS ahead of time; signIn awaits it if it has not finished. */
  ready(): Promise<void>;
  /** Resolves once the system browser has been asked to open the authorize URL. */
  signIn(): Promise<void>;
  /** Ends the pending flow, if any, without an error. */
  cancelSignIn(): void;
  /** Takes any URL the OS hands the app; false (and nothing changed) when it is not a redirect for this app. */
  handleRedirect(url: string): Promise<boolean>;
  /** Signs out locally at once; revocation and the browser logout are best effort. */
  signOut(): Promise<void>;
  /** Restores the session from the keychain without the browser, if a refresh token is stored. */
  restore(): Promise<void>;
  /** Call when the machine wakes from sleep: refreshes if the access token is due. */
  resume(): void;
  /**
   * Calls an allow-listed API; the token never leaves the core. A URL under
   * a configured API (`apis`) goes with that API's own access token; may
   * reject with `consent_required` or `step_up_required` (no browser opens).
   */
  callApi(request: ApiRequest): Promise<ApiResponse>;
  /** Incremental consent for `request`'s configured API (a browser round-trip for the same user), then the call. */
  grantApiAccess(request: ApiRequest): Promise<ApiResponse>;
  /** Step-up (RFC 9470) for `request`'s configured API, as it asked at its last call, then the call. */
  stepUpApi(request: ApiRequest): Promise<ApiResponse>;
  /** Each configured API and its state, for the UI. */
  getApiStatuses(): ApiStatus[];
  getSession(): SessionState;
  onSessionChange(listener: SessionListener): () => void;
  /** Claims from the userinfo endpoint; their `sub` must equal the ID token's. */
  getUserInfo(): Promise<UserClaims & Readonly<Record<string, unknown>>>;
  dispose(): void;
}
