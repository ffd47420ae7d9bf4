import type { DpopKey } from './dpop-key';
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
  /** How the access token is presented: `DPoP` (bound to `dpopKey`, RFC 9449 §7.1) or `Bearer` (RFC 6750). */
  readonly tokenType: 'Bearer' | 'DPoP';
  /** The session's DPoP key: proves possession for a DPoP access token, and for the refresh token it is bound to (§5), whatever the access token's type. */
  readonly dpopKey: DpopKey | undefined;

  constructor(init: {
    accessToken: string;
    idToken: string | undefined;
    refreshToken: string | undefined;
    user: UserClaims;
    identity?: IdentityClaims | undefined;
    expiresAt: number;
    issuedAt: number;
    tokenType?: 'Bearer' | 'DPoP';
    dpopKey?: DpopKey | undefined;
  }) {
    this.#accessToken = init.accessToken;
    this.#idToken = init.idToken;
    this.#refreshToken = init.refreshToken;
    this.user = init.user;
    this.identity = init.identity ?? undefined;
    this.expiresAt = init.expiresAt;
    this.issuedAt = init.issuedAt;
    this.tokenType = init.tokenType ?? 'Bearer';
    this.dpopKey = init.dpopKey;
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

  /** The same tokens with other display claims (from userinfo, OIDC Core §5.3): nothing else changes. */
  withUser(user: UserClaims): TokenSet {
    return new TokenSet({
      accessToken: this.#accessToken,
      idToken: this.#idToken,
      refreshToken: this.#refreshToken,
      user,
      identity: this.identity,
      expiresAt: this.expiresAt,
      issuedAt: this.issuedAt,
      tokenType: this.tokenType,
      dpopKey: this.dpopKey,
    });
  }

  /**
   * The same session after a token request for one API (RFC 6749 §6): its
   * refresh token rotated, and any ID token it carried (checked by the
   * caller, OIDC Core §12.2); the session's own access token stays.
   */
  withRotatedRefreshToken(refreshToken: string, idToken: string | undefined): TokenSet {
    return new TokenSet({
      accessToken: this.#accessToken,
      idToken: idToken ?? this.#idToken,
      refreshToken,
      user: this.user,
      identity: this.identity,
      expiresAt: this.expiresAt,
      issuedAt: this.issuedAt,
      tokenType: this.tokenType,
      dpopKey: this.dpopKey,
    });
  }

  toJSON(): { user: UserClaims; expiresAt: number } {
    return { user: this.user, expiresAt: this.expiresAt };
  }
}
