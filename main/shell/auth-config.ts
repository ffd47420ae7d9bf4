import { AuthError, isAuthError } from '../auth/errors';
import type { AuthConfig } from '../auth/config';
import type { ShellLogger } from './logger';

/** The app's redirect URI in custom-scheme mode (RFC 8252 §7.1). */
export const DEFAULT_REDIRECT_URI = 'com.example.desktop:/callback';

/** The part of the development provider the shell uses (main/dev-provider/dev-provider.ts). */
export interface DevProviderHandle {
  readonly issuer: string;
  readonly clientId: string;
  close(): unknown;
}

export type ShellAuthSetup =
  | {
      readonly kind: 'configured';
      readonly config: AuthConfig;
      /** Set when no configuration was found and the embedded development provider was started. */
      readonly devProvider?: DevProviderHandle;
    }
  | { readonly kind: 'invalid'; readonly error: AuthError };

export interface ResolveAuthConfigDeps {
  /** `<userData>/oidc-config.json` */
  readonly configFile: string;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly loadConfig: (options: { readonly file?: string; readonly env?: Readonly<Record<string, string | undefined>> }) => Promise<AuthConfig | undefined>;
  readonly startDevProvider: () => Promise<DevProviderHandle>;
  readonly logger: ShellLogger;
}

/**
 * Decides what the app signs in against: the configuration file and
 * environment when they name a provider; otherwise the embedded development
 * provider. A configuration error becomes a `config_invalid` result the UI
 * shows as an error screen, never a crash.
 */
export async function resolveAuthConfig(deps: ResolveAuthConfigDeps): Promise<ShellAuthSetup> {
  const { logger } = deps;
  let config: AuthConfig | undefined;
  try {
    config = await deps.loadConfig({ file: deps.configFile, env: deps.env });
  } catch (error) {
    const authError = isAuthError(error)
      ? error
      : new AuthError('config_invalid', `The sign-in configuration could not be loaded from ${deps.configFile}.`, { cause: error });
    logger.error(`configuration: ${authError.message}`);
    return { kind: 'invalid', error: authError };
  }
  if (config !== undefined) {
    logger.info(`signing in with ${new URL(config.issuer).host} (redirect ${config.redirectUri})`);
    return { kind: 'configured', config };
  }

  let devProvider: DevProviderHandle;
  try {
    devProvider = await deps.startDevProvider();
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error);
    logger.error(`no configuration, and the development provider could not start: ${detail}`);
    return {
      kind: 'invalid',
      error: new AuthError(
        'config_invalid',
        `No sign-in provider is configured, and the built-in development provider could not start (${detail}). ` +
          `Create ${deps.configFile} with "issuer", "clientId" and "redirectUri", or set OIDC_ISSUER, OIDC_CLIENT_ID and OIDC_REDIRECT_URI.`,
        { cause: error },
      ),
    };
  }

  try {
    const devConfig = await deps.loadConfig({ env: developmentEnv(devProvider, deps.env) });
    if (devConfig === undefined) throw new AuthError('config_invalid', 'The development provider configuration is empty.');
    logger.info(`no configuration found: using the development provider at ${devProvider.issuer} (redirect ${devConfig.redirectUri})`);
    return { kind: 'configured', config: devConfig, devProvider };
  } catch (error) {
    await Promise.resolve(devProvider.close()).catch(() => undefined);
    const authError = isAuthError(error) ? error : new AuthError('config_invalid', 'The development configuration is invalid.', { cause: error });
    logger.error(`development configuration: ${authError.message}`);
    return { kind: 'invalid', error: authError };
  }
}

/**
 * The environment for the development provider: its issuer and client id,
 * the custom-scheme redirect unless OIDC_REDIRECT_URI asks for loopback, and
 * the user's other OIDC_* settings (scopes, API base URLs) as they are.
 */
export function developmentEnv(
  devProvider: Pick<DevProviderHandle, 'issuer' | 'clientId'>,
  env: Readonly<Record<string, string | undefined>>,
): Record<string, string | undefined> {
  const redirect = env['OIDC_REDIRECT_URI'];
  return {
    ...Object.fromEntries(Object.entries(env).filter(([name]) => name.startsWith('OIDC_'))),
    OIDC_ISSUER: devProvider.issuer,
    OIDC_CLIENT_ID: devProvider.clientId,
    OIDC_REDIRECT_URI: redirect === undefined || redirect === '' ? DEFAULT_REDIRECT_URI : redirect,
  };
}
