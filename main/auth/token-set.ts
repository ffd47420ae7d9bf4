import type { IdentityClaims } from './id-token-checks';
import type { UserClaims } from './session-state';

/**
 * The tokens of a signed-in session, held in main-process memory only.
 * Private fields: `JSON.stringify`, `util.inspect` and a stray log print
 * show none of them.
 */
export class TokenSet {
  readonly #accessToken: string;
  readonly #idToken: string | undefined;
  readonly #refreshToken: string | undefined;
  readonly user: UserClaims;
  /** The claims of the session's first ID token, for OIDC Core §12.2 (undefined for a session restored from a version 1 record). */
  readonly identity: IdentityClaims | undefined;
  /** Epoch ms. */
  readonly expiresAt: number;
  /** Epoch ms when the tokens were received: refresh timing works off the lifetime. */
  readonly issuedAt: number;

  constructor(init: { accessToken: string; idToken: string | undefined; refreshToken: string | undefined; user: UserClaims; identity?: IdentityClaims | undefined; expiresAt: number; issuedAt: number }) {
    this.#accessToken = init.accessToken;
    this.#idToken = init.idToken;
    this.#refreshToken = init.refreshToken;
    this.user = init.user;
    this.identity = init.identity ?? undefined;
    this.expiresAt = init.expiresAt;
    this.issuedAt = init.issuedAt;
  }

  get accessToken(): string {
    return this.#accessToken;
  }

  get idToken(): string | undefined {
    return this.#idToken;
  }

  get refreshToken(): string | undefined {
    return this.#refreshToken;
  }

  toJSON(): { user: UserClaims; expiresAt: number } {
    return { user: this.user, expiresAt: this.expiresAt };
  }
}
