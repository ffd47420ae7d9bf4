/**
 * Micro-benchmarks for what DPoP (RFC 9449) adds to the core's work, to
 * explain the per-mode own-work rows: the ES256 signature in every proof
 * (§4.2), a whole proof as openid-client builds it for the core, the key
 * pair made at "Sign in", and the import of the key kept in the keychain at
 * a restore. The key is the core's own (main/auth/dpop-key.ts): a
 * non-extractable signing key, as the core signs with.
 */
import { randomBytes, webcrypto } from 'node:crypto';
import * as oidc from 'openid-client';
import { DpopKey } from '../main/auth/dpop-key';

export interface DpopCost {
  /** One ECDSA P-256 / SHA-256 signature over a proof-sized JWS signing input. */
  readonly signMs: number[];
  /** The first proof of a key: also exports the public key for the proof header (then cached per key). */
  readonly firstProofMs: number[];
  /** Every later proof of that key: payload, one signature, JWS serialisation. */
  readonly laterProofMs: number[];
  /** DpopKey.generate('ES256'): key pair, JWK export, re-import non-extractable (at "Sign in"). */
  readonly generateMs: number[];
  /** DpopKey.restore(): the keychain's JWK imported back (at a silent restore). */
  readonly restoreMs: number[];
}

/**
 * openid-client's DPoP handle signs proofs with `addProof`, which its types
 * do not export (the core reaches it through the grant and resource calls);
 * it is called here directly, so the proof timed is the one the core sends.
 */
interface ProofSigner {
  addProof(url: URL, headers: Headers, htm: string, accessToken?: string): Promise<void>;
}

function proofSigner(handle: oidc.DPoPHandle): ProofSigner {
  const signer = handle as unknown as Partial<ProofSigner>;
  if (typeof signer.addProof !== 'function') throw new Error('dpop-cost: openid-client\'s DPoP handle has no addProof any more; measure the proof another way');
  return signer as ProofSigner;
}

export async function measureDpopCost(runs: number, warmup: number): Promise<DpopCost> {
  const configuration = new oidc.Configuration({ issuer: 'http://127.0.0.1:9', token_endpoint: 'http://127.0.0.1:9/token' }, 'bench-client');
  const tokenEndpoint = new URL('http://127.0.0.1:9/token');
  const key = await DpopKey.generate('ES256');
  const stored = key.toStored();
  // header {typ, alg, jwk} and payload {iat, jti, htm, htu}, base64url-encoded: the size of a real proof's signing input.
  const header = Buffer.from(JSON.stringify({ typ: 'dpop+jwt', alg: 'ES256', jwk: { kty: 'EC', crv: 'P-256', x: 'x'.repeat(43), y: 'y'.repeat(43) } })).toString('base64url');
  const payload = Buffer.from(JSON.stringify({ iat: 1_800_000_000, jti: randomBytes(32).toString('base64url'), htm: 'POST', htu: tokenEndpoint.href })).toString('base64url');
  const signingInput = new TextEncoder().encode(`${header}.${payload}`);
  const result: { [K in keyof DpopCost]: number[] } = { signMs: [], firstProofMs: [], laterProofMs: [], generateMs: [], restoreMs: [] };
  for (let i = 0; i < warmup + runs; i += 1) {
    const a = performance.now();
    await webcrypto.subtle.sign({ name: 'ECDSA', hash: 'SHA-256' }, key.keyPair.privateKey, signingInput);
    const b = performance.now();
    const fresh = await DpopKey.generate('ES256');
    const c = performance.now();
    await DpopKey.restore(stored);
    const d = performance.now();
    const signer = proofSigner(fresh.handle(configuration));
    const e = performance.now();
    await signer.addProof(tokenEndpoint, new Headers(), 'POST');
    const f = performance.now();
    await signer.addProof(tokenEndpoint, new Headers(), 'POST');
    const g = performance.now();
    if (i < warmup) continue;
    result.signMs.push(b - a);
    result.generateMs.push(c - b);
    result.restoreMs.push(d - c);
    result.firstProofMs.push(f - e);
    result.laterProofMs.push(g - f);
  }
  return result;
}
