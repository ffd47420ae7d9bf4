import { readFile } from 'node:fs/promises';
import { validateApis, type ApiConfig } from './api-config';
import { parseConfigText } from './config-file-text';
import { AuthError } from './errors';
import { FEATURE_SETTINGS, isFeatureSetting, type FeatureSetting } from './feature-setting';

/** The provider configuration the core runs with, after validation. */
export interface AuthConfig {
  /** The provider's issuer identifier, exactly as its discovery document states it. */
  readonly issuer: string;
  readonly clientId: string;
  /** A reverse-DNS custom scheme URI (`com.example.desktop:/callback`) or a loopback URI (`http://127.0.0.1/callback`). */
  readonly redirectUri: string;
  readonly scopes: readonly string[];
  /** Extra authorize parameters, e.g. `audience`. Protocol parameters cannot be overridden here. */
  readonly authorizeParams: Readonly<Record<string, string>>;
  /** Where the provider sends the browser after RP-initiated logout. */
  readonly postLogoutRedirectUri?: string;
  /** Open the provider's end_session_endpoint in the browser on sign-out. Default true. */
  readonly endSessionInBrowser: boolean;
  /** Base URLs the app may call with the access token (https, or http on loopback). */
  readonly apiBaseUrls: readonly string[];
  /** APIs that get their own access token (scopes and/or resource), see api-config.ts. Their base URLs are allowed too. */
  readonly apis: readonly ApiConfig[];
  /**
   * A "client secret" the provider hands out for installed apps (Google's
   * "Desktop app" clients) and still asks for at the token endpoint. Not a
   * secret: anyone with the app can read it (RFC 8252 §8.5). Sent only to the
   * token endpoint (and revocation), never in a URL; the client stays public.
   */
  readonly clientSecret?: string;
  /**
   * What RP-initiated logout sends as its hint (RP-Initiated Logout 1.0 §2):
   * `id_token_hint` (default; most providers need it, but the ID token then
   * lands in the browser's history) or `client_id` (for providers that accept
   * it: nothing personal in the browser).
   */
  readonly logoutHint: 'id_token_hint' | 'client_id';
  /**
   * Pushed authorization requests (RFC 9126): `auto` (default: when the
   * provider lists a PAR endpoint), `always` (a provider without one is
   * refused), `never` (overridden by a provider that requires PAR). See
   * pushed-authorization.ts.
   */
  readonly par: FeatureSetting;
  /**
   * DPoP-bound tokens (RFC 9449): `auto` (default: when the provider lists a
   * DPoP algorithm this app signs with), `always` (a provider without one is
   * refused), `never`. See dpop-policy.ts.
   */
  readonly dpop: FeatureSetting;
}

export const DEFAULT_SCOPES: readonly string[] = Object.freeze(['openid', 'profile', 'email', 'offline_access']);

/** Parameters the core sets itself; letting configuration override them would break PKCE, state or nonce. */
const RESERVED_AUTHORIZE_PARAMS = new Set([
  'client_id',
  'response_type',
  'redirect_uri',
  'scope',
  'state',
  'nonce',
  'code_challenge',
  'code_challenge_method',
  'response_mode',
  'request',
  'request_uri',
  'dpop_jkt',
]);

const LOOPBACK_HOSTS = new Set(['127.0.0.1', '[::1]', 'localhost']);

export type RedirectMode =
  | { readonly kind: 'custom-scheme'; readonly scheme: string; readonly uri: URL }
  | { readonly kind: 'loopback'; readonly uri: URL };

/** Tells the two redirect modes apart; call on validated configuration only. */
export function redirectModeOf(config: AuthConfig): RedirectMode {
  const uri = new URL(config.redirectUri);
  return uri.protocol === 'http:' ? { kind: 'loopback', uri } : { kind: 'custom-scheme', scheme: uri.protocol.slice(0, -1), uri };
}

export function isLoopbackHttpUrl(url: URL): boolean {
  return url.protocol === 'http:' && LOOPBACK_HOSTS.has(url.hostname);
}

/** Raw input as read from a file or the environment, before validation. */
export type RawConfig = Readonly<Record<string, unknown>>;

/**
 * Validates raw configuration. Every problem is reported at once, each naming
 * its field and saying how to fix it, so one edit fixes the file.
 */
