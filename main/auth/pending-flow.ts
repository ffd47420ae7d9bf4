import type { AuthConfig } from './config';

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

  constructor(init: { state: string; nonce: string; verifier: string; redirectUri: URL; issuer: string; clientId: string; createdAt: number }) {
    this.state = init.state;
    this.nonce = init.nonce;
    this.#verifier = init.verifier;
    this.redirectUri = init.redirectUri;
    this.issuer = init.issuer;
    this.clientId = init.clientId;
    this.createdAt = init.createdAt;
  }

  get verifier(): string {
    return this.#verifier;
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
      return new PendingFlow({ state, nonce, verifier, redirectUri: new URL(redirectUri), issuer, clientId, createdAt });
    } catch {
      return undefined;
    }
  }
}

/** Keychain entries are bound to issuer and client: another configuration never reads them. */
export function vaultKey(kind: 'refresh-token' | 'pending-flow', config: Pick<AuthConfig, 'issuer' | 'clientId'>): string {
  return `${kind}:${config.issuer}|${config.clientId}`;
}
