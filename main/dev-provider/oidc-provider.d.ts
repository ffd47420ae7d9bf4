/**
 * The part of npm `oidc-provider` (v9) that the development provider uses.
 *
 * The package ships no type declarations and `@types/oidc-provider` is not a
 * dependency, so this module declaration describes only what
 * files in main/dev-provider/ touch. Shapes follow the v9 sources in
 * node_modules/oidc-provider/lib; anything not listed here is deliberately
 * left out, so a use of it fails type checking instead of compiling as `any`.
 */
declare module 'oidc-provider' {
  import type { IncomingMessage, ServerResponse } from 'node:http';

  export type UnknownObject = Record<string, unknown>;

  /** A stored artifact (token, grant, session, interaction…) as the adapter sees it. */
  export interface AdapterPayload extends UnknownObject {
    jti?: string;
    grantId?: string;
    uid?: string;
    userCode?: string;
    consumed?: number;
  }

  /** The storage contract (one instance per model name). */
  export interface Adapter {
    upsert(id: string, payload: AdapterPayload, expiresIn?: number): Promise<void>;
    find(id: string): Promise<AdapterPayload | undefined>;
    findByUserCode(userCode: string): Promise<AdapterPayload | undefined>;
    findByUid(uid: string): Promise<AdapterPayload | undefined>;
    consume(id: string): Promise<void>;
    destroy(id: string): Promise<void>;
    revokeByGrantId(grantId: string): Promise<void>;
  }

  export type AdapterFactory = (modelName: string) => Adapter;

  /** Errors the provider raises and emits; `error_detail` carries the real reason. */
  export interface OIDCProviderError extends Error {
    error?: string;
    error_description?: string;
    error_detail?: string;
    status?: number;
  }

  export interface Client {
    readonly clientId: string;
    readonly applicationType?: string;
    readonly clientAuthMethod: string;
    grantTypeAllowed(grantType: string): boolean;
    responseTypeAllowed(responseType: string): boolean;
  }

  /** The request parameters after the provider parsed (and possibly trimmed) them. */
  export interface OIDCParams {
    scope?: string | undefined;
    prompt?: string | undefined;
    response_type?: string | undefined;
    client_id?: string | undefined;
    [param: string]: unknown;
  }

  export interface AuthorizationCodeLike {
    readonly scopes: Set<string>;
    readonly grantId?: string;
  }

  export interface OIDCContext {
    readonly route: string;
    readonly params: OIDCParams;
    readonly prompts: Set<string>;
    readonly client?: Client;
    /** The parsed request body on POST endpoints. */
    readonly body?: UnknownObject;
    /** What the request refers to; the code or refresh token carries how the user signed in (`acr`, `authTime`). */
    readonly entities: {
      readonly AuthorizationCode?: { readonly acr?: string; readonly authTime?: number };
      readonly RefreshToken?: { readonly acr?: string; readonly authTime?: number };
    };
    /** The end-user's session at the provider (authorization endpoint). */
    readonly session?: { readonly accountId?: string; readonly acr?: string };
    /** The interaction's results, on the request that resumes after it. */
    readonly result?: InteractionResults;
  }

  /** The Koa context the provider hands to configuration callbacks. */
  export interface KoaContextWithOIDC {
    readonly oidc: OIDCContext;
    readonly method: string;
    readonly path: string;
    readonly host: string;
    readonly query: Record<string, string | string[] | undefined>;
    type: string;
    body: unknown;
    status: number;
    set(field: string, value: string): void;
  }

  /** Koa middleware added with `provider.use()`: runs around every request, before routing. */
  export type ProviderMiddleware = (ctx: KoaContextWithOIDC, next: () => Promise<void>) => Promise<void>;

  export interface AccountClaims extends UnknownObject {
    sub: string;
  }

  export interface Account {
    accountId: string;
    claims(
      use: string,
      scope: string,
      claims: Record<string, unknown>,
      rejected: string[],
    ): AccountClaims | Promise<AccountClaims>;
  }

