/**
 * The local development OpenID provider, built on npm `oidc-provider`.
 *
 * It serves one public native client (Authorization Code + PKCE S256), one
 * confidential client used only to call introspection from tests, a demo
 * user, and its own login page. Consent is granted automatically for the
 * demo client, so a sign-in is: login page → redirect to the app.
 *
 * Not for production: everything lives in memory and the keys change on
 * every start.
 *
 * This file is the HTTP front (request log, down switch, routing) and the
 * handle tests use; the parts live beside it: provider-settings.ts (the
 * provider and its settings), interaction-handler.ts (login, cancel,
 * consent), pages.ts (the HTML), offline-access.ts, memory-storage.ts,
 * demo-account.ts.
 */
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { APP_IDENTITY } from '../app-identity';
import { DEMO_PASSWORD, DEMO_USERNAME } from './demo-account';
import { defaultErrorSink, describeError } from './error-report';
import { createInteractionHandler } from './interaction-handler';
import { isRecord } from './is-record';
import { MemoryStorage } from './memory-storage';
import { PushedOfflineAccess } from './offline-access';
import { errorPage, formActionSourcesFor, pageCsp, sendHtml, sendText } from './pages';
import { createOidcProvider, INTROSPECTOR_CLIENT_ID, type DevResourceServer } from './provider-settings';

export { INTROSPECTOR_CLIENT_ID };
export type { DevResourceServer };

export interface DevProviderOptions {
  /** TCP port on 127.0.0.1; 0 (the default) picks a free one. */
  readonly port?: number;
  /** Default `oidc-desktop-dev`. */
  readonly clientId?: string;
  /** Default `['<urlScheme>:/callback', 'http://127.0.0.1/callback']` (app-identity.json; the loopback one accepts any port). */
  readonly redirectUris?: readonly string[];
  /** Default `['<urlScheme>:/signed-out', 'http://127.0.0.1/signed-out']`. */
  readonly postLogoutRedirectUris?: readonly string[];
  /** Seconds. Default 3600. */
  readonly accessTokenTtl?: number;
  /** Seconds. Default 3600. */
  readonly idTokenTtl?: number;
  /** Seconds. Default 14 days. */
  readonly refreshTokenTtl?: number;
  /** Seconds. Default 60. */
  readonly codeTtl?: number;
  /**
   * Pushed authorization requests (RFC 9126): `enabled` (the default),
   * `required` (discovery says `require_pushed_authorization_requests: true`
   * and the authorization endpoint refuses anything else), or `disabled`
   * (no `pushed_authorization_request_endpoint` in discovery).
   */
  readonly par?: 'enabled' | 'required' | 'disabled';
  /**
   * DPoP (RFC 9449): `enabled` (the default; tokens requested with a proof
   * are bound to its key), `nonce` (every proof, at the token and userinfo
   * endpoints, must carry a nonce the provider issued: §8, §9), or
   * `disabled` (no `dpop_signing_alg_values_supported` in discovery).
   */
  readonly dpop?: 'enabled' | 'nonce' | 'disabled';
  /**
   * Receives the provider's error events (`grant.error`, `server_error`,
   * `authorization.error`, …) with their `error_detail`, which the HTTP
   * responses never carry. Default: stderr, only when env `DEV_PROVIDER_DEBUG` is set.
   */
  readonly onError?: (message: string) => void;
  /**
   * Resource servers (RFC 8707) the provider issues audience-restricted JWT
   * access tokens for, each with its scopes. Default none: resource
   * indicators are off.
   */
  readonly resourceServers?: readonly DevResourceServer[];
}

export interface DevProviderRequest {
  readonly method: string;
  /** The path without the query string (so codes and tokens are never kept here). */
  readonly path: string;
}

export type IntrospectionResult = { active: boolean } & Record<string, unknown>;

export interface DevProvider {
  /** `http://127.0.0.1:<port>`, exactly as discovery states it. */
  readonly issuer: string;
  readonly clientId: string;
  readonly demoUser: { readonly username: string; readonly password: string };
  /** Every HTTP request the server received, in order (including the ones answered 503 while down). */
  readonly requests: ReadonlyArray<DevProviderRequest>;
  resetRequests(): void;
  /** Calls the introspection endpoint over HTTP as the confidential `dev-introspector` client. */
  introspect(token: string): Promise<IntrospectionResult>;
  /** Revokes every grant and every token issued under it: refresh tokens then fail with invalid_grant. */
  revokeAllGrants(): Promise<void>;
  /** While down, every request is answered 503 without reaching the provider. */
  setDown(down: boolean): void;
  /** Stops listening and drops every open connection. Safe to call twice. */
  close(): Promise<void>;
}

export const DEFAULT_CLIENT_ID = 'oidc-desktop-dev';
/** The app's own redirect URIs (app-identity.json), so a renamed app signs in to its development provider unchanged. */
export const DEFAULT_REDIRECT_URIS: readonly string[] = Object.freeze([APP_IDENTITY.defaultRedirectUri, 'http://127.0.0.1/callback']);
export const DEFAULT_POST_LOGOUT_REDIRECT_URIS: readonly string[] = Object.freeze([APP_IDENTITY.signedOutUri, 'http://127.0.0.1/signed-out']);

