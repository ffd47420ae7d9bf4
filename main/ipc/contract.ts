/**
 * The one IPC contract between the main process, the preload and the renderer.
 *
 * Types only: nothing here exists at run time. It must type-check under the
 * renderer's DOM-only tsconfig too, so it imports types solely from core files
 * that have no Node imports (session-state.ts, errors.ts) and re-declares the
 * rest in the small form the renderer may use.
 */
import type { AuthErrorCode } from '../auth/errors';
import type { SessionState, SessionError, UserClaims } from '../auth/session-state';

export type { AuthErrorCode, SessionState, SessionError, UserClaims };

/**
 * Codes that only the IPC layer produces, on top of the core's codes.
 * - `sender_rejected`: the call did not come from the app's own top-level page.
 * - `bad_request`: the arguments did not have the shape the channel takes.
 * - `nothing_to_copy`: a copy action found nothing to copy (no sign-in link while no flow waits).
 * - `clipboard_failed`: the system clipboard refused the text.
 */
export type IpcOnlyErrorCode = 'sender_rejected' | 'bad_request' | 'nothing_to_copy' | 'clipboard_failed';

export type IpcErrorCode = AuthErrorCode | IpcOnlyErrorCode;

/** What crosses IPC when an operation fails: a stable code the UI maps to words, and a message safe to show. */
export interface IpcError {
  readonly code: IpcErrorCode;
  readonly message: string;
}

/**
 * Results, not exceptions: Electron's serialization keeps only an Error's
 * message, so every invoke channel resolves to one of these instead.
 */
export type IpcResult<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: IpcError };

/** Non-secret facts about the configured provider, for the signed-out screen. */
export interface ProviderInfo {
  /** Host (and port, if any) of the issuer URL, e.g. "login.example.com". */
  readonly issuerHost: string;
  /** True when the app runs against its embedded development provider. */
  readonly development: boolean;
}

/**
 * An API call as the renderer may ask for it: a path relative to the
 * configured API base URL, never an absolute URL. Main resolves and checks it
 * against the allow-list before the core (which checks again) sends it.
 */
export interface RendererApiRequest {
  /** E.g. "users/me" or "/users/me?expand=groups": resolved under the first configured API base URL, or under `api`'s. */
  readonly path: string;
  /** The name of a configured API (config `apis`, see {@link ApiInfo}): the call goes with that API's own token. */
  readonly api?: string;
  readonly method?: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** JSON-serializable body, sent as application/json. */
  readonly body?: JsonValue;
}

export type JsonValue = null | boolean | number | string | readonly JsonValue[] | { readonly [key: string]: JsonValue };

export interface RendererApiResponse {
  readonly status: number;
  readonly contentType: string | null;
  readonly body: JsonValue;
}

/**
 * An error as the renderer shows it, for "Copy details": main adds the time,
 * the app's version and the platform, scrubs anything token-shaped, and puts
 * the text on the clipboard. The renderer holds no secret, so none can be in it.
 */
export interface ErrorDetailsRequest {
  /** The stable code, e.g. "discovery_failed" (lower case, digits and `_`, at most 64 characters). */
  readonly code: string;
  /** The words the screen shows for the code (at most 2 000 characters). */
  readonly summary: string;
  /** The message the core gave, already scrubbed of the flow's secrets (at most 2 000 characters; may be empty). */
  readonly detail: string;
}

/**
 * One configured API as the signed-in screen shows it: its name, where it
 * lives and whether it can be called now. Never a token.
 * - `idle`: not called yet; `ready`: it has its token;
 * - `consent_required`: "Grant access" asks the user for it (incremental consent);
 * - `step_up_required`: "Verify it's you" runs the stronger sign-in it asked for (RFC 9470);
 * - `error`: the last call failed otherwise (`message` says why).
 */
export interface ApiInfo {
  readonly name: string;
  readonly baseUrl: string;
  readonly state: 'idle' | 'ready' | 'consent_required' | 'step_up_required' | 'error';
  readonly message?: string;
}

/** Claims from the userinfo endpoint, as plain JSON. */
export type UserInfo = UserClaims & { readonly [claim: string]: JsonValue };

/**
 * Channel → signature map for the renderer's calls into main
 * (`ipcRenderer.invoke` / `ipcMain.handle`). The signature states the
 * arguments and the success value; on the wire every call resolves to an
 * {@link IpcResult} of that value.
 */
export interface InvokeChannels {
  getSession: () => SessionState;
  getProviderInfo: () => ProviderInfo;
  signIn: () => void;
  cancelSignIn: () => void;
  signOut: () => void;
  getUserInfo: () => UserInfo;
  callApi: (request: RendererApiRequest) => RendererApiResponse;
  /** The configured APIs (config `apis`) and their states; empty when none is configured. */
  getApis: () => readonly ApiInfo[];
  /** Incremental consent for `request.api` (required): a browser round-trip for the same user, then the call. */
  grantApiAccess: (request: RendererApiRequest) => RendererApiResponse;
  /** Step-up for `request.api` (required), as the API asked (RFC 9470): a browser round-trip for the same user, then the call. */
  stepUpApi: (request: RendererApiRequest) => RendererApiResponse;
  /**
   * Reads the configuration again (the welcome screen's "Check again"):
   * resolves to the session state that follows, still `config_invalid` while
   * nothing usable is configured.
   */
  recheckConfiguration: () => SessionState;
  /** Puts the authorize URL of the sign-in in progress on the clipboard (it holds no secret: PKCE keeps the verifier in main; under PAR it is a `request_uri`). `nothing_to_copy` when no flow waits. */
  copySignInLink: () => void;
  /** Puts a support report of the error on the clipboard. */
  copyErrorDetails: (details: ErrorDetailsRequest) => void;
}

export type InvokeChannel = keyof InvokeChannels;
export type InvokeArgs<K extends InvokeChannel> = Parameters<InvokeChannels[K]>;
export type InvokeValue<K extends InvokeChannel> = ReturnType<InvokeChannels[K]>;
export type InvokeResult<K extends InvokeChannel> = IpcResult<InvokeValue<K>>;

/** Channel → payload map for main's events to the renderer (`webContents.send`). */
export interface EventChannels {
  'session-changed': SessionState;
}

export type EventChannel = keyof EventChannels;

/**
 * What the preload exposes as `window.session`: exactly one method per
 * operation, plus a subscription to session changes. Never `ipcRenderer`, never
 * a generic invoke.
 */
export type SessionBridge = {
  readonly [K in InvokeChannel]: (...args: InvokeArgs<K>) => Promise<InvokeResult<K>>;
} & {
  /** Calls the listener with each new session state; returns the function that unsubscribes. */
  readonly onSessionChanged: (listener: (state: SessionState) => void) => () => void;
};

/** The name under which the preload exposes the bridge on `window`. */
export type SessionBridgeKey = 'session';