  export interface InteractionPrompt {
    name: string;
    reasons: string[];
    details: {
      missingOIDCScope?: string[];
      missingOIDCClaims?: string[];
      missingResourceScopes?: Record<string, string[]>;
      [detail: string]: unknown;
    };
  }

  export interface Interaction {
    readonly uid: string;
    readonly prompt: InteractionPrompt;
    readonly params: OIDCParams;
    readonly grantId?: string;
    readonly session?: { accountId?: string; uid?: string };
    readonly returnTo: string;
  }

  export interface InteractionResults {
    login?: { accountId: string; remember?: boolean; acr?: string; amr?: string[] };
    consent?: { grantId: string };
    error?: string;
    error_description?: string;
  }

  /** Errors a configuration callback may throw; the provider answers with their OAuth error code. */
  export const errors: {
    /** RFC 8707 §2: `invalid_target`. */
    InvalidTarget: new (description?: string) => OIDCProviderError;
  };

  /** What `features.resourceIndicators.getResourceServerInfo` says of a resource server. */
  export interface ResourceServerInfo {
    scope: string;
    audience?: string;
    accessTokenFormat?: 'opaque' | 'jwt';
    jwt?: { sign?: { alg: string } };
  }

  export interface GrantInit {
    accountId: string;
    clientId: string;
  }

  export interface Grant {
    readonly jti?: string;
    readonly accountId: string;
    readonly clientId: string;
    addOIDCScope(scope: string): void;
    addOIDCClaims(claims: string[]): void;
    addResourceScope(resource: string, scope: string): void;
    getOIDCScope(): string;
    save(ttl?: number): Promise<string>;
    destroy(): Promise<void>;
  }

  export interface GrantModel {
    new (init: GrantInit): Grant;
    find(id: string): Promise<Grant | undefined>;
  }

  export interface Check {
    readonly reason: string;
  }

  export interface CheckConstructor {
    new (
      reason: string,
      description: string,
      check: (ctx: KoaContextWithOIDC) => boolean | Promise<boolean>,
    ): Check;
    readonly REQUEST_PROMPT: true;
    readonly NO_NEED_TO_PROMPT: false;
  }

  export interface Prompt {
    readonly name: string;
    readonly requestable: boolean;
    readonly checks: { add(check: Check, index?: number): void };
  }

  export interface PromptConstructor {
    new (options: { name: string; requestable?: boolean }, ...checks: Check[]): Prompt;
  }

  export interface InteractionPolicy extends Array<Prompt> {
    add(prompt: Prompt, index?: number): void;
    get(name: string): Prompt | undefined;
    remove(name: string): void;
  }

  export const interactionPolicy: {
    base(): InteractionPolicy;
    Prompt: PromptConstructor;
    Check: CheckConstructor;
  };

  export interface ClientMetadata {
    client_id: string;
    client_secret?: string;
    application_type?: 'web' | 'native';
    token_endpoint_auth_method?: string;
    grant_types?: string[];
    response_types?: string[];
    redirect_uris?: string[];
    post_logout_redirect_uris?: string[];
    client_name?: string;
  }

  export type TtlValue = number | ((ctx: KoaContextWithOIDC | undefined, token: unknown, client: Client | undefined) => number);

  export interface JWK extends UnknownObject {
    kty: string;
    kid?: string;
  }