export function validateConfig(raw: RawConfig): AuthConfig {
  const problems: string[] = [];
  const problem = (field: string, text: string): void => {
    problems.push(`${field}: ${text}`);
  };

  const issuer = raw['issuer'];
  if (typeof issuer !== 'string' || issuer.trim() === '') {
    problem('issuer', 'is missing. Set it to your provider\'s issuer URL, e.g. "https://login.example.com".');
  } else {
    const url = parseUrl(issuer);
    if (!url) {
      problem('issuer', `"${issuer}" is not an absolute URL. Use the issuer exactly as the provider publishes it, e.g. "https://login.example.com".`);
    } else if (url.protocol === 'http:' && !LOOPBACK_HOSTS.has(url.hostname)) {
      problem('issuer', `"${issuer}" uses http. Only https issuers are allowed (http only on 127.0.0.1, [::1] or localhost, for development).`);
    } else if (url.protocol !== 'https:' && url.protocol !== 'http:') {
      problem('issuer', `"${issuer}" must be an https URL.`);
    } else if (url.search !== '' || url.hash !== '' || url.username !== '' || url.password !== '') {
      problem('issuer', `"${issuer}" must not contain a query, a fragment or credentials (OpenID Connect Discovery §2).`);
    }
  }

  const clientId = raw['clientId'];
  if (typeof clientId !== 'string' || clientId.trim() === '') {
    problem('clientId', 'is missing. Register a native (public) client at your provider and copy its client ID here.');
  }

  const redirectUri = raw['redirectUri'];
  if (typeof redirectUri !== 'string' || redirectUri.trim() === '') {
    problem('redirectUri', 'is missing. Use a reverse-DNS custom scheme like "com.yourcompany.yourapp:/callback" (the app\'s own scheme), or "http://127.0.0.1/callback" for loopback mode.');
  } else {
    const text = redirectUriProblem(redirectUri);
    if (text) problem('redirectUri', text);
  }

  let scopes: readonly string[] = DEFAULT_SCOPES;
  if (raw['scopes'] !== undefined) {
    const value = raw['scopes'];
    if (!Array.isArray(value) || value.some((s) => typeof s !== 'string' || !/^[\x21\x23-\x5B\x5D-\x7E]+$/.test(s))) {
      problem('scopes', 'must be a list of scope names without spaces, e.g. ["openid", "profile", "email", "offline_access"].');
    } else if (!value.includes('openid')) {
      problem('scopes', 'must include "openid": this app signs in with OpenID Connect.');
    } else {
      scopes = Object.freeze([...new Set(value as string[])]);
    }
  }

  const authorizeParams: Record<string, string> = {};
  if (raw['authorizeParams'] !== undefined) {
    const value = raw['authorizeParams'];
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      problem('authorizeParams', 'must be an object of string values, e.g. {"audience": "https://api.example.com"}.');
    } else {
      for (const [name, param] of Object.entries(value)) {
        if (RESERVED_AUTHORIZE_PARAMS.has(name)) {
          problem('authorizeParams', `"${name}" is set by the app itself and cannot be configured. Remove it.`);
        } else if (typeof param !== 'string') {
          problem('authorizeParams', `"${name}" must be a string.`);
        } else {
          authorizeParams[name] = param;
        }
      }
    }
  }

  const postLogoutRedirectUri = raw['postLogoutRedirectUri'];
  if (postLogoutRedirectUri !== undefined && (typeof postLogoutRedirectUri !== 'string' || !parseUrl(postLogoutRedirectUri))) {
    problem('postLogoutRedirectUri', 'must be an absolute URL registered at the provider as a post-logout redirect URI.');
  }

  const endSessionInBrowser = raw['endSessionInBrowser'] ?? true;
  if (typeof endSessionInBrowser !== 'boolean') {
    problem('endSessionInBrowser', 'must be true or false.');
  }

  const apiBaseUrls: string[] = [];
  if (raw['apiBaseUrls'] !== undefined) {
    const value = raw['apiBaseUrls'];
    if (!Array.isArray(value)) {
      problem('apiBaseUrls', 'must be a list of URLs, e.g. ["https://api.example.com/v1/"].');
    } else {
      for (const entry of value) {
        const url = typeof entry === 'string' ? parseUrl(entry) : undefined;
        if (!url || !(url.protocol === 'https:' || isLoopbackHttpUrl(url)) || url.search !== '' || url.hash !== '') {
          problem('apiBaseUrls', `${JSON.stringify(entry)} must be an https URL without query or fragment (http only on loopback).`);
        } else {
          apiBaseUrls.push(url.href);
        }
      }
    }
  }

  const apis = validateApis(raw['apis'], apiBaseUrls, problem);

  const clientSecret = raw['clientSecret'];
  if (clientSecret !== undefined && (typeof clientSecret !== 'string' || clientSecret === '' || /[\x00-\x1f\x7f]/.test(clientSecret))) {
    problem('clientSecret', 'must be the non-empty string your provider shows for an installed/desktop client, or be left out (most providers need none).');
  }

  const logoutHint = raw['logoutHint'] ?? 'id_token_hint';
  if (logoutHint !== 'id_token_hint' && logoutHint !== 'client_id') {
    problem('logoutHint', 'must be "id_token_hint" (the default) or "client_id" (keeps the ID token out of the browser, for providers that accept it).');
  }

  const par = raw['par'] ?? 'auto';
  if (!isFeatureSetting(par)) {
    problem('par', `must be one of ${FEATURE_SETTINGS.map((s) => `"${s}"`).join(', ')}: "auto" (the default) pushes the sign-in request when the provider offers it (RFC 9126).`);
  }
  const dpop = raw['dpop'] ?? 'auto';
  if (!isFeatureSetting(dpop)) {
    problem('dpop', `must be one of ${FEATURE_SETTINGS.map((s) => `"${s}"`).join(', ')}: "auto" (the default) binds the tokens to a key of this app when the provider offers it (RFC 9449).`);
  }

  if (problems.length > 0) {
    throw new AuthError('config_invalid', `The sign-in configuration is invalid:\n- ${problems.join('\n- ')}`);
  }

  return Object.freeze({
    issuer: issuer as string,
    clientId: (clientId as string).trim(),
    redirectUri: redirectUri as string,
    scopes,
    authorizeParams: Object.freeze(authorizeParams),
    ...(typeof postLogoutRedirectUri === 'string' ? { postLogoutRedirectUri } : {}),
    endSessionInBrowser: endSessionInBrowser as boolean,
    apiBaseUrls: Object.freeze(apiBaseUrls),
    apis,
    ...(typeof clientSecret === 'string' ? { clientSecret } : {}),
    logoutHint: logoutHint as AuthConfig['logoutHint'],
    par: par as FeatureSetting,
    dpop: dpop as FeatureSetting,
  });
}

