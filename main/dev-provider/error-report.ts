/**
 * How the development provider reports the errors its HTTP responses leave out.
 */
import type { OIDCProviderError } from 'oidc-provider';

/** One line for an error, with oidc-provider's `error_detail` when it has one. */
export function describeError(error: unknown): string {
  if (error instanceof Error) {
    const oidc = error as OIDCProviderError;
    const head = oidc.error ? `${oidc.error}: ${oidc.error_description ?? oidc.message}` : `${error.name}: ${error.message}`;
    return oidc.error_detail ? `${head} (${oidc.error_detail})` : head;
  }
  return String(error);
}

/** Default error sink: stderr, only when env `DEV_PROVIDER_DEBUG` is set. */
export function defaultErrorSink(message: string): void {
  if (process.env['DEV_PROVIDER_DEBUG']) {
    process.stderr.write(`[dev-provider] ${message}\n`);
  }
}
