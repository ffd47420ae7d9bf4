/**
 * An OpenID provider that lies on purpose. A small `node:http` server on
 * 127.0.0.1 (random port) that behaves like a correct provider until a test
 * scripts it to do otherwise: every response (discovery, JWKS, token,
 * userinfo, revocation) can be mutated or taken over per test, and ID tokens
 * are signed with real keys through `jose` (RS256 by default, or any other
 * key and algorithm a test asks for).
 *
 * There is no browser and no login page: a test reads the authorize URL the
 * core asked to open, calls `authorize()` (which mints a code bound to that
 * request's PKCE challenge, nonce and redirect URI) and hands the core the
 * callback a provider would send.
 *
 * Every request is recorded; every code, token and verifier the provider
 * issues or receives is kept in `secrets()`, so a test can prove that none of
 * them ended up where it must not.
 */
import { createHash, generateKeyPairSync, randomBytes, randomUUID, type KeyObject } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { CompactSign, SignJWT, base64url, type JWK } from 'jose';
import { checkDpopProof, type DpopProofRecord } from './hostile-dpop';

export type { DpopProofRecord } from './hostile-dpop';

export type Json = Record<string, unknown>;

export interface RecordedRequest {
  readonly method: string;
  /** Path without the query. */
  readonly path: string;
  readonly query: URLSearchParams;
  readonly headers: IncomingMessage['headers'];
  /** The raw request body (token and revocation requests are form-encoded). */
  readonly body: string;
  /** The body parsed as `application/x-www-form-urlencoded`. */
  readonly form: URLSearchParams;
  readonly at: number;
}

/** One authorization request, as the provider saw it in the authorize URL. */
export interface AuthorizationRequest {
  readonly code: string;
  readonly clientId: string;
  readonly redirectUri: string;
  readonly state: string | null;
  readonly nonce: string | null;
  readonly scope: string | null;
  readonly responseType: string | null;
  readonly codeChallenge: string | null;
  readonly codeChallengeMethod: string | null;
  /** The callback a provider would send back (`<redirect_uri>?code=…&state=…&iss=…`). */
  readonly callback: string;
  /** True when the parameters came from a pushed request (RFC 9126), the URL holding only client_id and request_uri. */
  readonly pushed: boolean;
  /** The key the code is bound to (RFC 9449 §10): `dpop_jkt`, or the thumbprint of the push's proof. */
  readonly dpopJkt: string | null;
  used: boolean;
}

/** What the token endpoint saw in one authorization_code request: proof of PKCE. */
export interface CodeExchange {
  readonly code: string;
  readonly codeVerifier: string | null;
  readonly redirectUri: string | null;
  readonly clientId: string | null;
  /** The authorization request this code came from, if the code was ours. */
  readonly authorization: AuthorizationRequest | undefined;
  /** True when BASE64URL(SHA256(code_verifier)) equals the challenge of the authorize URL (RFC 7636 §4.6). */
  readonly pkceValid: boolean;
  /** Thumbprint of the valid DPoP proof the exchange carried, if any. */
  readonly dpopJkt: string | null;
}

/** Everything a test can hand the ID token signer. */
export interface SigningKeys {
  /** The provider's current RS256 key, published in the JWKS under `kid`. */
  readonly primary: NamedKey;
  /** An RSA key nobody published. */
  readonly foreign: NamedKey;
  /** Another RSA key, published only after `rotateKeys()`. */
  readonly next: NamedKey;
  /** A P-256 key for ES256 (not published unless a test adds it to the JWKS). */
  readonly ec: NamedKey;
}

export interface NamedKey {
  readonly kid: string;
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
  /** The public JWK with `kid`, `use: sig` and `alg`. */
  readonly jwk: JWK;
}

export interface TokenContext {
  readonly grantType: string | null;
  readonly authorization: AuthorizationRequest | undefined;
  readonly provider: HostileProvider;
  /** Thumbprint of the request's valid DPoP proof; undefined when it carried none. */
  readonly dpopJkt: string | undefined;
}

/** Where a DPoP quirk applies: the token and PAR endpoints, or userinfo and the APIs under /api/. */
export type DpopServer = 'authorization-server' | 'resource-server';

/** A handler that takes over a response completely: write whatever, or nothing at all. */
export type RawHandler = (request: IncomingMessage, response: ServerResponse, recorded: RecordedRequest) => void | Promise<void>;

