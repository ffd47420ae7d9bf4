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
}

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
  const codes = new Map<string, AuthorizationRequest>();
  /** Live access tokens, and refresh tokens with whether they were used (rotation: single use). */
  const accessTokens = new Set<string>();
  const refreshTokens = new Map<string, { used: boolean }>();
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
    },
    count(path, method) {
      return requests.filter((r) => r.path === path && (method === undefined || r.method === method)).length;
    },
    authorize(authorizeUrl) {
      const url = new URL(authorizeUrl);
      const params = url.searchParams;
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
        used: false,
      };
      codes.set(code, authorization);
      authorizations.push(authorization);
      return authorization;
    },
    callbackWith(authorizeUrl, params) {
      const redirectUri = new URL(authorizeUrl).searchParams.get('redirect_uri') ?? '';
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

  function discoveryDocument(): Json {
    return {
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
    if (grantType === 'authorization_code') {
      const code = form.get('code') ?? '';
      authorization = codes.get(code);
      const verifier = form.get('code_verifier');
      if (verifier) receivedVerifiers.push(verifier);
      const pkceValid = Boolean(authorization?.codeChallenge && authorization.codeChallengeMethod === 'S256' && verifier && s256(verifier) === authorization.codeChallenge);
      exchanges.push({ code, codeVerifier: verifier, redirectUri: form.get('redirect_uri'), clientId: form.get('client_id'), authorization, pkceValid });
    }
    const context: TokenContext = { grantType, authorization, provider };
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
      nonce = authorization.nonce;
    } else if (grantType === 'refresh_token') {
      const entry = refreshTokens.get(form.get('refresh_token') ?? '');
      if (!entry || entry.used) {
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
    accessTokens.add(accessToken);
    refreshTokens.set(refreshToken, { used: false });
    const body: Json = {
      access_token: accessToken,
      token_type: 'Bearer',
      expires_in: 300,
      refresh_token: refreshToken,
      id_token: await idToken(context, nonce),
      scope: 'openid profile email offline_access',
    };
    sendJson(response, 200, provider.script.tokenResponse ? provider.script.tokenResponse(body, context) : body);
  }

  function handleUserinfo(request: IncomingMessage, response: ServerResponse): void {
    const header = request.headers.authorization ?? '';
    const token = header.startsWith('Bearer ') ? header.slice('Bearer '.length) : '';
    if (!accessTokens.has(token)) {
      response.writeHead(401, { 'www-authenticate': 'Bearer error="invalid_token"', 'content-type': 'application/json' }).end('{"error":"invalid_token"}');
      return;
    }
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
        handleUserinfo(request, response);
        return;
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
        sendJson(response, 404, { error: 'not_found' });
    }
  }

  return provider;
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
