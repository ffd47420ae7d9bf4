import type { AuthConfig } from './config';
import { DpopKey, type StoredDpopKey } from './dpop-key';

/** RFC 8252 leaves it to the app; 10 minutes covers a slow login with MFA and no more. */
export const FLOW_LIFETIME_MS = 10 * 60 * 1000;

/**
 * One authorization request waiting for its callback. The verifier lives in
 * a private field: it is never enumerable, never serialized by accident, and
 * only `persist()` (for the keychain, so a cold start can finish the flow)
 * writes it out on purpose.
 */
export class PendingFlow {
  readonly state: string;
  readonly nonce: string;
  /** The exact redirect URI sent in the authorize request (loopback: with its port). */
  readonly redirectUri: URL;
  readonly issuer: string;
  readonly clientId: string;
  readonly createdAt: number;
  readonly #verifier: string;
  /** The key the code is bound to (RFC 9449 §10), in this process; a flow read back from the keychain has only its stored form. */
  #dpopKey: DpopKey | undefined;
  readonly #storedDpop: StoredDpopKey | undefined;

  constructor(init: { state: string; nonce: string; verifier: string; redirectUri: URL; issuer: string; clientId: string; createdAt: number; dpopKey?: DpopKey | undefined; storedDpop?: StoredDpopKey | undefined }) {
    this.state = init.state;
    this.nonce = init.nonce;
    this.#verifier = init.verifier;
    this.redirectUri = init.redirectUri;
    this.issuer = init.issuer;
    this.clientId = init.clientId;
    this.createdAt = init.createdAt;
    this.#dpopKey = init.dpopKey;
    this.#storedDpop = init.dpopKey?.toStored() ?? init.storedDpop;
  }

  get verifier(): string {
    return this.#verifier;
  }

  /**
   * The DPoP key the code is bound to, undefined for a flow without DPoP.
   * @throws AuthError `session_ended` when a kept flow's key cannot be read back.
   */
  async dpopKey(): Promise<DpopKey | undefined> {
    if (this.#dpopKey || !this.#storedDpop) return this.#dpopKey;
    this.#dpopKey = await DpopKey.restore(this.#storedDpop);
    return this.#dpopKey;
  }

  isExpired(now: number): boolean {
    return now - this.createdAt >= FLOW_LIFETIME_MS || now < this.createdAt - 60_000;
  }

  /** For the keychain only. */
  persist(): string {
    return JSON.stringify({
      v: 1,
      state: this.state,
      nonce: this.nonce,
      verifier: this.#verifier,
      redirectUri: this.redirectUri.href,
      issuer: this.issuer,
      clientId: this.clientId,
      createdAt: this.createdAt,
      ...(this.#storedDpop ? { dpop: this.#storedDpop } : {}),
    });
  }

  /** Reads back what `persist()` wrote; undefined for anything else, another provider's flow included. */
  static restore(text: string | null, config: AuthConfig): PendingFlow | undefined {
    if (text === null) return undefined;
    let data: Record<string, unknown>;
    try {
      data = JSON.parse(text) as Record<string, unknown>;
    } catch {
      return undefined;
    }
    const { state, nonce, verifier, redirectUri, issuer, clientId, createdAt } = data;
    if (
      data['v'] !== 1 ||
      typeof state !== 'string' ||
      typeof nonce !== 'string' ||
      typeof verifier !== 'string' ||
      typeof redirectUri !== 'string' ||
      typeof createdAt !== 'number' ||
      issuer !== config.issuer ||
      clientId !== config.clientId
    ) {
      return undefined;
    }
    try {
      const dpop = data['dpop'];
      const storedDpop = typeof dpop === 'object' && dpop !== null ? (dpop as StoredDpopKey) : undefined;
      return new PendingFlow({ state, nonce, verifier, redirectUri: new URL(redirectUri), issuer, clientId, createdAt, storedDpop });
    } catch {
      return undefined;
    }
  }
}

/** Keychain entries are bound to issuer and client: another configuration never reads them. */
export function vaultKey(kind: 'refresh-token' | 'pending-flow', config: Pick<AuthConfig, 'issuer' | 'clientId'>): string {
  return `${kind}:${config.issuer}|${config.clientId}`;
}
