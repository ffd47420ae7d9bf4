import path from 'node:path';
import { APP_IDENTITY, type AppIdentity } from '../app-identity';
import { AuthError, isAuthError } from '../auth/errors';
import type { AuthConfig, loadConfig } from '../auth/config';
import type { ShellLogger } from './logger';

/** The app's redirect URI in custom-scheme mode (RFC 8252 §7.1): `<urlScheme>:/callback` from app-identity.json. */
export const DEFAULT_REDIRECT_URI = APP_IDENTITY.defaultRedirectUri;

/** The loopback redirect (RFC 8252 §7.3): the port is chosen per flow. */
export const LOOPBACK_REDIRECT_URI = 'http://127.0.0.1/callback';

/** What decides whether a custom-scheme redirect can reach this run of the app. */
export interface RedirectTarget {
  /** The identity's scheme and default redirect: the only scheme the app registers and routes. */
  readonly identity: Pick<AppIdentity, 'urlScheme' | 'defaultRedirectUri'>;
  /** `process.platform` */
  readonly platform: NodeJS.Platform;
  /** `app.isPackaged`: macOS registers URL schemes only from a packaged app's Info.plist. */
  readonly isPackaged: boolean;
}

/** The part of the development provider the shell uses (main/dev-provider/dev-provider.ts). */
export interface DevProviderHandle {
  readonly issuer: string;
  readonly clientId: string;
  close(): unknown;
}

/** The configuration file's name, in Electron's userData folder. */
export const CONFIG_FILE_NAME = 'oidc-config.json';

export type ShellAuthSetup =
  | {
      readonly kind: 'configured';
      readonly config: AuthConfig;
      /** Set when no configuration was found and the embedded development provider was started. */
      readonly devProvider?: DevProviderHandle;
    }
  | { readonly kind: 'invalid'; readonly error: AuthError };

export interface ResolveAuthConfigDeps {
  /** `<userData>/oidc-config.json`, as `app.getPath('userData')` gives it on this machine. */
  readonly configFile: string;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly loadConfig: typeof loadConfig;
  /**
   * Starts the embedded development provider. Present only in a development
   * run (the development build, not packaged); without it, "nothing
   * configured" is the configuration screen.
   */
  readonly startDevProvider?: () => Promise<DevProviderHandle>;
  /** This run's identity and platform: which redirect URIs can come back to it. */
  readonly redirectTarget: RedirectTarget;
  readonly logger: ShellLogger;
}

/**
 * Decides what the app signs in against: the configuration file and
 * environment when they configure anything. Only when nothing at all is
 * configured and `startDevProvider` is given (a development run) does the
 * embedded development provider stand in; `OIDC_REDIRECT_URI` alone then
 * chooses its redirect mode.
 *
 * Never throws: a missing configuration (in a packaged or production run), a
 * partial one (e.g. only `OIDC_API_BASE_URLS`, or an issuer without a client
 * id: the message names each missing field) and an invalid one all become a
 * `config_invalid` result, whose message says which file to create or fix
 * and where it is. The UI shows it as the configuration screen. A partial
 * configuration never falls back to the development provider, whose tokens
 * would otherwise go to the configured API.
 */
export async function resolveAuthConfig(deps: ResolveAuthConfigDeps): Promise<ShellAuthSetup> {
  const { logger } = deps;
  let config: AuthConfig | undefined;
  try {
    config = await deps.loadConfig({
      file: deps.configFile,
      env: deps.env,
      // In a development run these choose how the app talks to the development provider; alone they name no provider.
      ...(deps.startDevProvider === undefined ? {} : { ignoredWhenAlone: ['redirectUri', 'par', 'dpop'] as const }),
    });
  } catch (error) {
    const message = isAuthError(error) ? error.message : `The sign-in configuration could not be loaded from ${deps.configFile}.`;
    logger.error(`configuration: ${message}`);
    return { kind: 'invalid', error: new AuthError('config_invalid', `${message}\n\n${configFileHelp(deps.configFile)}`, { cause: error }) };
  }
  if (config !== undefined) {
    const unreachable = redirectUriProblem(config.redirectUri, deps.redirectTarget);
    if (unreachable !== undefined) {
      logger.error(`configuration: ${unreachable}`);
      return { kind: 'invalid', error: new AuthError('config_invalid', `${unreachable}\n\n${configFileHelp(deps.configFile)}`) };
    }
    logger.info(`signing in with ${new URL(config.issuer).host} (redirect ${config.redirectUri})`);
    return { kind: 'configured', config };
  }

  if (deps.startDevProvider === undefined) {
    logger.info(`no sign-in provider is configured yet: ${deps.configFile} does not exist and no OIDC_* variable is set`);
    return { kind: 'invalid', error: new AuthError('config_missing', notConfiguredMessage(deps.configFile, deps.redirectTarget.identity.defaultRedirectUri)) };
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
        `The built-in development provider could not start (${detail}).\n\n${notConfiguredMessage(deps.configFile)}`,
        { cause: error },
      ),
    };
  }

  try {
    const devConfig = await deps.loadConfig({ env: developmentEnv(devProvider, deps.env, deps.redirectTarget) });
    if (devConfig === undefined) throw new AuthError('config_invalid', 'The development provider configuration is empty.');
    const unreachable = redirectUriProblem(devConfig.redirectUri, deps.redirectTarget);
    if (unreachable !== undefined) throw new AuthError('config_invalid', unreachable);
    logger.info(`development run, nothing configured: using the development provider at ${devProvider.issuer} (redirect ${devConfig.redirectUri})`);
    return { kind: 'configured', config: devConfig, devProvider };
  } catch (error) {
    await Promise.resolve(devProvider.close()).catch(() => undefined);
    const authError = isAuthError(error) ? error : new AuthError('config_invalid', 'The development configuration is invalid.', { cause: error });
    logger.error(`development configuration: ${authError.message}`);
    return { kind: 'invalid', error: authError };
  }
}

