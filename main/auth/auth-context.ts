import { createBoundedFetch, DEFAULT_HTTP_TIMEOUT_MS, DEFAULT_MAX_BODY_BYTES } from './bounded-fetch';
import { redirectModeOf, type AuthConfig, type RedirectMode } from './config';
import type { AuthError } from './errors';
import type { AuthLogger, AuthServiceOptions, SessionListener } from './ports';
import { discoverProvider, keysReady, type MetadataDeps, type ProviderMetadata } from './provider-metadata';
import { redactText } from './redact';
import type { SecretVault } from './secret-vault';
import { SIGNED_OUT, type SessionState } from './session-state';
import { createTokenRetirement, type TokenRetirement } from './token-retirement';
import type { TokenSet } from './token-set';

const SILENT_LOGGER: AuthLogger = { info() {}, warn() {}, error() {} };

/**
 * What the parts of the core (sign-in flow, session refresh, sign-out, calls
 * on the user's behalf) share: the configuration and ports, the session
 * state, the tokens in memory, and the order of keychain operations.
 */
export class AuthContext {
  readonly config: AuthConfig;
  readonly vault: SecretVault;
  readonly options: AuthServiceOptions;
  /** Epoch milliseconds. */
  readonly now: () => number;
  readonly log: AuthLogger;
  /** Every request the core makes: bounded in time and size. */
  readonly http: typeof fetch;
  readonly deps: MetadataDeps;
  readonly mode: RedirectMode;
  readonly listeners = new Set<SessionListener>();
  /** Revokes, in the background, every refresh token the app received and stops tracking. */
  readonly retirement: TokenRetirement;

  #state: SessionState = SIGNED_OUT;
  tokens: TokenSet | undefined;
  /** Bumped by every sign-in, sign-out and dispose: work started under an older generation drops its result. */
  generation = 0;
  disposed = false;
  #metadata: Promise<ProviderMetadata> | undefined;
  #discovered: ProviderMetadata | undefined;
  /** Metadata from the keychain record whose key request discovery joins (start-up refresh). */
  #keysFrom: ProviderMetadata | undefined;
  /**
   * Keychain operations on the session and the pending flow run in order: a
   * late write must never resurrect a token after sign-out, nor a spent flow
   * after its callback.
   */
  #vaultChain: Promise<unknown> = Promise.resolve();

  constructor(options: AuthServiceOptions) {
    this.options = options;
    this.config = options.config;
    this.vault = options.vault;
    this.now = options.now ?? Date.now;
    this.log = options.logger ?? SILENT_LOGGER;
    const timeoutMs = options.httpTimeoutMs ?? DEFAULT_HTTP_TIMEOUT_MS;
    this.http = createBoundedFetch(options.fetch ?? globalThis.fetch, { timeoutMs, maxBodyBytes: DEFAULT_MAX_BODY_BYTES });
    this.deps = { fetch: this.http, timeoutMs };
    this.mode = redirectModeOf(options.config);
    this.retirement = createTokenRetirement(this);
  }

  get state(): SessionState {
    return this.#state;
  }

  setState(next: SessionState): void {
    this.#state = next;
    for (const listener of this.listeners) {
      try {
        listener(next);
      } catch (error) {
        this.log.error(`session listener failed: ${redactText(String(error))}`);
      }
    }
  }

  /** The session's tokens, for removal from any text that could reach the user (protocol-errors.ts). */
  sessionSecrets(): string[] {
    const tokens = this.tokens;
    return tokens ? [tokens.accessToken, tokens.refreshToken ?? '', tokens.idToken ?? ''] : [];
  }

  /** Shows a failed sign-in to the user. */
  fail(error: AuthError): void {
    this.log.warn(`sign-in failed: ${error.code}`);
    this.setState({ status: 'error', error: { code: error.code, message: error.message } });
  }

  inVaultOrder<T>(operation: () => Promise<T>): Promise<T> {
    const run = this.#vaultChain.then(operation);
    this.#vaultChain = run.catch(() => undefined);
    return run;
  }

  /**
   * Discovery, once; a failure is not cached, so the next caller tries again.
   * @param keysFrom metadata whose key request discovery joins instead of repeating (start-up refresh).
   */
  provider(keysFrom?: ProviderMetadata): Promise<ProviderMetadata> {
    // Kept even when discovery is already under way (ready() called first): it is looked at when discovery answers.
    if (keysFrom) this.#keysFrom = keysFrom;
    this.#metadata ??= discoverProvider(this.config, this.deps, () => this.#keysFrom).then(
      (metadata) => {
        this.#discovered = metadata;
        return metadata;
      },
      (error: unknown) => {
        this.#metadata = undefined;
        throw error;
      },
    );
    return this.#metadata;
  }

  /** Discovery's result once it has arrived; undefined before. */
  get discovered(): ProviderMetadata | undefined {
    return this.#discovered;
  }

  /** Discovery and the signing keys: what must be in hand before a browser opens. */
  async providerWithKeys(): Promise<ProviderMetadata> {
    const meta = await this.provider();
    await keysReady(meta, this.deps);
    return meta;
  }
}
