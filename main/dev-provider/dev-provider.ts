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
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair } from 'jose';
import Provider, { interactionPolicy } from 'oidc-provider';
import type {
  Account,
  Adapter,
  AdapterFactory,
  AdapterPayload,
  Interaction,
  InteractionPolicy,
  KoaContextWithOIDC,
  OIDCProviderError,
} from 'oidc-provider';

export interface DevProviderOptions {
  /** TCP port on 127.0.0.1; 0 (the default) picks a free one. */
  readonly port?: number;
  /** Default `oidc-desktop-dev`. */
  readonly clientId?: string;
  /** Default `['com.example.desktop:/callback', 'http://127.0.0.1/callback']` (the loopback one accepts any port). */
  readonly redirectUris?: readonly string[];
  /** Default `['com.example.desktop:/signed-out', 'http://127.0.0.1/signed-out']`. */
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
export const DEFAULT_REDIRECT_URIS: readonly string[] = Object.freeze(['com.example.desktop:/callback', 'http://127.0.0.1/callback']);
export const DEFAULT_POST_LOGOUT_REDIRECT_URIS: readonly string[] = Object.freeze([
  'com.example.desktop:/signed-out',
  'http://127.0.0.1/signed-out',
]);
export const INTROSPECTOR_CLIENT_ID = 'dev-introspector';

const DEMO_USERNAME = 'demo';
const DEMO_PASSWORD = 'demo';
const DEMO_ACCOUNT = Object.freeze({
  sub: 'demo-user-1',
  name: 'Dana Demo',
  email: 'dana@example.test',
  email_verified: true,
});

const DAY = 24 * 60 * 60;
const FORM_BODY_LIMIT = 16 * 1024;
/** Extra seconds stored artifacts are kept past their expiry, like the library's own memory adapter (its clockTolerance). */
const STORAGE_GRACE_SECONDS = 15;

export async function startDevProvider(options: DevProviderOptions = {}): Promise<DevProvider> {
  const clientId = options.clientId ?? DEFAULT_CLIENT_ID;
  const redirectUris = [...(options.redirectUris ?? DEFAULT_REDIRECT_URIS)];
  const postLogoutRedirectUris = [...(options.postLogoutRedirectUris ?? DEFAULT_POST_LOGOUT_REDIRECT_URIS)];
  const ttl = {
    accessToken: positiveSeconds(options.accessTokenTtl ?? 3600, 'accessTokenTtl'),
    idToken: positiveSeconds(options.idTokenTtl ?? 3600, 'idTokenTtl'),
    refreshToken: positiveSeconds(options.refreshTokenTtl ?? 14 * DAY, 'refreshTokenTtl'),
    code: positiveSeconds(options.codeTtl ?? 60, 'codeTtl'),
  };
  const report = options.onError ?? defaultErrorSink;
  const par = options.par ?? 'enabled';
  const dpop = options.dpop ?? 'enabled';
  const pushedOfflineAccess = new PushedOfflineAccess();
  const introspectorSecret = randomBytes(32).toString('base64url');

  const requests: DevProviderRequest[] = [];
  let down = false;
  // Set once the provider exists; requests arriving before that get a 503.
  let handleWithProvider: ((req: IncomingMessage, res: ServerResponse, url: URL) => Promise<void>) | undefined;

  // Pages only post back here, then follow redirects to the app (see formActionSourcesFor).
  const csp = pageCsp(formActionSourcesFor([...redirectUris, ...postLogoutRedirectUris]));

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    requests.push({ method: req.method ?? 'GET', path: url.pathname });
    if (down || !handleWithProvider) {
      sendText(res, 503, 'The development provider is down.');
      return;
    }
    handleWithProvider(req, res, url).catch((error: unknown) => {
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

  const storage = new MemoryStorage();
  const provider = new Provider(issuer, {
    adapter: storage.factory,
    clients: [
      {
        client_id: clientId,
        client_name: 'OIDC Desktop (development)',
        application_type: 'native',
        token_endpoint_auth_method: 'none',
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
        redirect_uris: redirectUris,
        post_logout_redirect_uris: postLogoutRedirectUris,
      },
      {
        client_id: INTROSPECTOR_CLIENT_ID,
        client_secret: introspectorSecret,
        token_endpoint_auth_method: 'client_secret_basic',
        grant_types: [],
        response_types: [],
        redirect_uris: [],
      },
    ],
    scopes: ['openid', 'offline_access', 'profile', 'email'],
    claims: {
      openid: ['sub'],
      profile: ['name', 'picture'],
      email: ['email', 'email_verified'],
    },
    responseTypes: ['code'],
    // Put the profile and email claims the scopes grant into the ID token too, not only into userinfo.
    conformIdTokenClaims: false,
    cookies: { keys: [randomBytes(32).toString('base64url')] },
    jwks: { keys: [await generateSigningKey()] },
    findAccount: (_ctx, sub) => (sub === DEMO_ACCOUNT.sub ? demoAccount() : undefined),
    // The library's default policy, stated here on purpose: a refresh token when the
    // client may use the refresh_token grant and offline_access is in the code's scope.
    // keepRequestedOfflineAccess (below) is what keeps offline_access in that scope.
    issueRefreshToken: (_ctx, client, code) =>
      client.grantTypeAllowed('refresh_token') && code.scopes.has('offline_access'),
    rotateRefreshToken: true,
    pkce: { required: () => true },
    interactions: {
      policy: devInteractionPolicy(pushedOfflineAccess),
      url: (_ctx, interaction) => `/interaction/${interaction.uid}`,
    },
    renderError: (ctx, out) => {
      ctx.type = 'html';
      ctx.set('Content-Security-Policy', csp);
      ctx.body = errorPage('Sign-in error', `${out['error'] ?? 'error'}: ${out['error_description'] ?? ''}`);
    },
    features: {
      devInteractions: { enabled: false },
      pushedAuthorizationRequests: { enabled: par !== 'disabled', requirePushedAuthorizationRequests: par === 'required' },
      dPoP: dpop === 'nonce' ? { enabled: true, nonceSecret: randomBytes(32), requireNonce: () => true } : { enabled: dpop === 'enabled' },
      revocation: {
        enabled: true,
        // Only the client a token was issued to may revoke it.
        allowedPolicy: (_ctx, client, token) => token.clientId === client.clientId,
      },
      introspection: {
        enabled: true,
        // The test-only confidential client may introspect anything; others only their own tokens.
        allowedPolicy: (_ctx, client, token) => client.clientId === INTROSPECTOR_CLIENT_ID || token.clientId === client.clientId,
      },
      rpInitiatedLogout: {
        enabled: true,
        logoutSource: (ctx, form) => {
          ctx.type = 'html';
          ctx.set('Content-Security-Policy', csp);
          ctx.body = logoutPage(form);
        },
        postLogoutSuccessSource: (ctx) => {
          ctx.type = 'html';
          ctx.set('Content-Security-Policy', csp);
          ctx.body = messagePage('Signed out', 'You are signed out of the development provider. You can close this tab.');
        },
      },
    },
    ttl: {
      AccessToken: ttl.accessToken,
      AuthorizationCode: ttl.code,
      IdToken: ttl.idToken,
      RefreshToken: ttl.refreshToken,
      // A grant must outlive the refresh tokens issued under it.
      Grant: ttl.refreshToken,
      Session: ttl.refreshToken,
      Interaction: 10 * 60,
    },
  });

  for (const event of [
    'grant.error',
    'server_error',
    'authorization.error',
    'introspection.error',
    'revocation.error',
    'end_session.error',
    'userinfo.error',
  ] as const) {
    provider.on(event, (_ctx, error) => {
      report(`${event}: ${describeError(error)}`);
    });
  }

  provider.use(pushedOfflineAccess.middleware);
  const providerCallback = provider.callback();
  const interactionHandler = createInteractionHandler(provider, {
    clientId,
    csp,
    report,
  });
  handleWithProvider = async (req, res, url) => {
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
    async introspect(token) {
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
    },
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

// ---------------------------------------------------------------------------
// offline_access without prompt=consent

/**
 * oidc-provider follows OIDC Core §11 literally: it drops `offline_access`
 * from the request's scope unless `prompt=consent` is present (in
 * lib/actions/authorization/scopes.js, before any configuration hook runs).
 * Many real providers issue refresh tokens for `offline_access` without it,
 * and the app does not send `prompt=consent`, so this development provider
 * puts the scope back when the raw request asked for it.
 *
 * The interaction policy is the first place that sees the parsed request
 * with the client resolved, and it runs before the interaction (which
 * stores the parameters for the resumed request) is saved. This check
 * never asks for a prompt; it only restores the scope. The consent step then
 * sees offline_access as requested, the grant records it, the code's scope
 * contains it, and `issueRefreshToken` issues the refresh token.
 */
function devInteractionPolicy(pushed: PushedOfflineAccess): InteractionPolicy {
  const { Check, Prompt } = interactionPolicy;
  const policy = interactionPolicy.base();
  policy.add(
    new Prompt(
      { name: 'dev_offline_access', requestable: false },
      new Check('offline_access_requested', 'keeps a requested offline_access scope without prompt=consent', (ctx) => {
        keepRequestedOfflineAccess(ctx, pushed);
        return Check.NO_NEED_TO_PROMPT;
      }),
    ),
    0,
  );
  return policy;
}

function keepRequestedOfflineAccess(ctx: KoaContextWithOIDC, pushed: PushedOfflineAccess): void {
  const { oidc } = ctx;
  // On the resumed request (/auth/:uid) the parameters come from the saved interaction, already fixed.
  if (oidc.route !== 'authorization') return;
  const requestUri = ctx.method === 'POST' ? oidc.body?.['request_uri'] : ctx.query['request_uri'];
  const raw = typeof requestUri === 'string' ? (pushed.take(requestUri) ? 'offline_access' : undefined) : ctx.method === 'POST' ? oidc.body?.['scope'] : ctx.query['scope'];
  if (typeof raw !== 'string' || !raw.split(' ').includes('offline_access')) return;
  const scopes = new Set((oidc.params.scope ?? '').split(' ').filter(Boolean));
  if (scopes.has('offline_access')) return;
  if (!oidc.client?.grantTypeAllowed('refresh_token')) return;
  if (!(oidc.params.response_type ?? '').split(' ').includes('code')) return;
  // prompt=none cannot show consent, so offline access stays refused there.
  if (oidc.prompts.has('none')) return;
  scopes.add('offline_access');
  oidc.params.scope = [...scopes].join(' ');
}

/**
 * The same for pushed requests (RFC 9126): the push goes through the same
 * scope filter, so the stored request has lost `offline_access` before the
 * browser arrives with only its `request_uri`. This remembers, for each
 * `request_uri` issued, whether the raw push asked for the scope; the
 * check above reads it once when the browser brings the `request_uri`.
 */
class PushedOfflineAccess {
  /** request_uri → epoch ms after which it is forgotten (the provider's request_uris live 60 s). */
  readonly #asked = new Map<string, number>();

  readonly middleware = async (ctx: KoaContextWithOIDC, next: () => Promise<void>): Promise<void> => {
    await next();
    const oidc = (ctx as { readonly oidc?: KoaContextWithOIDC['oidc'] }).oidc;
    if (oidc?.route !== 'pushed_authorization_request' || ctx.status !== 201) return;
    const scope = oidc.body?.['scope'];
    const requestUri = isRecord(ctx.body) ? ctx.body['request_uri'] : undefined;
    if (typeof scope !== 'string' || typeof requestUri !== 'string' || !scope.split(' ').includes('offline_access')) return;
    const now = Date.now();
    for (const [uri, until] of this.#asked) if (until < now) this.#asked.delete(uri);
    this.#asked.set(requestUri, now + 120_000);
  };

  /** True (once) when the push behind `requestUri` asked for offline_access. */
  take(requestUri: string): boolean {
    const known = this.#asked.has(requestUri);
    this.#asked.delete(requestUri);
    return known;
  }
}

// ---------------------------------------------------------------------------
// Interactions: login page, cancel, automatic consent

interface InteractionHandlerOptions {
  readonly clientId: string;
  readonly csp: string;
  readonly report: (message: string) => void;
}

const INTERACTION_PATH = /^\/interaction\/([A-Za-z0-9_-]{1,64})(?:\/(login|cancel))?$/;

function createInteractionHandler(
  provider: Provider,
  options: InteractionHandlerOptions,
): (req: IncomingMessage, res: ServerResponse, url: URL) => Promise<void> {
  const { csp } = options;

  return async (req, res, url) => {
    const match = INTERACTION_PATH.exec(url.pathname);
    const uid = match?.[1];
    const action = match?.[2];
    if (!uid) {
      sendHtml(res, 404, errorPage('Not found', 'There is no such page.'), csp);
      return;
    }
    const expectedMethod = action ? 'POST' : 'GET';
    if (req.method !== expectedMethod) {
      res.setHeader('Allow', expectedMethod);
      sendHtml(res, 405, errorPage('Method not allowed', `Use ${expectedMethod}.`), csp);
      return;
    }

    let details: Interaction;
    try {
      details = await provider.interactionDetails(req, res);
    } catch (error) {
      options.report(`interaction ${uid}: ${describeError(error)}`);
      sendHtml(
        res,
        400,
        errorPage('Sign-in expired', 'This sign-in page has expired or was already used. Start the sign-in again from the app.'),
        csp,
      );
      return;
    }
    if (details.uid !== uid) {
      sendHtml(res, 400, errorPage('Sign-in mismatch', 'This page does not belong to the sign-in in progress. Start again from the app.'), csp);
      return;
    }
    const requestingClient = typeof details.params.client_id === 'string' ? details.params.client_id : '';

    if (action === 'cancel') {
      await provider.interactionFinished(
        req,
        res,
        { error: 'access_denied', error_description: 'The user cancelled the sign-in.' },
        { mergeWithLastSubmission: false },
      );
      return;
    }

    if (action === 'login') {
      if (details.prompt.name !== 'login') {
        sendHtml(res, 400, errorPage('Already signed in', 'This sign-in step is already complete. Start again from the app.'), csp);
        return;
      }
      const form = await readForm(req);
      const username = form.get('username') ?? '';
      const password = form.get('password') ?? '';
      if (username === DEMO_USERNAME && password === DEMO_PASSWORD) {
        await provider.interactionFinished(req, res, { login: { accountId: DEMO_ACCOUNT.sub } }, { mergeWithLastSubmission: false });
        return;
      }
      sendHtml(
        res,
        200,
        loginPage({ uid, clientId: requestingClient, username, error: 'Wrong username or password.' }),
        csp,
      );
      return;
    }

    switch (details.prompt.name) {
      case 'login':
        sendHtml(res, 200, loginPage({ uid, clientId: requestingClient, username: '', error: undefined }), csp);
        return;
      case 'consent': {
        if (requestingClient !== options.clientId) {
          sendHtml(res, 403, errorPage('Consent not available', 'This development provider only grants consent to its demo client.'), csp);
          return;
        }
        const grantId = await grantRequestedConsent(provider, details, requestingClient);
        await provider.interactionFinished(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true });
        return;
      }
      default:
        sendHtml(res, 400, errorPage('Unsupported step', `The development provider cannot handle the "${details.prompt.name}" step.`), csp);
    }
  };
}

/** Creates or extends the grant with everything the request asked for, as a user clicking "Allow" would. */
async function grantRequestedConsent(provider: Provider, details: Interaction, clientId: string): Promise<string> {
  const accountId = details.session?.accountId;
  if (!accountId) {
    throw new Error('consent requested before anyone signed in');
  }
  const existing = details.grantId ? await provider.Grant.find(details.grantId) : undefined;
  const grant = existing ?? new provider.Grant({ accountId, clientId });
  const { missingOIDCScope, missingOIDCClaims, missingResourceScopes } = details.prompt.details;
  if (missingOIDCScope?.length) {
    grant.addOIDCScope(missingOIDCScope.join(' '));
  }
  if (missingOIDCClaims?.length) {
    grant.addOIDCClaims(missingOIDCClaims);
  }
  for (const [indicator, scopes] of Object.entries(missingResourceScopes ?? {})) {
    grant.addResourceScope(indicator, scopes.join(' '));
  }
  return grant.save();
}

function demoAccount(): Account {
  return {
    accountId: DEMO_ACCOUNT.sub,
    claims: () => ({ ...DEMO_ACCOUNT }),
  };
}

// ---------------------------------------------------------------------------
// Storage

interface StoredEntry {
  readonly payload: AdapterPayload;
  readonly expiresAt: number;
}

/**
 * In-memory storage for every model, shared by all adapters of one provider.
 * Owning it (instead of the library's quick-start adapter) lets
 * revokeAllGrants find every grant, and keeps two providers in one process apart.
 */
class MemoryStorage {
  readonly #entries = new Map<string, StoredEntry>();
  readonly #keysByGrant = new Map<string, Set<string>>();
  readonly #keyByUid = new Map<string, string>();
  readonly #keyByUserCode = new Map<string, string>();

  readonly factory: AdapterFactory = (model) => this.#adapterFor(model);

  revokeAllGrants(): void {
    const grantIds = new Set(this.#keysByGrant.keys());
    for (const key of this.#entries.keys()) {
      if (key.startsWith('Grant:')) grantIds.add(key.slice('Grant:'.length));
    }
    for (const grantId of grantIds) {
      this.#revokeByGrantId(grantId);
      this.#delete(`Grant:${grantId}`);
    }
  }

  #adapterFor(model: string): Adapter {
    const keyOf = (id: string): string => `${model}:${id}`;
    return {
      upsert: async (id, payload, expiresIn) => {
        const key = keyOf(id);
        this.#delete(key);
        const lifetime = typeof expiresIn === 'number' ? (expiresIn + STORAGE_GRACE_SECONDS) * 1000 : Number.POSITIVE_INFINITY;
        this.#entries.set(key, { payload: structuredClone(payload), expiresAt: Date.now() + lifetime });
        if (payload.grantId) {
          const keys = this.#keysByGrant.get(payload.grantId) ?? new Set<string>();
          keys.add(key);
          this.#keysByGrant.set(payload.grantId, keys);
        }
        if (model === 'Session' && payload.uid) this.#keyByUid.set(payload.uid, key);
        if (payload.userCode) this.#keyByUserCode.set(payload.userCode, key);
      },
      find: async (id) => this.#get(keyOf(id)),
      findByUid: async (uid) => {
        const key = this.#keyByUid.get(uid);
        return key ? this.#get(key) : undefined;
      },
      findByUserCode: async (userCode) => {
        const key = this.#keyByUserCode.get(userCode);
        return key ? this.#get(key) : undefined;
      },
      consume: async (id) => {
        const entry = this.#entries.get(keyOf(id));
        if (entry) entry.payload.consumed = Math.floor(Date.now() / 1000);
      },
      destroy: async (id) => {
        this.#delete(keyOf(id));
      },
      revokeByGrantId: async (grantId) => {
        this.#revokeByGrantId(grantId);
      },
    };
  }

  #get(key: string): AdapterPayload | undefined {
    const entry = this.#entries.get(key);
    if (!entry) return undefined;
    if (entry.expiresAt <= Date.now()) {
      this.#delete(key);
      return undefined;
    }
    return structuredClone(entry.payload);
  }

  #delete(key: string): void {
    const entry = this.#entries.get(key);
    if (!entry) return;
    this.#entries.delete(key);
    const { grantId, uid, userCode } = entry.payload;
    if (grantId) {
      const keys = this.#keysByGrant.get(grantId);
      keys?.delete(key);
      if (keys?.size === 0) this.#keysByGrant.delete(grantId);
    }
    if (uid && this.#keyByUid.get(uid) === key) this.#keyByUid.delete(uid);
    if (userCode && this.#keyByUserCode.get(userCode) === key) this.#keyByUserCode.delete(userCode);
  }

  #revokeByGrantId(grantId: string): void {
    for (const key of [...(this.#keysByGrant.get(grantId) ?? [])]) {
      this.#delete(key);
    }
    this.#keysByGrant.delete(grantId);
  }
}

// ---------------------------------------------------------------------------
// HTML

const PAGE_STYLE = `
  :root { color-scheme: light dark; font-family: system-ui, sans-serif; }
  body { margin: 0; display: grid; place-items: center; min-height: 100vh; }
  main { width: min(22rem, 90vw); padding: 1.5rem; border: 1px solid #8886; border-radius: 8px; }
  h1 { font-size: 1.4rem; margin: 0 0 1rem; }
  label { display: block; margin: .75rem 0 .25rem; font-weight: 600; }
  input { box-sizing: border-box; width: 100%; padding: .5rem; font: inherit; }
  button { margin-top: 1rem; width: 100%; padding: .6rem; font: inherit; font-weight: 600; cursor: pointer; }
  .error { color: #b00020; background: #b0002014; padding: .5rem; border-radius: 4px; }
  .hint { font-size: .85rem; opacity: .8; }
  form + form button { font-weight: 400; }
`;

/** No scripts, no external resources, no framing; forms post back here and may then be redirected to the app. */
function pageCsp(formActionSources: readonly string[]): string {
  const formAction = ["'self'", ...formActionSources].join(' ');
  return `default-src 'none'; style-src 'unsafe-inline'; form-action ${formAction}; frame-ancestors 'none'; base-uri 'none'`;
}

/**
 * Chromium applies form-action to every redirect that follows a form
 * submission, and the login form's POST ends in a redirect to the app, so the
 * redirect URIs' origins (any port for loopback) must be allowed too.
 */
function formActionSourcesFor(redirectUris: readonly string[]): string[] {
  const sources = new Set<string>();
  for (const uri of redirectUris) {
    let parsed: URL;
    try {
      parsed = new URL(uri);
    } catch {
      continue;
    }
    if (parsed.protocol === 'http:' || parsed.protocol === 'https:') {
      sources.add(`${parsed.protocol}//${parsed.hostname}:*`);
    } else if (/^[a-z][a-z0-9+.-]*:$/.test(parsed.protocol)) {
      sources.add(parsed.protocol);
    }
  }
  return [...sources];
}

function escapeHtml(text: string): string {
  return text
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&#39;');
}

function layout(title: string, body: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${escapeHtml(title)} · Development provider</title>
<style>${PAGE_STYLE}</style>
</head>
<body>
<main>
${body}
</main>
</body>
</html>
`;
}

function loginPage(input: { uid: string; clientId: string; username: string; error: string | undefined }): string {
  const uid = escapeHtml(input.uid);
  const error = input.error ? `<p class="error" role="alert" id="login-error">${escapeHtml(input.error)}</p>` : '';
  const described = input.error ? ' aria-describedby="login-error"' : '';
  return layout(
    'Sign in',
    `<h1>Sign in</h1>
<p>to continue to <strong>${escapeHtml(input.clientId)}</strong></p>
${error}
<form method="post" action="/interaction/${uid}/login">
<label for="username">Username</label>
<input id="username" name="username" type="text" autocomplete="username" autocapitalize="none" spellcheck="false" value="${escapeHtml(input.username)}" required autofocus${described}>
<label for="password">Password</label>
<input id="password" name="password" type="password" autocomplete="current-password" required${described}>
<button type="submit">Sign in</button>
</form>
<form method="post" action="/interaction/${uid}/cancel">
<button type="submit">Cancel</button>
</form>
<p class="hint">Development account: username <code>demo</code>, password <code>demo</code>.</p>`,
  );
}

function errorPage(title: string, message: string): string {
  return layout(title, `<h1>${escapeHtml(title)}</h1>\n<p class="error" role="alert">${escapeHtml(message)}</p>`);
}

function messagePage(title: string, message: string): string {
  return layout(title, `<h1>${escapeHtml(title)}</h1>\n<p>${escapeHtml(message)}</p>`);
}

/** `form` is the provider's own hidden confirmation form (id op.logoutForm), trusted markup. */
function logoutPage(form: string): string {
  return layout(
    'Sign out',
    `<h1>Sign out of the development provider?</h1>
${form}
<button autofocus type="submit" form="op.logoutForm" value="yes" name="logout">Yes, sign me out</button>
<button type="submit" form="op.logoutForm">No, stay signed in</button>`,
  );
}

function sendHtml(res: ServerResponse, status: number, html: string, csp: string): void {
  res.statusCode = status;
  res.setHeader('Content-Type', 'text/html; charset=utf-8');
  res.setHeader('Content-Security-Policy', csp);
  res.setHeader('Cache-Control', 'no-store');
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('Referrer-Policy', 'no-referrer');
  res.end(html);
}

function sendText(res: ServerResponse, status: number, text: string): void {
  res.statusCode = status;
  res.setHeader('Content-Type', 'text/plain; charset=utf-8');
  res.setHeader('Cache-Control', 'no-store');
  res.end(text);
}

// ---------------------------------------------------------------------------
// Helpers

async function readForm(req: IncomingMessage): Promise<URLSearchParams> {
  const type = (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
  if (type !== 'application/x-www-form-urlencoded') {
    req.resume();
    return new URLSearchParams();
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
    size += buffer.length;
    if (size > FORM_BODY_LIMIT) {
      throw new Error('form body too large');
    }
    chunks.push(buffer);
  }
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
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

async function generateSigningKey(): Promise<{ kty: string } & Record<string, unknown>> {
  const { privateKey } = await generateKeyPair('RS256', { extractable: true });
  const jwk = await exportJWK(privateKey);
  if (typeof jwk.kty !== 'string') {
    throw new Error('jose exported a JWK without kty');
  }
  return { ...jwk, kty: jwk.kty, kid: `dev-${randomUUID()}`, alg: 'RS256', use: 'sig' };
}

function positiveSeconds(value: number, name: string): number {
  if (!Number.isInteger(value) || value <= 0) {
    throw new RangeError(`${name} must be a positive whole number of seconds, got ${value}`);
  }
  return value;
}

function describeError(error: unknown): string {
  if (error instanceof Error) {
    const oidc = error as OIDCProviderError;
    const head = oidc.error ? `${oidc.error}: ${oidc.error_description ?? oidc.message}` : `${error.name}: ${error.message}`;
    return oidc.error_detail ? `${head} (${oidc.error_detail})` : head;
  }
  return String(error);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function defaultErrorSink(message: string): void {
  if (process.env['DEV_PROVIDER_DEBUG']) {
    process.stderr.write(`[dev-provider] ${message}\n`);
  }
}