/**
 * The configuration screen's text when nothing is configured: the file to
 * create (this machine's real path) with an example, and where the file is
 * on each OS (Electron's userData folder: appData + the app's name).
 */
export function notConfiguredMessage(configFile: string, redirectUri: string = DEFAULT_REDIRECT_URI): string {
  return [
    `Create the file ${configFile} with your provider's settings, for example:`,
    JSON.stringify({ issuer: 'https://login.example.com', clientId: 'your-client-id', redirectUri }, null, 2),
    'then choose "Check again". The environment variables OIDC_ISSUER, OIDC_CLIENT_ID and OIDC_REDIRECT_URI can be used instead (restart the app after setting them).',
    '',
    configFileHelp(configFile),
  ].join('\n');
}

/** Where the configuration file lives: this machine's path, then the location on each OS. */
export function configFileHelp(configFile: string): string {
  const appName = path.basename(path.dirname(configFile));
  return [
    `The configuration file on this computer: ${configFile}`,
    'Where it is on each system:',
    `- Windows: %APPDATA%\\${appName}\\${CONFIG_FILE_NAME}`,
    `- macOS: ~/Library/Application Support/${appName}/${CONFIG_FILE_NAME}`,
    `- Linux: $XDG_CONFIG_HOME/${appName}/${CONFIG_FILE_NAME} (~/.config/${appName}/${CONFIG_FILE_NAME} when XDG_CONFIG_HOME is not set)`,
  ].join('\n');
}

/**
 * The environment for the development provider: its issuer and client id,
 * the custom-scheme redirect unless OIDC_REDIRECT_URI asks for loopback, and
 * OIDC_PAR / OIDC_DPOP as given (to try each mode against it). Nothing else
 * is taken from the environment: any other OIDC_* setting is a configuration
 * of its own (resolveAuthConfig never gets here with one).
 */
export function developmentEnv(
  devProvider: Pick<DevProviderHandle, 'issuer' | 'clientId'>,
  env: Readonly<Record<string, string | undefined>>,
  target: RedirectTarget,
): Record<string, string | undefined> {
  const redirect = env['OIDC_REDIRECT_URI'];
  return {
    OIDC_ISSUER: devProvider.issuer,
    OIDC_CLIENT_ID: devProvider.clientId,
    OIDC_REDIRECT_URI: redirect === undefined || redirect === '' ? defaultRedirectUriFor(target) : redirect,
    ...(env['OIDC_PAR'] ? { OIDC_PAR: env['OIDC_PAR'] } : {}),
    ...(env['OIDC_DPOP'] ? { OIDC_DPOP: env['OIDC_DPOP'] } : {}),
  };
}

/**
 * The redirect a development run uses when none is configured: the custom
 * scheme, except in an unpackaged macOS run, where no scheme can be
 * registered (macOS reads URL schemes only from an app bundle's Info.plist,
 * and a development run is Electron.app), so loopback (RFC 8252 §7.3).
 */
export function defaultRedirectUriFor(target: RedirectTarget): string {
  return customSchemeUnreachable(target) ? LOOPBACK_REDIRECT_URI : target.identity.defaultRedirectUri;
}

function customSchemeUnreachable(target: RedirectTarget): boolean {
  return target.platform === 'darwin' && !target.isPackaged;
}

/**
 * Why a redirect URI cannot come back to this run of the app, or undefined
 * when it can. Loopback URIs always can. A custom scheme must be the one the
 * app registers and routes (app-identity.json `urlScheme`; RFC 3986 §3.1:
 * schemes compare case-insensitively); and an unpackaged macOS run can
 * register none. Without this check such a sign-in opens the browser and then
 * waits for a redirect that never arrives.
 */
export function redirectUriProblem(redirectUri: string, target: RedirectTarget): string | undefined {
  let url: URL;
  try {
    url = new URL(redirectUri);
  } catch {
    return undefined; // loadConfig already refused it; nothing more to say here
  }
  if (url.protocol === 'http:' || url.protocol === 'https:') return undefined;
  const scheme = url.protocol.slice(0, -1).toLowerCase();
  const { urlScheme, defaultRedirectUri } = target.identity;
  if (scheme !== urlScheme) {
    return (
      `redirectUri "${redirectUri}" uses the scheme "${scheme}:", but this app registers and receives only "${urlScheme}:" ` +
      `(urlScheme in app-identity.json). Use "${defaultRedirectUri}" (and register it at the provider), ` +
      `or set urlScheme to "${scheme}" in app-identity.json and rebuild the app.`
    );
  }
  if (customSchemeUnreachable(target)) {
    return (
      `redirectUri "${redirectUri}" cannot work in a development run on macOS: macOS registers URL schemes only from a packaged app's Info.plist, ` +
      `and \`npm start\` runs Electron.app, so the browser could never hand the redirect back. ` +
      `Use loopback mode (OIDC_REDIRECT_URI=${LOOPBACK_REDIRECT_URI}, registered at the provider), or package the app (npm run dist), which declares the scheme.`
    );
  }
  return undefined;
}