/**
 * Per-test behaviour. Every field is optional: an empty script is a correct
 * provider. Mutators receive what a correct provider would send and return
 * what this one sends.
 */
export interface HostileScript {
  discovery?: (document: Json) => Json;
  /** The JWKS served at jwks_uri. */
  jwks?: (jwks: { keys: JWK[] }) => unknown;
  /** Claims of every ID token about to be signed (code and refresh grants). */
  idTokenClaims?: (claims: Json, context: TokenContext) => Json;
  /** Produces the ID token string from the final claims. Default: RS256 with the current key. */
  signIdToken?: (claims: Json, keys: SigningKeys) => Promise<string> | string;
  /** The token endpoint's JSON body before it is sent. */
  tokenResponse?: (body: Json, context: TokenContext) => Json;
  /** Takes over the token endpoint (after the request was recorded). */
  token?: RawHandler;
  /** The userinfo JSON body before it is sent. */
  userinfo?: (claims: Json) => Json;
  /** Takes over the revocation endpoint. */
  revocation?: RawHandler;
  /** Takes over the JWKS endpoint. */
  jwksRaw?: RawHandler;
  /** Takes over the discovery endpoint. */
  discoveryRaw?: RawHandler;
  /** Takes over the userinfo endpoint (e.g. a 401 without a challenge). */
  userinfoRaw?: RawHandler;
  /** Headers added to every response, successes included (a gateway in front of the provider). */
  responseHeaders?: Readonly<Record<string, string>>;
  /** Awaited before a request is answered: a slow provider (e.g. hold the token response until the test lets it go). */
  hold?: (recorded: RecordedRequest) => Promise<void> | void;
  /**
   * What discovery offers beyond the basics: a PAR endpoint (RFC 9126;
   * `required` adds `require_pushed_authorization_requests: true`) and DPoP
   * signing algorithms (RFC 9449 §5.1). Default: neither.
   */
  offer?: { readonly par?: boolean | 'required'; readonly dpopAlgs?: readonly string[] };
  /** Takes over the PAR endpoint (an OAuth error, a 5xx, no answer at all). */
  par?: RawHandler;
  /** DPoP misbehaviour. A correct DPoP server otherwise: proofs checked (§4.3), tokens bound to the proof's key. */
  dpop?: {
    /** Every proof to this server is refused: 400 `invalid_dpop_proof` (token, PAR) or 401 with a DPoP challenge (resources). */
    readonly rejectProofs?: DpopServer;
    /**
     * This server demands its nonce (§8, §9): a proof without the current one
     * is answered `use_dpop_nonce` with a `DPoP-Nonce` header. `rotate` issues
     * a new nonce after every accepted request, so each request is challenged.
     */
    readonly nonce?: { readonly server: DpopServer | 'both'; readonly rotate?: boolean };
  };
}

export interface HostileProvider {
  readonly issuer: string;
  readonly clientId: string;
  readonly port: number;
  readonly keys: SigningKeys;
  /** Replace to change behaviour; `reset()` empties it. */
  script: HostileScript;
  readonly requests: RecordedRequest[];
  readonly authorizations: AuthorizationRequest[];
  readonly exchanges: CodeExchange[];
  /** Every DPoP proof whose signature verified, in order (reset with the requests). */
  readonly dpopProofs: DpopProofRecord[];
  /** Every `use_dpop_nonce` challenge sent, by path (reset with the requests). */
  readonly nonceChallenges: string[];
  /** The key (JWK thumbprint) a live token is bound to; undefined for a bearer or unknown token. */
  boundKeyOf(token: string): string | undefined;
  /** The kid of the key the provider signs with now. */
  readonly currentKid: string;
  /** The subject the provider signs in. */
  readonly subject: string;
  /** Empties the script and the records; keys stay as they are. */
  reset(): void;
  resetRequests(): void;
  /** Requests to `path`, optionally of one method. */
  count(path: string, method?: string): number;
  /**
   * Mints a code for the authorize URL the core opened and returns the
   * authorization request, with the success callback in `callback`.
   */
  authorize(authorizeUrl: string): AuthorizationRequest;
  /** A callback for the authorize URL's redirect URI with exactly these parameters (in this order). */
  callbackWith(authorizeUrl: string, params: ReadonlyArray<readonly [string, string]>): string;
  /** From now on sign with `keys.next` and publish only it (a key rotation). */
  rotateKeys(): void;
  /** Every code, token, verifier and nonce the provider issued or received, each a unique string (never reset). */
  secrets(): string[];
  /** Every code_verifier the token endpoint received (never reset). */
  verifiers(): string[];
  /** Every nonce of an authorize URL (never reset). */
  nonces(): string[];
  /** A fresh recognisable secret (`hostile-<kind>-<n>-<hex>`), counted in `secrets()`: for hand-written hostile bodies. */
  mint(kind: string): string;
  /** While down, every connection is reset as soon as it is accepted. */
  setDown(down: boolean): void;
  close(): Promise<void>;
}

