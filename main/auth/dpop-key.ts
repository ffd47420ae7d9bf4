import { webcrypto } from 'node:crypto';
import { inspect } from 'node:util';
import * as oidc from 'openid-client';
import { AuthError } from './errors';

/**
 * JWS algorithms this app signs DPoP proofs with (RFC 9449 §4.2). `Ed25519`
 * is the fully specified name (RFC 9864) of what older providers list as
 * `EdDSA`; both mean the same key type and signature.
 */
export type DpopAlgorithm = 'ES256' | 'Ed25519' | 'EdDSA';

/** The keychain form of a session's DPoP key: kept only inside the session's keychain record. */
export interface StoredDpopKey {
  readonly alg: DpopAlgorithm;
  /** The private key as a JWK (RFC 7517), public members included. */
  readonly jwk: webcrypto.JsonWebKey;
}

const SUBTLE_ALGORITHM: Readonly<Record<DpopAlgorithm, webcrypto.EcKeyImportParams | webcrypto.Algorithm>> = {
  ES256: { name: 'ECDSA', namedCurve: 'P-256' },
  Ed25519: { name: 'Ed25519' },
  EdDSA: { name: 'Ed25519' },
};

/**
 * One session's DPoP key pair (RFC 9449): made with WebCrypto when the
 * session starts, used for every proof of that session, and kept with the
 * refresh token in the keychain, because a public client's refresh token is
 * bound to it (§5).
 *
 * The signing key in memory is a non-extractable CryptoKey. The JWK form is
 * held in a private field for one purpose: rewriting the keychain record
 * when the refresh token rotates. Neither appears in `JSON.stringify`,
 * `util.inspect` or a log line.
 */
export class DpopKey {
  readonly alg: DpopAlgorithm;
  readonly #keyPair: webcrypto.CryptoKeyPair;
  readonly #jwk: webcrypto.JsonWebKey;
  #handle: oidc.DPoPHandle | undefined;
  #thumbprint: Promise<string> | undefined;

  private constructor(alg: DpopAlgorithm, keyPair: webcrypto.CryptoKeyPair, jwk: webcrypto.JsonWebKey) {
    this.alg = alg;
    this.#keyPair = keyPair;
    this.#jwk = jwk;
  }

  /** A fresh key pair for a new session (WebCrypto `generateKey`). */
  static async generate(alg: DpopAlgorithm): Promise<DpopKey> {
    // Generated extractable once, so the keychain form can be taken; the key
    // used for signing is re-imported below without that property.
    const pair = await oidc.randomDPoPKeyPair(alg, { extractable: true });
    const jwk = await webcrypto.subtle.exportKey('jwk', pair.privateKey);
    return DpopKey.#fromJwk(alg, jwk);
  }

  /**
   * The key of a session restored from the keychain.
   * @throws AuthError `session_ended` when the stored form is not a usable private key of `alg`.
   */
  static async restore(stored: unknown): Promise<DpopKey> {
    if (!isStoredDpopKey(stored)) throw unusableKey();
    try {
      return await DpopKey.#fromJwk(stored.alg, stored.jwk);
    } catch (error) {
      throw unusableKey(error);
    }
  }

  static async #fromJwk(alg: DpopAlgorithm, jwk: webcrypto.JsonWebKey): Promise<DpopKey> {
    const algorithm = SUBTLE_ALGORITHM[alg];
    const { key_ops: _ops, ext: _ext, ...keyMembers } = jwk;
    const { d: _private, ...publicMembers } = keyMembers;
    const privateKey = await webcrypto.subtle.importKey('jwk', keyMembers, algorithm, false, ['sign']);
    // openid-client embeds the public key in each proof's header, so it must stay extractable.
    const publicKey = await webcrypto.subtle.importKey('jwk', publicMembers, algorithm, true, ['verify']);
    return new DpopKey(alg, { privateKey, publicKey }, keyMembers);
  }

  /** The private key is a non-extractable CryptoKey: nothing can read its material back out of it. */
  get keyPair(): webcrypto.CryptoKeyPair {
    return this.#keyPair;
  }

  /**
   * The openid-client handle that signs this session's proofs and remembers
   * server nonces (§8, §9) per origin. One per key, so a nonce learnt on one
   * request is used by the next.
   */
  handle(configuration: oidc.Configuration): oidc.DPoPHandle {
    this.#handle ??= oidc.getDPoPHandle(configuration, this.#keyPair, this.alg === 'EdDSA' ? LEGACY_EDDSA : undefined);
    return this.#handle;
  }

  /**
   * The JWK SHA-256 thumbprint (RFC 7638) of the public key: `dpop_jkt` in
   * the authorization request (§10) and `cnf.jkt` of the tokens bound to it.
   */
  thumbprint(configuration: oidc.Configuration): Promise<string> {
    this.#thumbprint ??= this.handle(configuration).calculateThumbprint();
    return this.#thumbprint;
  }

  /** The keychain form; for the session's keychain record only. */
  toStored(): StoredDpopKey {
    return { alg: this.alg, jwk: { ...this.#jwk } };
  }

  toJSON(): { alg: DpopAlgorithm } {
    return { alg: this.alg };
  }

  [inspect.custom](): string {
    return `DpopKey { alg: '${this.alg}' }`;
  }
}

/** Providers that list only `EdDSA` expect that name in the proof header (RFC 8037), not `Ed25519`. */
const LEGACY_EDDSA: oidc.ModifyAssertionOptions = {
  [oidc.modifyAssertion]: (header) => {
    if (header.alg === 'Ed25519') header.alg = 'EdDSA';
  },
};

function isStoredDpopKey(value: unknown): value is StoredDpopKey {
  if (typeof value !== 'object' || value === null) return false;
  const { alg, jwk } = value as { alg?: unknown; jwk?: unknown };
  if (alg !== 'ES256' && alg !== 'Ed25519' && alg !== 'EdDSA') return false;
  if (typeof jwk !== 'object' || jwk === null) return false;
  const { kty, d } = jwk as { kty?: unknown; d?: unknown };
  return typeof d === 'string' && d !== '' && (alg === 'ES256' ? kty === 'EC' : kty === 'OKP');
}

function unusableKey(cause?: unknown): AuthError {
  return new AuthError('session_ended', 'The saved session\'s proof-of-possession key could not be read; please sign in again.', cause === undefined ? undefined : { cause });
}
