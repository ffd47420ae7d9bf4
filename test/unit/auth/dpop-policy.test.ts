import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decideDpop } from '../../../main/auth/dpop-policy';
import { isFeatureSetting } from '../../../main/auth/feature-setting';

const ISSUER = 'https://as.example.test';
const server = (algs?: unknown) => ({ issuer: ISSUER, ...(algs === undefined ? {} : { dpop_signing_alg_values_supported: algs as string[] }) });

describe('DPoP decision from discovery (RFC 9449 §5.1)', () => {
  it('auto: DPoP with ES256 when the provider lists it, whatever else it lists', () => {
    assert.deepEqual(decideDpop('auto', server(['ES256', 'Ed25519', 'EdDSA'])), { use: true, alg: 'ES256' });
    assert.deepEqual(decideDpop('auto', server(['PS256', 'ES256'])), { use: true, alg: 'ES256' });
  });

  it('auto: EdDSA where the provider lists it and not ES256, under the name it lists', () => {
    assert.deepEqual(decideDpop('auto', server(['Ed25519'])), { use: true, alg: 'Ed25519' });
    assert.deepEqual(decideDpop('auto', server(['EdDSA'])), { use: true, alg: 'EdDSA' });
    assert.deepEqual(decideDpop('auto', server(['EdDSA', 'Ed25519', 'RS256'])), { use: true, alg: 'Ed25519' });
  });

  it('auto: bearer tokens when the provider does not offer DPoP or lists only algorithms we do not sign with', () => {
    for (const algs of [undefined, [], ['RS256', 'PS256'], 'ES256', [256], null]) {
      assert.deepEqual(decideDpop('auto', server(algs)), { use: false }, JSON.stringify(algs));
    }
  });

  it('never: bearer tokens even when the provider offers DPoP', () => {
    assert.deepEqual(decideDpop('never', server(['ES256'])), { use: false });
  });

  it('always: DPoP, or provider_unsupported naming the setting to change', () => {
    assert.deepEqual(decideDpop('always', server(['ES256'])), { use: true, alg: 'ES256' });
    for (const algs of [undefined, ['RS256']]) {
      assert.throws(
        () => decideDpop('always', server(algs)),
        (error: { code?: string; message?: string }) => error.code === 'provider_unsupported' && /dpop/i.test(error.message ?? '') && /"auto"/.test(error.message ?? '') && (error.message ?? '').includes(ISSUER),
      );
    }
  });

  it('knows the three settings and nothing else', () => {
    for (const value of ['auto', 'always', 'never']) assert.equal(isFeatureSetting(value), true);
    for (const value of ['Auto', 'on', '', undefined, true, 1]) assert.equal(isFeatureSetting(value), false, String(value));
  });
});