  export interface Configuration {
    adapter?: AdapterFactory;
    clients?: ClientMetadata[];
    claims?: Record<string, string[] | null>;
    scopes?: string[];
    responseTypes?: string[];
    conformIdTokenClaims?: boolean;
    cookies?: { keys?: string[]; long?: UnknownObject; short?: UnknownObject };
    jwks?: { keys: JWK[] };
    /** `acr` values the provider may issue (discovery's `acr_values_supported`). */
    acrValues?: string[];
    /** Extra claims for access tokens (JWT ones carry them). */
    extraTokenClaims?: (ctx: KoaContextWithOIDC, token: { readonly kind?: string }) => UnknownObject | undefined | Promise<UnknownObject | undefined>;
    findAccount?: (ctx: KoaContextWithOIDC, sub: string) => Account | undefined | Promise<Account | undefined>;
    issueRefreshToken?: (ctx: KoaContextWithOIDC, client: Client, code: AuthorizationCodeLike) => boolean | Promise<boolean>;
    rotateRefreshToken?: boolean | ((ctx: KoaContextWithOIDC) => boolean | Promise<boolean>);
    interactions?: {
      policy?: InteractionPolicy;
      url?: (ctx: KoaContextWithOIDC, interaction: Interaction) => string | Promise<string>;
    };
    pkce?: { required?: (ctx: KoaContextWithOIDC, client: Client) => boolean };
    renderError?: (ctx: KoaContextWithOIDC, out: Record<string, string>, error: Error) => void | Promise<void>;
    features?: {
      devInteractions?: { enabled: boolean };
      /** RFC 8707. */
      resourceIndicators?: {
        enabled: boolean;
        defaultResource?: (ctx: KoaContextWithOIDC, client: Client, oneOf?: string | string[]) => Promise<string | string[] | undefined>;
        useGrantedResource?: (ctx: KoaContextWithOIDC, model: unknown) => Promise<boolean>;
        getResourceServerInfo?: (ctx: KoaContextWithOIDC, indicator: string, client: Client) => Promise<ResourceServerInfo>;
      };
      revocation?: {
        enabled: boolean;
        allowedPolicy?: (ctx: KoaContextWithOIDC, client: Client, token: { clientId?: string }) => boolean | Promise<boolean>;
      };
      introspection?: {
        enabled: boolean;
        allowedPolicy?: (ctx: KoaContextWithOIDC, client: Client, token: { clientId?: string }) => boolean | Promise<boolean>;
      };
      /** RFC 9126. Enabled by default in oidc-provider 9. */
      pushedAuthorizationRequests?: {
        enabled: boolean;
        requirePushedAuthorizationRequests?: boolean;
      };
      /** RFC 9449. Enabled by default in oidc-provider 9; nonces need `nonceSecret` (32 bytes). */
      dPoP?: {
        enabled: boolean;
        nonceSecret?: Buffer;
        requireNonce?: (ctx: KoaContextWithOIDC) => boolean;
      };
      rpInitiatedLogout?: {
        enabled: boolean;
        logoutSource?: (ctx: KoaContextWithOIDC, form: string) => void | Promise<void>;
        postLogoutSuccessSource?: (ctx: KoaContextWithOIDC) => void | Promise<void>;
      };
    };
    ttl?: {
      AccessToken?: TtlValue;
      AuthorizationCode?: TtlValue;
      IdToken?: TtlValue;
      RefreshToken?: TtlValue;
      Interaction?: TtlValue;
      Session?: TtlValue;
      Grant?: TtlValue;
    };
  }

  export type ProviderEventListener = (...args: never[]) => void;

  export class Provider {
    constructor(issuer: string, configuration?: Configuration);
    readonly issuer: string;
    readonly Grant: GrantModel;
    use(middleware: ProviderMiddleware): void;
    /** A Node `(req, res)` request handler (the provider is a Koa application). */
    callback(): (req: IncomingMessage, res: ServerResponse) => Promise<void>;
    interactionDetails(req: IncomingMessage, res: ServerResponse): Promise<Interaction>;
    interactionFinished(
      req: IncomingMessage,
      res: ServerResponse,
      result: InteractionResults,
      options?: { mergeWithLastSubmission?: boolean },
    ): Promise<void>;
    on(event: 'grant.error' | 'server_error' | 'authorization.error' | 'introspection.error' | 'revocation.error' | 'end_session.error' | 'userinfo.error',
      listener: (ctx: KoaContextWithOIDC, error: OIDCProviderError) => void): this;
    on(event: string, listener: ProviderEventListener): this;
  }

  export default Provider;
}