export const CLIENT_ID = 'hostile-desktop-client';
export const SUBJECT = 'hostile-user-1';

let keyPool: SigningKeys | undefined;

/** RSA key generation takes a while: the keys are made once per process and shared by every provider. */
export function signingKeys(): SigningKeys {
  keyPool ??= {
    primary: rsaKey('hostile-rs-1'),
    foreign: rsaKey('hostile-rs-1'), // same kid as the real key: a forgery that names the right key
    next: rsaKey('hostile-rs-2'),
    ec: ecKey('hostile-ec-1'),
  };
  return keyPool;
}

function rsaKey(kid: string): NamedKey {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return { kid, privateKey, publicKey, jwk: { ...(publicKey.export({ format: 'jwk' }) as JWK), kid, use: 'sig', alg: 'RS256' } };
}

function ecKey(kid: string): NamedKey {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return { kid, privateKey, publicKey, jwk: { ...(publicKey.export({ format: 'jwk' }) as JWK), kid, use: 'sig', alg: 'ES256' } };
}

/** Signs `claims` as a JWT with `key` under `alg` and header `kid` (pass `kid: null` for none). */
export async function signJwt(claims: Json, key: KeyObject | Uint8Array, alg: string, kid: string | null): Promise<string> {
  const header = { alg, typ: 'JWT', ...(kid === null ? {} : { kid }) };
  return new SignJWT(claims).setProtectedHeader(header).sign(key);
}

/** An unsecured JWT: `alg: none` and an empty signature (RFC 7519 §6). */
export function unsignedJwt(claims: Json): string {
  const header = base64url.encode(JSON.stringify({ alg: 'none', typ: 'JWT' }));
  return `${header}.${base64url.encode(JSON.stringify(claims))}.`;
}

/**
 * The algorithm-confusion forgery (RFC 8725 §2.1): HS256 whose HMAC secret is
 * the provider's PUBLIC key (its PEM text), which a naive verifier that
 * trusts the header's `alg` would accept.
 */
export async function hs256WithPublicKey(claims: Json, key: NamedKey): Promise<string> {
  const secret = new TextEncoder().encode(key.publicKey.export({ format: 'pem', type: 'spki' }) as string);
  const header = { alg: 'HS256', typ: 'JWT', kid: key.kid };
  return new CompactSign(new TextEncoder().encode(JSON.stringify(claims))).setProtectedHeader(header).sign(secret);
}

/** A validly signed JWT whose payload was changed afterwards: the signature no longer matches. */
export function tamperPayload(jwt: string, change: (claims: Json) => Json): string {
  const [header, payload, signature] = jwt.split('.');
  const claims = JSON.parse(new TextDecoder().decode(base64url.decode(payload ?? ''))) as Json;
  return `${header}.${base64url.encode(JSON.stringify(change(claims)))}.${signature}`;
}

/** BASE64URL(SHA256(verifier)), RFC 7636 §4.2. */
export function s256(verifier: string): string {
  return createHash('sha256').update(verifier, 'ascii').digest('base64url');
}

