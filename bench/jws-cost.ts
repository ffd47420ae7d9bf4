/**
 * What checking an ID token's RS256 signature costs on this machine, the way
 * oauth4webapi (under openid-client) does it with WebCrypto: importKey of the
 * JWK, then verify. openid-client caches the imported key per JWK object, but
 * the core hands every operation a structuredClone'd JWKS (setJwksCache), so
 * each token pays the import as well. Both are measured, on a real ID token.
 */
import { webcrypto } from 'node:crypto';

export interface JwsCost {
  /** importKey('jwk') + verify, per token. */
  readonly importAndVerifyMs: number[];
  /** verify with an already imported key. */
  readonly verifyOnlyMs: number[];
}

export async function measureJwsCost(idToken: string, jwksUri: string, runs: number): Promise<JwsCost> {
  const response = await fetch(jwksUri);
  const jwks = (await response.json()) as { keys: Array<Record<string, unknown>> };
  const [headerPart = '', payloadPart = '', signaturePart = ''] = idToken.split('.');
  const header = JSON.parse(Buffer.from(headerPart, 'base64url').toString('utf8')) as { kid?: string; alg?: string };
  if (header.alg !== 'RS256') throw new Error(`jws-cost: expected RS256, the ID token uses ${String(header.alg)}`);
  const jwk = jwks.keys.find((k) => k['kid'] === header.kid) ?? jwks.keys[0];
  if (!jwk) throw new Error('jws-cost: the JWKS has no key');
  const data = Buffer.from(`${headerPart}.${payloadPart}`, 'ascii');
  const signature = Buffer.from(signaturePart, 'base64url');
  const algorithm = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' } as const;
  const { subtle } = webcrypto;

  const importAndVerifyMs: number[] = [];
  const verifyOnlyMs: number[] = [];
  const cached = await subtle.importKey('jwk', structuredClone(jwk), algorithm, true, ['verify']);
  for (let i = 0; i < runs + 20; i += 1) {
    const a = performance.now();
    const key = await subtle.importKey('jwk', structuredClone(jwk), algorithm, true, ['verify']);
    const okA = await subtle.verify(algorithm, key, signature, data);
    const b = performance.now();
    const okB = await subtle.verify(algorithm, cached, signature, data);
    const c = performance.now();
    if (!okA || !okB) throw new Error('jws-cost: the ID token signature did not verify');
    if (i >= 20) {
      importAndVerifyMs.push(b - a);
      verifyOnlyMs.push(c - b);
    }
  }
  return { importAndVerifyMs, verifyOnlyMs };
}
