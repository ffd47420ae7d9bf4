/**
 * How a protocol extension the provider may offer is used: `auto` when
 * discovery lists it, `always` (a provider without it is refused), `never`.
 */
export type FeatureSetting = 'auto' | 'always' | 'never';

export const FEATURE_SETTINGS: readonly FeatureSetting[] = Object.freeze(['auto', 'always', 'never']);

export function isFeatureSetting(value: unknown): value is FeatureSetting {
  return typeof value === 'string' && (FEATURE_SETTINGS as readonly string[]).includes(value);
}
