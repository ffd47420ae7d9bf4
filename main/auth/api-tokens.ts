import type { DpopKey } from './dpop-key';
import { REFRESH_MARGIN_MS } from './refresh-schedule';

/**
 * An access token for one configured API, in main-process memory only
 * (never in the keychain: it is obtained again from the refresh token).
 * The token is a private field: no print of the object shows it.
 */
export class ApiToken {
  readonly #accessToken: string;
  /** The API's configured name: the only API this token is ever sent to. */
  readonly api: string;
  readonly tokenType: 'Bearer' | 'DPoP';
  /** The key a DPoP token is bound to. */
  readonly dpopKey: DpopKey | undefined;
  /** Epoch ms. */
  readonly issuedAt: number;
  /** Epoch ms. */
  readonly expiresAt: number;

  constructor(init: { api: string; accessToken: string; tokenType: 'Bearer' | 'DPoP'; dpopKey: DpopKey | undefined; issuedAt: number; expiresAt: number }) {
    this.#accessToken = init.accessToken;
    this.api = init.api;
    this.tokenType = init.tokenType;
    this.dpopKey = init.dpopKey;
    this.issuedAt = init.issuedAt;
    this.expiresAt = init.expiresAt;
  }

  get accessToken(): string {
    return this.#accessToken;
  }

  /** Reused until this close to expiry: at most {@link REFRESH_MARGIN_MS} before, or 20 % of a short lifetime. */
  usableAt(nowMs: number): boolean {
    const margin = Math.min(REFRESH_MARGIN_MS, (this.expiresAt - this.issuedAt) * 0.2);
    return nowMs < this.expiresAt - margin;
  }

  toJSON(): { api: string; expiresAt: number } {
    return { api: this.api, expiresAt: this.expiresAt };
  }
}

/**
 * The access tokens of the configured APIs: one per API, reused until
 * shortly before it expires, and one request at a time per API (concurrent
 * first calls share it). Cleared when the session ends or changes hands.
 */
export class ApiTokenCache {
  readonly #tokens = new Map<string, ApiToken>();
  readonly #pending = new Map<string, Promise<ApiToken>>();
  /** Bumped by clear(): a request started before it does not fill the cache. */
  #epoch = 0;

  /**
   * The API's token: the cached one while usable, else the one `obtain`
   * brings (shared by every caller while it is under way).
   * @param nowMs epoch ms.
   */
  get(api: string, nowMs: number, obtain: () => Promise<ApiToken>): Promise<ApiToken> {
    const cached = this.#tokens.get(api);
    if (cached?.usableAt(nowMs)) return Promise.resolve(cached);
    const pending = this.#pending.get(api);
    if (pending) return pending;
    const epoch = this.#epoch;
    const request = obtain().then(
      (token) => {
        // Not when a step-up's token was put in its place meanwhile (put() ends the pending request), nor after clear().
        const stillPending = this.#pending.get(api) === request;
        if (stillPending) this.#pending.delete(api);
        if (stillPending && epoch === this.#epoch) this.#tokens.set(api, token);
        return token;
      },
      (error: unknown) => {
        if (this.#pending.get(api) === request) this.#pending.delete(api);
        throw error;
      },
    );
    this.#pending.set(api, request);
    return request;
  }

  /** The cached token, if any, usable or not. */
  peek(api: string): ApiToken | undefined {
    return this.#tokens.get(api);
  }

  /** Puts `token` in place (a step-up's token for the API that asked). */
  put(token: ApiToken): void {
    this.#pending.delete(token.api);
    this.#tokens.set(token.api, token);
  }

  /** Drops `token` if it is still the API's (an API refused it). */
  drop(token: ApiToken): void {
    if (this.#tokens.get(token.api) === token) this.#tokens.delete(token.api);
  }

  clear(): void {
    this.#epoch += 1;
    this.#tokens.clear();
    this.#pending.clear();
  }
}