export async function startHostileProvider(): Promise<HostileProvider> {
  const keys = signingKeys();
  const server: Server = createServer();
  const sockets = new Set<Socket>();
  let down = false;
  server.on('connection', (socket: Socket) => {
    if (down) {
      socket.destroy();
      return;
    }
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const issuer = `http://127.0.0.1:${port}`;

  const requests: RecordedRequest[] = [];
  const authorizations: AuthorizationRequest[] = [];
  const exchanges: CodeExchange[] = [];
  const dpopProofs: DpopProofRecord[] = [];
  const nonceChallenges: string[] = [];
  const seenJti = new Set<string>();
  const dpopNonces: Record<DpopServer, string> = { 'authorization-server': freshNonce(), 'resource-server': freshNonce() };
  const codes = new Map<string, AuthorizationRequest>();
  /** Pushed authorization requests by request_uri (single use). */
  const pushed = new Map<string, { params: URLSearchParams; dpopJkt: string | null; used: boolean }>();
  /** Live access tokens with the key each is bound to, and refresh tokens with whether they were used (rotation: single use). */
  const accessTokens = new Map<string, { jkt: string | undefined }>();
  const refreshTokens = new Map<string, { used: boolean; jkt: string | undefined }>();
  const issued: string[] = [];
  const receivedVerifiers: string[] = [];
  let signingKey: NamedKey = keys.primary;
  let published: NamedKey[] = [keys.primary];
  let sequence = 0;

  function mint(kind: string): string {
    sequence += 1;
    const value = `hostile-${kind}-${sequence}-${randomBytes(12).toString('hex')}`;
    issued.push(value);
    return value;
  }

  const provider: HostileProvider = {
    issuer,
    clientId: CLIENT_ID,
    port,
    keys,
    script: {},
    requests,
    authorizations,
    exchanges,
    dpopProofs,
    nonceChallenges,
    boundKeyOf(token) {
      return accessTokens.get(token)?.jkt ?? refreshTokens.get(token)?.jkt;
    },
    get currentKid() {
      return signingKey.kid;
    },
    subject: SUBJECT,
    reset() {
      provider.script = {};
      provider.resetRequests();
    },
    resetRequests() {
      requests.length = 0;
      exchanges.length = 0;
      dpopProofs.length = 0;
      nonceChallenges.length = 0;
    },
    count(path, method) {
      return requests.filter((r) => r.path === path && (method === undefined || r.method === method)).length;
    },
    authorize(authorizeUrl) {
      const url = new URL(authorizeUrl);
      const push = pushedFor(url, true);
      const params = push?.params ?? url.searchParams;
      const redirectUri = params.get('redirect_uri') ?? '';
      const code = mint('code');
      const state = params.get('state');
      const callback = new URL(redirectUri);
      callback.searchParams.set('code', code);
      if (state !== null) callback.searchParams.set('state', state);
      callback.searchParams.set('iss', issuer);
      const authorization: AuthorizationRequest = {
        code,
        clientId: params.get('client_id') ?? '',
        redirectUri,
        state,
        nonce: params.get('nonce'),
        scope: params.get('scope'),
        responseType: params.get('response_type'),
        codeChallenge: params.get('code_challenge'),
        codeChallengeMethod: params.get('code_challenge_method'),
        callback: callback.href,
        pushed: push !== undefined,
        dpopJkt: push ? push.dpopJkt : params.get('dpop_jkt'),
        used: false,
      };
      codes.set(code, authorization);
      authorizations.push(authorization);
      return authorization;
    },
    callbackWith(authorizeUrl, params) {
      const url = new URL(authorizeUrl);
      const redirectUri = (pushedFor(url, false)?.params ?? url.searchParams).get('redirect_uri') ?? '';
      const callback = new URL(redirectUri);
      for (const [name, value] of params) callback.searchParams.append(name, value);
      return callback.href;
    },
    rotateKeys() {
      signingKey = keys.next;
      published = [keys.next];
    },
    secrets() {
      return [...new Set([...issued, ...provider.verifiers(), ...provider.nonces()])];
    },
    verifiers() {
      return [...new Set(receivedVerifiers)];
    },
    nonces() {
      return [...new Set(authorizations.flatMap((a) => (a.nonce ? [a.nonce] : [])))];
    },
    mint,
    setDown(value) {
      down = value;
      if (value) for (const socket of sockets) socket.destroy();
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };

  function freshNonce(): string {
    return randomBytes(16).toString('base64url');
  }

  /** The pushed request an authorize URL names by request_uri; `take` spends it (a request_uri is single use, RFC 9126 §4). */
  function pushedFor(url: URL, take: boolean): { params: URLSearchParams; dpopJkt: string | null } | undefined {
    const requestUri = url.searchParams.get('request_uri');
    if (requestUri === null) return undefined;
    const entry = pushed.get(requestUri);
    if (!entry || (take && entry.used)) throw new Error('the authorize URL names a request_uri this provider did not issue, or one already used');
    if (entry.params.get('client_id') !== url.searchParams.get('client_id')) throw new Error('client_id of the authorize URL differs from the pushed one');
    if (take) entry.used = true;
    return entry;
  }

  /**
   * The nonce rule of §8/§9: when the script demands a nonce from `server`
   * and the proof lacks the current one, answers `use_dpop_nonce` and
   * returns true (the request is done).
   */
  function nonceChallenged(server: DpopServer, proofNonce: unknown, path: string, response: ServerResponse): boolean {
    const rule = provider.script.dpop?.nonce;
    if (!rule || (rule.server !== 'both' && rule.server !== server)) return false;
    if (proofNonce === dpopNonces[server]) {
      if (rule.rotate) dpopNonces[server] = freshNonce();
      return false;
    }
    nonceChallenges.push(path);
    if (server === 'authorization-server') {
      const text = JSON.stringify({ error: 'use_dpop_nonce', error_description: 'Authorization server requires nonce in DPoP proof' });
      response.writeHead(400, { 'content-type': 'application/json', 'cache-control': 'no-store', 'dpop-nonce': dpopNonces[server] }).end(text);
    } else {
      response
        .writeHead(401, { 'www-authenticate': 'DPoP error="use_dpop_nonce", error_description="Resource server requires nonce in DPoP proof", algs="ES256 EdDSA"', 'dpop-nonce': dpopNonces[server], 'content-type': 'application/json' })
        .end('{"error":"use_dpop_nonce"}');
    }
    return true;
  }

  /**
   * The DPoP proof of a request to the token or PAR endpoint: undefined when
   * it has none, the proof's key thumbprint when valid, or `null` after the
   * request was answered (refused proof, nonce challenge).
   */
  async function authorizationServerProof(request: IncomingMessage, recorded: RecordedRequest, response: ServerResponse): Promise<string | undefined | null> {
    const check = await checkDpopProof(request.headers['dpop'], { path: recorded.path, htm: 'POST', htu: `${issuer}${recorded.path}` }, seenJti);
    if (check.kind === 'absent') return undefined;
    if (check.proof) dpopProofs.push(check.proof);
    if (check.kind === 'invalid' || provider.script.dpop?.rejectProofs === 'authorization-server') {
      sendJson(response, 400, { error: 'invalid_dpop_proof', error_description: check.kind === 'invalid' ? check.reason : 'proof refused' });
      return null;
    }
    if (nonceChallenged('authorization-server', check.proof.nonce, recorded.path, response)) return null;
    return check.proof.jkt;
  }

  async function handlePar(request: IncomingMessage, response: ServerResponse, recorded: RecordedRequest): Promise<void> {
    if (provider.script.par) return provider.script.par(request, response, recorded);
    if (!provider.script.offer?.par) {
      sendJson(response, 404, { error: 'not_found' });
      return;
    }
    const proofJkt = await authorizationServerProof(request, recorded, response);
    if (proofJkt === null) return;
    const params = new URLSearchParams(recorded.form);
    if (params.get('client_id') !== CLIENT_ID) {
      sendJson(response, 401, { error: 'invalid_client' });
      return;
    }
    if (params.has('request_uri')) {
      sendJson(response, 400, { error: 'invalid_request', error_description: 'request_uri must not be pushed' });
      return;
    }
    const dpopJkt = params.get('dpop_jkt');
    if (proofJkt && dpopJkt && proofJkt !== dpopJkt) {
      sendJson(response, 400, { error: 'invalid_dpop_proof', error_description: 'dpop_jkt does not match the proof' });
      return;
    }
    const requestUri = `urn:ietf:params:oauth:request_uri:${randomBytes(16).toString('base64url')}`;
    pushed.set(requestUri, { params, dpopJkt: dpopJkt ?? proofJkt ?? null, used: false });
    sendJson(response, 201, { request_uri: requestUri, expires_in: 60 });
  }

  function discoveryDocument(): Json {
    const offer = provider.script.offer;
    return {
      ...(offer?.par ? { pushed_authorization_request_endpoint: `${issuer}/par` } : {}),
      ...(offer?.par === 'required' ? { require_pushed_authorization_requests: true } : {}),
      ...(offer?.dpopAlgs ? { dpop_signing_alg_values_supported: [...offer.dpopAlgs] } : {}),
      issuer,
      authorization_endpoint: `${issuer}/authorize`,
      token_endpoint: `${issuer}/token`,
      jwks_uri: `${issuer}/jwks`,
      userinfo_endpoint: `${issuer}/userinfo`,
      revocation_endpoint: `${issuer}/revoke`,
      response_types_supported: ['code'],
      response_modes_supported: ['query'],
      grant_types_supported: ['authorization_code', 'refresh_token'],
      subject_types_supported: ['public'],
      scopes_supported: ['openid', 'profile', 'email', 'offline_access'],
      token_endpoint_auth_methods_supported: ['none'],
      code_challenge_methods_supported: ['S256'],
      id_token_signing_alg_values_supported: ['RS256'],
      authorization_response_iss_parameter_supported: true,
      claims_supported: ['sub', 'iss', 'aud', 'exp', 'iat', 'nonce', 'name', 'email'],
    };
  }

  async function idToken(context: TokenContext, nonce: string | null): Promise<string> {
    const now = Math.floor(Date.now() / 1000);
    const base: Json = {
      iss: issuer,
      sub: SUBJECT,
      aud: CLIENT_ID,
      iat: now,
      exp: now + 600,
      ...(nonce ? { nonce } : {}),
      name: 'Harriet Hostile',
      email: 'harriet@hostile.test',
      jti: randomUUID(),
    };
    const claims = provider.script.idTokenClaims ? provider.script.idTokenClaims(base, context) : base;
    const jwt = provider.script.signIdToken
      ? await provider.script.signIdToken(claims, keys)
      : await signJwt(claims, signingKey.privateKey, 'RS256', signingKey.kid);
    issued.push(jwt);
    // Parts of the JWT are unique on their own; a partial leak is still a leak.
    for (const part of jwt.split('.').slice(1)) if (part.length >= 16) issued.push(part);
    return jwt;
  }

  async function handleToken(request: IncomingMessage, response: ServerResponse, recorded: RecordedRequest): Promise<void> {
    const form = recorded.form;
    const grantType = form.get('grant_type');
    let authorization: AuthorizationRequest | undefined;
    let nonce: string | null = null;
    // A scripted takeover of the endpoint sees the raw request, proof and all: no DPoP rules first.
    const proofJkt = provider.script.token ? undefined : await authorizationServerProof(request, recorded, response);
    if (proofJkt === null) return;
    if (grantType === 'authorization_code') {
      const code = form.get('code') ?? '';
      authorization = codes.get(code);
      const verifier = form.get('code_verifier');
      if (verifier) receivedVerifiers.push(verifier);
      const pkceValid = Boolean(authorization?.codeChallenge && authorization.codeChallengeMethod === 'S256' && verifier && s256(verifier) === authorization.codeChallenge);
      exchanges.push({ code, codeVerifier: verifier, redirectUri: form.get('redirect_uri'), clientId: form.get('client_id') ?? basicClientId(request), authorization, pkceValid, dpopJkt: proofJkt ?? null });
    }
    const context: TokenContext = { grantType, authorization, provider, dpopJkt: proofJkt };
    if (provider.script.token) {
      await provider.script.token(request, response, recorded);
      return;
    }
    if (grantType === 'authorization_code') {
      const last = exchanges.at(-1);
      if (!authorization || authorization.used || !last?.pkceValid || last.redirectUri !== authorization.redirectUri || last.clientId !== CLIENT_ID) {
        if (authorization) authorization.used = true;
        sendJson(response, 400, { error: 'invalid_grant', error_description: 'grant request is invalid' });
        return;
      }
      authorization.used = true;
      // RFC 9449 §10: a code bound to a key is redeemed only with a proof of that key.
      if (authorization.dpopJkt !== null && authorization.dpopJkt !== proofJkt) {
        sendJson(response, 400, { error: 'invalid_grant', error_description: 'grant request is invalid' });
        return;
      }
      nonce = authorization.nonce;
    } else if (grantType === 'refresh_token') {
      const entry = refreshTokens.get(form.get('refresh_token') ?? '');
      // RFC 9449 §5: a bound refresh token is used only with a proof of its key.
      if (!entry || entry.used || (entry.jkt !== undefined && entry.jkt !== proofJkt)) {
        sendJson(response, 400, { error: 'invalid_grant', error_description: 'grant request is invalid' });
        return;
      }
      entry.used = true;
    } else {
      sendJson(response, 400, { error: 'unsupported_grant_type' });
      return;
    }
    const accessToken = mint('at');
    const refreshToken = mint('rt');
    const body: Json = {
      access_token: accessToken,
      token_type: proofJkt ? 'DPoP' : 'Bearer',
      expires_in: 300,
      refresh_token: refreshToken,
      id_token: await idToken(context, nonce),
      scope: 'openid profile email offline_access',
    };
    const sent = provider.script.tokenResponse ? provider.script.tokenResponse(body, context) : body;
    // The token is what the response says it is: a DPoP token bound to the proof's key, or a bearer token.
    const tokenType = typeof sent['token_type'] === 'string' ? sent['token_type'].toLowerCase() : '';
    accessTokens.set(accessToken, { jkt: tokenType === 'dpop' ? proofJkt : undefined });
    // A public client's refresh token is bound whenever the request had a proof (§5), whatever the access token's type.
    refreshTokens.set(refreshToken, { used: false, jkt: proofJkt });
    sendJson(response, 200, sent);
  }

  /**
   * A request to a protected resource (userinfo, /api/…), checked as a
   * resource server does (RFC 6750, RFC 9449 §7): a bearer token as Bearer,
   * a DPoP-bound token as DPoP with a proof of its key carrying `ath`.
   * Answers the refusal itself and returns false, or returns true.
   */
  async function resourceAccess(request: IncomingMessage, recorded: RecordedRequest, response: ServerResponse): Promise<boolean> {
    const header = request.headers.authorization ?? '';
    const [scheme = '', token = ''] = header.split(' ', 2);
    const entry = accessTokens.get(token);
    const refuse = (challenge: string): false => {
      response.writeHead(401, { 'www-authenticate': challenge, 'content-type': 'application/json' }).end('{"error":"invalid_token"}');
      return false;
    };
    if (!entry) return refuse(scheme.toLowerCase() === 'dpop' ? 'DPoP error="invalid_token", algs="ES256 EdDSA"' : 'Bearer error="invalid_token"');
    if (entry.jkt === undefined) {
      return scheme === 'Bearer' ? true : refuse('Bearer error="invalid_token", error_description="bearer token sent under another scheme"');
    }
    if (scheme !== 'DPoP') return refuse('DPoP error="invalid_token", error_description="DPoP-bound token sent as bearer", algs="ES256 EdDSA"');
    const check = await checkDpopProof(request.headers['dpop'], { path: recorded.path, htm: recorded.method, htu: `${issuer}${recorded.path}`, accessToken: token }, seenJti);
    if (check.kind !== 'absent' && check.proof) dpopProofs.push(check.proof);
    if (check.kind !== 'valid') return refuse(`DPoP error="invalid_dpop_proof", error_description="${check.kind === 'absent' ? 'no proof' : check.reason}", algs="ES256 EdDSA"`);
    if (provider.script.dpop?.rejectProofs === 'resource-server') return refuse('DPoP error="invalid_dpop_proof", error_description="proof refused", algs="ES256 EdDSA"');
    if (check.proof.jkt !== entry.jkt) return refuse('DPoP error="invalid_dpop_proof", error_description="proof of another key", algs="ES256 EdDSA"');
    if (nonceChallenged('resource-server', check.proof.nonce, recorded.path, response)) return false;
    return true;
  }

  async function handleUserinfo(request: IncomingMessage, response: ServerResponse, recorded: RecordedRequest): Promise<void> {
    if (!(await resourceAccess(request, recorded, response))) return;
    const claims: Json = { sub: SUBJECT, name: 'Harriet Hostile', email: 'harriet@hostile.test' };
    sendJson(response, 200, provider.script.userinfo ? provider.script.userinfo(claims) : claims);
  }

  server.on('request', (request: IncomingMessage, response: ServerResponse) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const url = new URL(request.url ?? '/', issuer);
      const body = Buffer.concat(chunks).toString('utf8');
      const recorded: RecordedRequest = {
        method: request.method ?? 'GET',
        path: url.pathname,
        query: url.searchParams,
        headers: request.headers,
        body,
        form: new URLSearchParams(body),
        at: Date.now(),
      };
      requests.push(recorded);
      void route(request, response, recorded).catch((error: unknown) => {
        if (!response.headersSent) sendJson(response, 500, { error: 'server_error', error_description: String(error) });
        else response.destroy();
      });
    });
  });

  async function route(request: IncomingMessage, response: ServerResponse, recorded: RecordedRequest): Promise<void> {
    const script = provider.script;
    await script.hold?.(recorded);
    for (const [name, value] of Object.entries(script.responseHeaders ?? {})) response.setHeader(name, value);
    switch (`${recorded.method} ${recorded.path}`) {
      case 'GET /.well-known/openid-configuration':
        if (script.discoveryRaw) return script.discoveryRaw(request, response, recorded);
        sendJson(response, 200, script.discovery ? script.discovery(discoveryDocument()) : discoveryDocument());
        return;
      case 'GET /jwks': {
        if (script.jwksRaw) return script.jwksRaw(request, response, recorded);
        const jwks = { keys: published.map((k) => k.jwk) };
        sendJson(response, 200, script.jwks ? script.jwks(jwks) : jwks, 'application/jwk-set+json');
        return;
      }
      case 'POST /token':
        return handleToken(request, response, recorded);
      case 'GET /userinfo':
      case 'POST /userinfo':
        if (script.userinfoRaw) return script.userinfoRaw(request, response, recorded);
        return handleUserinfo(request, response, recorded);
      case 'POST /par':
        return handlePar(request, response, recorded);
      case 'POST /revoke':
        if (script.revocation) return script.revocation(request, response, recorded);
        {
          const token = recorded.form.get('token') ?? '';
          accessTokens.delete(token);
          refreshTokens.delete(token);
        }
        response.writeHead(200).end();
        return;
      default:
        // An API on the provider's origin, for callApi: answers who called and how.
        if (recorded.path.startsWith('/api/')) {
          if (await resourceAccess(request, recorded, response)) {
            sendJson(response, 200, { sub: SUBJECT, path: recorded.path, method: recorded.method, scheme: (request.headers.authorization ?? '').split(' ')[0] });
          }
          return;
        }
        sendJson(response, 404, { error: 'not_found' });
    }
  }

  return provider;
}