const DAY = 24 * 60 * 60;

export async function startDevProvider(options: DevProviderOptions = {}): Promise<DevProvider> {
  const clientId = options.clientId ?? DEFAULT_CLIENT_ID;
  const redirectUris = [...(options.redirectUris ?? DEFAULT_REDIRECT_URIS)];
  const postLogoutRedirectUris = [...(options.postLogoutRedirectUris ?? DEFAULT_POST_LOGOUT_REDIRECT_URIS)];
  // Checked before the port opens, so a bad lifetime leaves no server behind.
  const ttl = {
    accessToken: positiveSeconds(options.accessTokenTtl ?? 3600, 'accessTokenTtl'),
    idToken: positiveSeconds(options.idTokenTtl ?? 3600, 'idTokenTtl'),
    refreshToken: positiveSeconds(options.refreshTokenTtl ?? 14 * DAY, 'refreshTokenTtl'),
    code: positiveSeconds(options.codeTtl ?? 60, 'codeTtl'),
  };
  const report = options.onError ?? defaultErrorSink;
  const introspectorSecret = randomBytes(32).toString('base64url');
  const storage = new MemoryStorage();
  // Pages only post back here, then follow redirects to the app (see formActionSourcesFor).
  const csp = pageCsp(formActionSourcesFor([...redirectUris, ...postLogoutRedirectUris]));

  const requests: DevProviderRequest[] = [];
  let down = false;
  // Set once the provider exists; requests arriving before that get a 503.
  let route: ((req: IncomingMessage, res: ServerResponse, url: URL) => Promise<void>) | undefined;

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    requests.push({ method: req.method ?? 'GET', path: url.pathname });
    if (down || !route) {
      sendText(res, 503, 'The development provider is down.');
      return;
    }
    route(req, res, url).catch((error: unknown) => {
      report(`request ${req.method ?? ''} ${url.pathname} failed: ${describeError(error)}`);
      if (!res.headersSent) {
        sendHtml(res, 500, errorPage('Something went wrong', 'The development provider could not handle this request.'), csp);
      } else {
        res.destroy();
      }
    });
  });

  const port = await listen(server, options.port ?? 0);
  const issuer = `http://127.0.0.1:${port}`;

  const provider = await createOidcProvider(issuer, {
    clientId,
    redirectUris,
    postLogoutRedirectUris,
    ttl,
    par: options.par ?? 'enabled',
    dpop: options.dpop ?? 'enabled',
    introspectorSecret,
    csp,
    storage,
    pushedOfflineAccess: new PushedOfflineAccess(),
    report,
    resourceServers: options.resourceServers ?? [],
  });
  const providerCallback = provider.callback();
  const interactionHandler = createInteractionHandler(provider, { clientId, csp, report });
  route = async (req, res, url) => {
    if (url.pathname === '/interaction' || url.pathname.startsWith('/interaction/')) {
      await interactionHandler(req, res, url);
      return;
    }
    await providerCallback(req, res);
  };

  let closing: Promise<void> | undefined;

  return {
    issuer,
    clientId,
    demoUser: Object.freeze({ username: DEMO_USERNAME, password: DEMO_PASSWORD }),
    requests,
    resetRequests() {
      requests.length = 0;
    },
    introspect: (token) => introspect(issuer, introspectorSecret, token),
    async revokeAllGrants() {
      storage.revokeAllGrants();
    },
    setDown(value) {
      down = value;
    },
    close() {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closing;
    },
  };
}

/** RFC 7662 introspection as the confidential `dev-introspector` client; 10 s timeout. */
async function introspect(issuer: string, introspectorSecret: string, token: string): Promise<IntrospectionResult> {
  const credentials = Buffer.from(
    `${encodeURIComponent(INTROSPECTOR_CLIENT_ID)}:${encodeURIComponent(introspectorSecret)}`,
  ).toString('base64');
  const response = await fetch(`${issuer}/token/introspection`, {
    method: 'POST',
    headers: {
      authorization: `Basic ${credentials}`,
      'content-type': 'application/x-www-form-urlencoded',
      accept: 'application/json',
    },
    body: new URLSearchParams({ token }).toString(),
    signal: AbortSignal.timeout(10_000),
  });
  const body: unknown = await response.json().catch(() => undefined);
  if (!response.ok || !isRecord(body) || typeof body['active'] !== 'boolean') {
    throw new Error(`Introspection failed with HTTP ${response.status}: ${JSON.stringify(body) ?? 'no JSON body'}`);
  }
  return { ...body, active: body['active'] };
}

function listen(server: Server, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (error: Error): void => reject(error);
    server.once('error', onError);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', onError);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

function positiveSeconds(value: number, name: string): number {
  if (!Number.isInteger(value) || value <= 0) {
    throw new RangeError(`${name} must be a positive whole number of seconds, got ${value}`);
  }
  return value;
}