function redirectUriProblem(value: string): string | undefined {
  const url = parseUrl(value);
  if (!url) return `"${value}" is not an absolute URI.`;
  if (url.hash !== '' || url.search !== '') return `"${value}" must not contain a query or fragment.`;
  if (url.protocol === 'https:') {
    return `"${value}": https redirects (claimed links) are not supported. Use a custom scheme like "com.yourcompany.yourapp:/callback" or "http://127.0.0.1/callback".`;
  }
  if (url.protocol === 'http:') {
    // RFC 8252 §8.3: the literal loopback IP, not "localhost", which a local resolver or firewall may redirect.
    if (url.hostname !== '127.0.0.1' && url.hostname !== '[::1]') {
      return `"${value}": a loopback redirect must use the literal address 127.0.0.1 or [::1] (RFC 8252 §8.3), e.g. "http://127.0.0.1/callback".`;
    }
    if (url.pathname === '/' ) return `"${value}" needs a path, e.g. "http://127.0.0.1/callback".`;
    return undefined;
  }
  const scheme = url.protocol.slice(0, -1);
  // RFC 8252 §7.1: a private-use scheme based on a domain name the app's owner controls.
  if (!scheme.includes('.')) {
    return `the scheme "${scheme}" is not reverse-DNS. Use a scheme with a dot based on a domain you control, e.g. "com.yourcompany.yourapp:/callback" (RFC 8252 §7.1).`;
  }
  if (url.host !== '' || !url.pathname.startsWith('/')) {
    return `"${value}" should have the form "${scheme}:/callback" (one slash, no host).`;
  }
  return undefined;
}

