import type * as oidc from 'openid-client';
import type { DpopAlgorithm } from './dpop-key';
import { AuthError } from './errors';
import type { FeatureSetting } from './feature-setting';

/**
 * The algorithms this app signs DPoP proofs with, in order of preference.
 * ES256 first: it is the one every DPoP implementation (authorization and
 * resource servers alike) accepts, and WebCrypto has it on every platform
 * Electron runs on. Ed25519 (or its older name EdDSA) is used where the
 * provider lists it and not ES256.
 */
export const DPOP_ALGORITHMS: readonly DpopAlgorithm[] = Object.freeze(['ES256', 'Ed25519', 'EdDSA']);

export type DpopDecision = { readonly use: false } | { readonly use: true; readonly alg: DpopAlgorithm };

/**
 * Whether the session's tokens are sender-constrained with DPoP (RFC 9449),
 * decided once from the discovery document: the provider supports DPoP when
 * it lists `dpop_signing_alg_values_supported` (§5.1); we use it when that
 * list holds an algorithm of {@link DPOP_ALGORITHMS}.
 *
 * - `auto`: DPoP when supported, bearer tokens otherwise.
 * - `always`: DPoP, or `provider_unsupported` when the provider does not offer it.
 * - `never`: bearer tokens.
 *
 * @throws AuthError `provider_unsupported` for `always` with a provider that lists no usable algorithm.
 */
export function decideDpop(setting: FeatureSetting, server: Pick<oidc.ServerMetadata, 'issuer' | 'dpop_signing_alg_values_supported'>): DpopDecision {
  if (setting === 'never') return { use: false };
  const listed = Array.isArray(server.dpop_signing_alg_values_supported) ? server.dpop_signing_alg_values_supported : [];
  const alg = DPOP_ALGORITHMS.find((candidate) => listed.includes(candidate));
  if (alg) return { use: true, alg };
  if (setting === 'always') {
    const what = listed.length === 0 ? 'does not offer DPoP (no dpop_signing_alg_values_supported in its discovery document)' : `offers DPoP only with ${listed.join(', ')}, none of which this app signs with (${DPOP_ALGORITHMS.join(', ')})`;
    throw new AuthError('provider_unsupported', `The provider at ${server.issuer} ${what}. The configuration asks for DPoP always; set dpop to "auto" to use bearer tokens with this provider.`);
  }
  return { use: false };
}