/** The client id of an RFC 6749 §2.3.1 Basic `Authorization` header (client_secret_basic), or null. */
function basicClientId(request: IncomingMessage): string | null {
  const [scheme = '', value = ''] = (request.headers.authorization ?? '').split(' ', 2);
  if (scheme.toLowerCase() !== 'basic') return null;
  const decoded = Buffer.from(value, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon < 0 ? null : decodeURIComponent(decoded.slice(0, colon));
}

export function sendJson(response: ServerResponse, status: number, body: unknown, contentType = 'application/json'): void {
  const text = JSON.stringify(body);
  response.writeHead(status, { 'content-type': contentType, 'cache-control': 'no-store', 'content-length': Buffer.byteLength(text) }).end(text);
}

export interface HugeBodyResult {
  /** Bytes the server managed to hand to the socket before it closed or finished. */
  readonly bytesWritten: number;
  /** True when the whole body was written (the client read it all, or the kernel buffered it). */
  readonly finished: boolean;
  /** True when the connection closed before the body was complete. */
  readonly clientAborted: boolean;
}

/**
 * Writes a JSON-looking body of `totalBytes`, chunk by chunk, honouring
 * backpressure (so the bytes written track what the client actually read,
 * give or take the socket buffers). Resolves when the connection closes or
 * the body is complete.
 */
export function streamHugeBody(response: ServerResponse, options: { totalBytes: number; declareLength: boolean; filler: string }): Promise<HugeBodyResult> {
  return new Promise((resolve) => {
    const chunk = Buffer.alloc(64 * 1024, options.filler);
    let written = 0;
    let settled = false;
    const settle = (finished: boolean): void => {
      if (settled) return;
      settled = true;
      resolve({ bytesWritten: written, finished, clientAborted: !finished });
    };
    response.once('close', () => settle(written >= options.totalBytes && response.writableFinished));
    response.writeHead(200, {
      'content-type': 'application/json',
      ...(options.declareLength ? { 'content-length': options.totalBytes } : {}),
    });
    const pump = (): void => {
      while (written < options.totalBytes && !response.destroyed) {
        const piece = chunk.subarray(0, Math.min(chunk.length, options.totalBytes - written));
        written += piece.length;
        if (!response.write(piece)) {
          response.once('drain', pump);
          return;
        }
      }
      if (!response.destroyed) response.end(() => settle(true));
    };
    pump();
  });
}