function parseUrl(value: string): URL | undefined {
  try {
    return new URL(value);
  } catch {
    return undefined;
  }
}

/** Environment variables read by {@link loadConfig}; they win over the file. */
export const CONFIG_ENV = {
  issuer: 'OIDC_ISSUER',
  clientId: 'OIDC_CLIENT_ID',
  redirectUri: 'OIDC_REDIRECT_URI',
  scopes: 'OIDC_SCOPES',
  authorizeParams: 'OIDC_AUTHORIZE_PARAMS',
  postLogoutRedirectUri: 'OIDC_POST_LOGOUT_REDIRECT_URI',
  apiBaseUrls: 'OIDC_API_BASE_URLS',
  clientSecret: 'OIDC_CLIENT_SECRET',
  logoutHint: 'OIDC_LOGOUT_HINT',
  par: 'OIDC_PAR',
  dpop: 'OIDC_DPOP',
} as const;

/**
 * Reads configuration from an optional JSON file, then the environment
 * (env wins per field), and validates it.
 *
 * Returns undefined only when nothing at all is configured: no file and no
 * `OIDC_*` variable of {@link CONFIG_ENV} (apart from the fields listed in
 * `ignoredWhenAlone`, which alone name no provider). Anything else is
 * validated, so a partial configuration (only `OIDC_API_BASE_URLS`, an issuer
 * without a client id, a file without an issuer) throws `config_invalid`
 * naming every missing field; it is never taken for "not configured".
 *
 * @throws AuthError `config_invalid` when the file cannot be read or parsed, or the configuration is invalid or incomplete.
 */
export async function loadConfig(options: {
  readonly file?: string;
  readonly env?: Readonly<Record<string, string | undefined>>;
  readonly ignoredWhenAlone?: readonly (keyof typeof CONFIG_ENV)[];
}): Promise<AuthConfig | undefined> {
  const merged: Record<string, unknown> = {};
  let fileFound = false;
  if (options.file) {
    let text: string | undefined;
    try {
      text = await readFile(options.file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
        throw new AuthError('config_invalid', `Cannot read the configuration file ${options.file}: ${(error as Error).message}`);
      }
    }
    if (text !== undefined) {
      let parsed: unknown;
      try {
        parsed = parseConfigText(text);
      } catch (error) {
        // Position only: the parser's own message quotes the file, which may hold a secret.
        throw new AuthError('config_invalid', `The configuration file ${options.file} is not valid JSON: ${(error as Error).message}.`);
      }
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
        throw new AuthError('config_invalid', `The configuration file ${options.file} must hold a JSON object.`);
      }
      Object.assign(merged, parsed);
      fileFound = true;
    }
  }
  const env = options.env ?? {};
  const fromEnv = (name: string): string | undefined => {
    const value = env[name];
    return value === undefined || value === '' ? undefined : value;
  };
  for (const field of ['issuer', 'clientId', 'redirectUri', 'postLogoutRedirectUri', 'clientSecret', 'logoutHint', 'par', 'dpop'] as const) {
    const value = fromEnv(CONFIG_ENV[field]);
    if (value !== undefined) merged[field] = value;
  }
  const scopes = fromEnv(CONFIG_ENV.scopes);
  if (scopes !== undefined) merged['scopes'] = scopes.split(/[\s,]+/).filter(Boolean);
  const apiBaseUrls = fromEnv(CONFIG_ENV.apiBaseUrls);
  if (apiBaseUrls !== undefined) merged['apiBaseUrls'] = apiBaseUrls.split(/[\s,]+/).filter(Boolean);
  const authorizeParams = fromEnv(CONFIG_ENV.authorizeParams);
  if (authorizeParams !== undefined) {
    // Query-string form ("audience=https%3A%2F%2Fapi&foo=bar") keeps shell quoting simple.
    merged['authorizeParams'] = Object.fromEntries(new URLSearchParams(authorizeParams));
  }
  const ignored = new Set<string>(options.ignoredWhenAlone ?? []);
  const named = (Object.keys(CONFIG_ENV) as (keyof typeof CONFIG_ENV)[]).some((field) => !ignored.has(field) && fromEnv(CONFIG_ENV[field]) !== undefined);
  if (!fileFound && !named) return undefined;
  return validateConfig(merged);
}
