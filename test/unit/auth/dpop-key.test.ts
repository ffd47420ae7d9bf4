import assert from 'node:assert/strict';
import { createHash, webcrypto } from 'node:crypto';
import { inspect } from 'node:util';
import { describe, it } from 'node:test';
import { calculateJwkThumbprint, decodeProtectedHeader, EmbeddedJWK, jwtVerify } from 'jose';
import * as oidc from 'openid-client';
import { DpopKey, type DpopAlgorithm } from '../../../main/auth/dpop-key';
import { assertSecretEqual } from '../../support/secret-assert';

const ISSUER = 'https://as.example.test';
const RESOURCE = new URL('https://api.example.test/items?page=2');

/** A configuration whose every request is answered here, with the request kept: unit tests stay off the network. */
function capturingConfiguration(): { configuration: oidc.Configuration; requests: { url: string; headers: Headers }[] } {
  const configuration = new oidc.Configuration({ issuer: ISSUER, token_endpoint: `${ISSUER}/token` }, 'client-1', undefined, oidc.None());
  const requests: { url: string; headers: Headers }[] = [];
  configuration[oidc.customFetch] = async (url, options) => {
    requests.push({ url, headers: new Headers(options.headers) });
    return Response.json({ ok: true });
  };
  return { configuration, requests };
}

/** Signs one resource request's proof through openid-client and returns the proof. */
async function proofFor(key: DpopKey, accessToken: string): Promise<string> {
  const { configuration, requests } = capturingConfiguration();
  await oidc.fetchProtectedResource(configuration, accessToken, RESOURCE, 'GET', undefined, undefined, { DPoP: key.handle(configuration) });
  const request = requests[0];
  assert.ok(request, 'the request was sent');
  assert.equal(request.headers.get('authorization')?.split(' ')[0], 'DPoP', 'the token is sent under the DPoP scheme (RFC 9449 §7.1)');
  const proof = request.headers.get('dpop');
  assert.ok(proof, 'the request carries a DPoP proof');
  return proof;
}

describe('DPoP key (RFC 9449)', () => {
  for (const alg of ['ES256', 'Ed25519', 'EdDSA'] as const satisfies readonly DpopAlgorithm[]) {
    it(`${alg}: proofs verify with the embedded key, carry htm, htu and ath, and the thumbprint is the key's (RFC 7638)`, async () => {
      const key = await DpopKey.generate(alg);
      const accessToken = 'access-token-for-unit-test';
      const proof = await proofFor(key, accessToken);
      const { payload, protectedHeader } = await jwtVerify(proof, EmbeddedJWK, { typ: 'dpop+jwt' });
      assert.equal(protectedHeader.alg, alg, 'the header names the algorithm the provider listed');
      assert.equal(protectedHeader.jwk !== undefined && 'd' in protectedHeader.jwk, false, 'only the public key is embedded');
      assert.equal(payload['htm'], 'GET');
      assert.equal(payload['htu'], 'https://api.example.test/items', 'htu without query (§4.2)');
      assert.equal(payload['ath'], createHash('sha256').update(accessToken).digest('base64url'), 'ath is the access token hash (§4.2)');
      assert.ok(typeof payload['jti'] === 'string' && payload['jti'].length >= 16, 'a unique jti');
      const { configuration } = capturingConfiguration();
      assert.equal(await key.thumbprint(configuration), await calculateJwkThumbprint(protectedHeader.jwk ?? {}, 'sha256'));
    });
  }

  it('keeps the signing key non-extractable in memory', async () => {
    const key = await DpopKey.generate('ES256');
    assert.equal(key.keyPair.privateKey.extractable, false);
    await assert.rejects(webcrypto.subtle.exportKey('jwk', key.keyPair.privateKey));
  });

  it('round-trips through its keychain form: the restored key signs proofs with the same thumbprint', async () => {
    const key = await DpopKey.generate('ES256');
    const stored = JSON.parse(JSON.stringify(key.toStored())) as unknown;
    const restored = await DpopKey.restore(stored);
    const { configuration } = capturingConfiguration();
    assertSecretEqual(await restored.thumbprint(configuration), await key.thumbprint(capturingConfiguration().configuration), 'same public key');
    const proof = await proofFor(restored, 'another-token');
    const header = decodeProtectedHeader(proof);
    assert.equal(await calculateJwkThumbprint(header.jwk ?? {}, 'sha256'), await key.thumbprint(configuration));
    assert.equal(restored.keyPair.privateKey.extractable, false, 'restored as non-extractable too');
  });

  it('shows no key material in JSON, util.inspect or string conversion', async () => {
    const key = await DpopKey.generate('ES256');
    const d = key.toStored().jwk.d;
    assert.ok(typeof d === 'string' && d.length > 20, 'positive control: the keychain form has the private part');
    for (const text of [JSON.stringify(key), inspect(key, { depth: 5, showHidden: true }), String(key), JSON.stringify({ nested: key })]) {
      assert.ok(!text.includes(d), 'the private key is not in the printed form');
    }
    assert.deepEqual(JSON.parse(JSON.stringify(key)), { alg: 'ES256' });
  });

  it('refuses keychain forms that are not a usable private key, with session_ended', async () => {
    const good = (await DpopKey.generate('ES256')).toStored();
    const ed = (await DpopKey.generate('Ed25519')).toStored();
    const { d: _d, ...publicOnly } = good.jwk;
    const cases: unknown[] = [
      undefined,
      null,
      'ES256',
      { alg: 'RS256', jwk: good.jwk },
      { alg: 'ES256' },
      { alg: 'ES256', jwk: publicOnly },
      { alg: 'ES256', jwk: ed.jwk },
      { alg: 'Ed25519', jwk: good.jwk },
      { alg: 'ES256', jwk: { ...good.jwk, d: 'AAAA' } },
      { alg: 'ES256', jwk: { ...good.jwk, crv: 'P-384' } },
    ];
    for (const stored of cases) {
      await assert.rejects(DpopKey.restore(stored), (error: { code?: string }) => error.code === 'session_ended', `refused: ${JSON.stringify(stored === undefined ? 'undefined' : Object.keys(Object(stored)))}`);
    }
  });

  it('makes a different key for every session', async () => {
    const { configuration } = capturingConfiguration();
    const thumbprints = new Set(await Promise.all(Array.from({ length: 5 }, async () => (await DpopKey.generate('ES256')).thumbprint(configuration))));
    assert.equal(thumbprints.size, 5);
  });
});
