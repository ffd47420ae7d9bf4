/**
 * Configures a fresh glewlwyd through its admin REST API (API.md of the
 * Debian package), as the seeded administrator `admin` / `password`.
 */
import { CookieJar, jsonBody, requestWithJar } from './http';

export const ADMIN = Object.freeze({ username: 'admin', password: 'password' });

/** What the fixture creates; tests read names and URIs from here. */
export interface GlewlwydSetup {
  readonly baseUrl: string;
  readonly pluginName: string;
  readonly clientId: string;
  readonly redirectUris: readonly string[];
  readonly postLogoutRedirectUri: string;
  readonly user: { readonly username: string; readonly password: string; readonly name: string; readonly email: string };
  /** A confidential client that may introspect and revoke any token (the operator's tool, never the app). */
  readonly operator: { readonly clientId: string; readonly secret: string; readonly scope: string };
  /** PEM private key (EC P-256) and its public key, made with openssl. */
  readonly signingKey: { readonly privatePem: string; readonly publicPem: string };
  /** More scopes the user and the client may have (APIs' scopes, issue 18). */
  readonly extraScopes?: readonly string[];
  /** More OIDC plugin parameters (e.g. resource indicators: `resource-allowed`, `resource-scope`). */
  readonly pluginParameters?: Readonly<Record<string, unknown>>;
}

export const SCOPES: readonly string[] = Object.freeze(['profile', 'email', 'offline_access']);

export async function configure(setup: GlewlwydSetup): Promise<void> {
  const api = `${setup.baseUrl}/api`;
  const jar = new CookieJar();
  const call = async (method: string, path: string, body?: unknown): Promise<string> => {
    const response = await requestWithJar(jar, `${api}${path}`, { method, ...(body === undefined ? {} : jsonBody(body)) });
    if (response.status !== 200) throw new Error(`glewlwyd admin API: ${method} ${path} answered ${response.status} ${response.text.slice(0, 300)}`);
    return response.text;
  };

  await call('POST', '/auth/', ADMIN);
  // `openid` ships in the seed; the others are ours.
  const extra = setup.extraScopes ?? [];
  for (const name of [...SCOPES, ...extra, setup.operator.scope]) {
    await call('POST', '/scope/', { name, display_name: name, description: name, password_required: false, password_max_age: 0 });
  }
  await call('POST', '/user/', {
    username: setup.user.username,
    name: setup.user.name,
    email: setup.user.email,
    password: setup.user.password,
    scope: ['openid', ...SCOPES, ...extra],
    enabled: true,
  });
  // The OIDC plugin reads a client's `post_logout_redirect_uris` as a list,
  // but the seeded client database does not know that property and would
  // store it as one string (which the plugin then ignores, silently).
  const clientModule = JSON.parse(await call('GET', '/mod/client/database')) as { parameters: { 'data-format': Record<string, unknown> } } & Record<string, unknown>;
  clientModule.parameters['data-format']['post_logout_redirect_uris'] = { multiple: true, read: true, write: true };
  await call('PUT', '/mod/client/database', clientModule);
  await call('PUT', '/mod/client/database/reset');
  await call('POST', '/client/', {
    client_id: setup.clientId,
    name: 'OIDC Desktop (tests)',
    confidential: false,
    redirect_uri: setup.redirectUris,
    post_logout_redirect_uris: [setup.postLogoutRedirectUri],
    authorization_type: ['code', 'refresh_token'],
    scope: ['openid', ...SCOPES, ...extra],
    enabled: true,
  });
  // A confidential client authenticates with `password`; its `client_secret` property is for JWT client auth.
  await call('POST', '/client/', {
    client_id: setup.operator.clientId,
    name: 'Operator (tests)',
    confidential: true,
    password: setup.operator.secret,
    authorization_type: ['client_credentials'],
    token_endpoint_auth_method: ['client_secret_basic'],
    scope: [setup.operator.scope],
    enabled: true,
  });
  // Every mandatory parameter in the first POST: a refused POST still stores
  // the instance, and a second POST then answers "already exist".
  await call('POST', '/mod/plugin/', {
    module: 'oidc',
    name: setup.pluginName,
    display_name: 'OpenID Connect (tests)',
    enabled: true,
    parameters: {
      iss: `${setup.baseUrl}/api/${setup.pluginName}`,
      'jwt-type': 'ecdsa',
      'jwt-key-size': '256',
      key: setup.signingKey.privatePem,
      cert: setup.signingKey.publicPem,
      'jwks-show': true,
      'access-token-duration': 3600,
      'refresh-token-duration': 1_209_600,
      'code-duration': 600,
      'refresh-token-rolling': true,
      'refresh-token-one-use': 'always',
      'auth-type-code-enabled': true,
      'auth-type-refresh-enabled': true,
      // For the operator client only (client_credentials without `openid` needs allow-non-oidc).
      'auth-type-client-enabled': true,
      'allow-non-oidc': true,
      'auth-type-token-enabled': false,
      'auth-type-implicit-enabled': false,
      'auth-type-password-enabled': false,
      'auth-type-device-enabled': false,
      'auth-type-none-enabled': false,
      'pkce-allowed': true,
      'pkce-required': true,
      'pkce-method-plain-allowed': false,
      'introspection-revocation-allowed': true,
      'introspection-revocation-allow-target-client': true,
      'introspection-revocation-auth-scope': [setup.operator.scope],
      'session-management-allowed': true,
      'session-cookie-name': 'GLEWLWYD2_OIDC_SID',
      'session-cookie-expiration': 2_419_200,
      // RFC 9207 `iss` in authorization responses.
      'oauth-as-iss-id': true,
      // Claims in the ID token and userinfo without a `claims` request.
      'name-claim': 'mandatory',
      'email-claim': 'mandatory',
      'scope-claim': 'no',
      ...setup.pluginParameters,
    },
  });
}
