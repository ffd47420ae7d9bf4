/**
 * The hostile provider's DPoP side (RFC 9449): checks a proof the way a
 * strict authorization or resource server does (§4.3), and records what it
 * saw, so tests can assert on the proofs the core sent. jose does the JWS
 * work; this only applies the rules of §4.3.
 */
import { createHash } from 'node:crypto';
import { calculateJwkThumbprint, EmbeddedJWK, jwtVerify } from 'jose';

/** What one proof said, as the provider saw it (only after its signature verified). */
export interface DpopProofRecord {
  /** The endpoint path the proof came to. */
  readonly path: string;
  /** JWK SHA-256 thumbprint of the proof's key (RFC 7638). */
  readonly jkt: string;
  readonly alg: string;
  readonly htm: unknown;
  readonly htu: unknown;
  readonly ath: unknown;
  readonly nonce: unknown;
}

export type ProofCheck =
  | { readonly kind: 'absent' }
  | { readonly kind: 'valid'; readonly proof: DpopProofRecord }
  | { readonly kind: 'invalid'; readonly reason: string; readonly proof?: DpopProofRecord };

/** Proofs older or newer than this many seconds are refused (§11.1 leaves the window to the server). */
const IAT_WINDOW_SECONDS = 60;

/**
 * Checks the DPoP header of one request (§4.3): exactly one proof, typ
 * `dpop+jwt`, an asymmetric algorithm, a public key only, a valid signature,
 * `htm` and `htu` of this request, a recent `iat`, an unseen `jti`, and for a
 * resource request `ath` of the presented access token.
 */
export async function checkDpopProof(
  header: string | string[] | undefined,
  expected: { readonly path: string; readonly htm: string; readonly htu: string; readonly accessToken?: string },
  seenJti: Set<string>,
): Promise<ProofCheck> {
  if (header === undefined) return { kind: 'absent' };
  if (Array.isArray(header) || header.includes(',')) return { kind: 'invalid', reason: 'more than one DPoP header' };
  let proof: DpopProofRecord;
  let payload: Record<string, unknown>;
  try {
    const verified = await jwtVerify(header, EmbeddedJWK, { typ: 'dpop+jwt', algorithms: ['ES256', 'Ed25519', 'EdDSA', 'PS256', 'RS256'] });
    payload = verified.payload;
    const jwk = verified.protectedHeader.jwk ?? {};
    if ('d' in jwk) return { kind: 'invalid', reason: 'the proof embeds a private key' };
    proof = {
      path: expected.path,
      jkt: await calculateJwkThumbprint(jwk, 'sha256'),
      alg: verified.protectedHeader.alg,
      htm: payload['htm'],
      htu: payload['htu'],
      ath: payload['ath'],
      nonce: payload['nonce'],
    };
  } catch (error) {
    return { kind: 'invalid', reason: `signature or header: ${(error as Error).message}` };
  }
  const iat = payload['iat'];
  const jti = payload['jti'];
  if (proof.htm !== expected.htm) return { kind: 'invalid', reason: 'htm mismatch', proof };
  if (typeof proof.htu !== 'string' || stripQuery(proof.htu) !== stripQuery(expected.htu)) return { kind: 'invalid', reason: 'htu mismatch', proof };
  if (typeof iat !== 'number' || Math.abs(Date.now() / 1000 - iat) > IAT_WINDOW_SECONDS) return { kind: 'invalid', reason: 'iat not recent', proof };
  if (typeof jti !== 'string' || jti === '') return { kind: 'invalid', reason: 'no jti', proof };
  if (seenJti.has(jti)) return { kind: 'invalid', reason: 'jti replayed', proof };
  seenJti.add(jti);
  if (expected.accessToken !== undefined && proof.ath !== createHash('sha256').update(expected.accessToken).digest('base64url')) {
    return { kind: 'invalid', reason: 'ath mismatch', proof };
  }
  return { kind: 'valid', proof };
}

function stripQuery(url: string): string {
  try {
    const parsed = new URL(url);
    parsed.search = '';
    parsed.hash = '';
    return parsed.href;
  } catch {
    return url;
  }
}
