/**
 * Diagnostics for measurement (2): the core's own work, without a network.
 *
 * `measureCoreCpu` runs handleRedirect → signed-in against an in-memory
 * provider: the core's fetch port answers discovery, JWKS and the token
 * request from memory, with an ID token signed (RS256, jose) for the flow's
 * nonce before the clock starts. What is left is exactly what the core does
 * per redirect: parse and check the callback, build the openid-client
 * configuration, the bounded fetch, the token response processing,
 * ID-token signature and claims checks, the session state. The vault is in
 * memory, so no keychain time either.
 *
 * The micro-benchmarks split that further: the bounded fetch wrapper on a
 * token-sized JSON response, and building one openid-client Configuration
 * (which the core does per operation).
 *
 * `measureOwnWorkByMode` does the same with the in-memory provider offering
 * PAR (RFC 9126) and/or DPoP (RFC 9449), for the par-dpop phase: what each
 * costs the core itself on the click path and on the redirect path.
 */
import type { webcrypto } from 'node:crypto';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { createAuthService, createMemoryVault, validateConfig } from '../main/auth/index';
import { createBoundedFetch, DEFAULT_MAX_BODY_BYTES } from '../main/auth/bounded-fetch';
import { clientConfiguration, discoverProvider } from '../main/auth/provider-metadata';
import { vaultKey } from '../main/auth/pending-flow';
import { CUSTOM_SCHEME_REDIRECT, expectSignedIn } from './env';

const ISSUER = 'http://127.0.0.1:9';
const CLIENT_ID = 'bench-client';

export interface CoreCpuResult {
  /** handleRedirect → signed-in, in-memory transport and vault. */
  readonly redirectOwnWorkMs: number[];
  /** A token-sized JSON response read with .json(): through the core's bounded fetch, and directly. */
  readonly boundedJsonMs: number[];
  readonly plainJsonMs: number[];
  /** clientConfiguration(): one openid-client Configuration, as the core builds per operation. */
  readonly configurationMs: number[];
}

function json(body: string, status = 200): Response {
  return new Response(body, { status, headers: { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) } });
}

/** What the in-memory provider offers, as the development provider's `par` / `dpop` would. */
export interface OwnWorkMode {
  /** `pushed_authorization_request_endpoint` in discovery (RFC 9126): the core pushes before the browser. */
  readonly par: boolean;
  /** `dpop_signing_alg_values_supported: ['ES256']` (RFC 9449): a key per sign-in, a proof per token request. */
  readonly dpop: boolean;
}

const NEITHER: OwnWorkMode = { par: false, dpop: false };

/**
 * A provider inside the core's fetch port: discovery, JWKS, the pushed
 * request and the token request answered from memory, with an ID token
 * signed (RS256, jose) for the flow's nonce before the clock starts. The
 * token endpoint answers `token_type: DPoP` to a request with a proof, and
 * refuses a request without one when DPoP is offered, so a run that signed
 * nothing cannot pass for a DPoP run. Proofs are not verified: that is the
 * provider's work, not the core's.
 */
async function inMemoryProvider(mode: OwnWorkMode): Promise<{
  readonly transport: typeof fetch;
  /** state and nonce of the latest authorization request (from the URL, or from the push under PAR). */
  authorizationParameters(openedUrl: string): URLSearchParams;
  /** Signs the next token response for `nonce` (untimed: the provider's work). */
  prepareTokenResponse(nonce: string): Promise<void>;
}> {
  const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true });
  const publicJwk = { ...(await exportJWK(publicKey)), kid: 'bench-key', alg: 'RS256', use: 'sig' };
  const discovery = {
    issuer: ISSUER,
    authorization_endpoint: `${ISSUER}/auth`,
    token_endpoint: `${ISSUER}/token`,
    jwks_uri: `${ISSUER}/jwks`,
    revocation_endpoint: `${ISSUER}/token/revocation`,
    response_types_supported: ['code'],
    subject_types_supported: ['public'],
    id_token_signing_alg_values_supported: ['RS256'],
    code_challenge_methods_supported: ['S256'],
    authorization_response_iss_parameter_supported: true,
    token_endpoint_auth_methods_supported: ['none'],
    ...(mode.par ? { pushed_authorization_request_endpoint: `${ISSUER}/par` } : {}),
    ...(mode.dpop ? { dpop_signing_alg_values_supported: ['ES256'] } : {}),
  };
  let tokenBody = '';
  let pushed = new URLSearchParams();
  const refuse = (what: string): Response => json(JSON.stringify({ error: 'invalid_dpop_proof', error_description: `bench: ${what}` }), 400);
  const transport = (async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const url = new URL(typeof input === 'string' ? input : input instanceof URL ? input.href : input.url);
    const hasProof = new Headers(init?.headers ?? (input instanceof Request ? input.headers : undefined)).has('dpop');
    switch (url.pathname) {
      case '/.well-known/openid-configuration':
        return json(JSON.stringify(discovery));
      case '/jwks':
        return json(JSON.stringify({ keys: [publicJwk] }));
      case '/par':
        if (mode.dpop && !hasProof) return refuse('a push without a DPoP proof');
        pushed = formOf(init?.body);
        return json(JSON.stringify({ request_uri: 'urn:ietf:params:oauth:request_uri:bench', expires_in: 60 }), 201);
      case '/token':
        if (mode.dpop && !hasProof) return refuse('a token request without a DPoP proof');
        return json(hasProof ? tokenBody.replace('"token_type":"Bearer"', '"token_type":"DPoP"') : tokenBody);
      case '/token/revocation':
        return new Response(null, { status: 200 });
      default:
        return new Response('not found', { status: 404 });
    }
  }) as typeof fetch;
  return {
    transport,
    authorizationParameters(openedUrl) {
      const params = new URL(openedUrl).searchParams;
      return params.has('request_uri') ? pushed : params;
    },
    async prepareTokenResponse(nonce) {
      tokenBody = await tokenResponseFor(privateKey, nonce);
    },
  };
}

function formOf(body: RequestInit['body'] | undefined): URLSearchParams {
  if (body instanceof URLSearchParams) return new URLSearchParams(body);
  if (typeof body === 'string') return new URLSearchParams(body);
  throw new Error('core-cpu: the pushed authorization request has no form body');
}

async function tokenResponseFor(privateKey: webcrypto.CryptoKey, nonce: string): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  const idToken = await new SignJWT({ nonce, name: 'Dana Demo', email: 'dana@example.test', email_verified: true })
    .setProtectedHeader({ alg: 'RS256', kid: 'bench-key', typ: 'JWT' })
    .setIssuer(ISSUER)
    .setAudience(CLIENT_ID)
    .setSubject('demo-user-1')
    .setIssuedAt(now)
    .setExpirationTime(now + 3600)
    .sign(privateKey);
  // The size and shape of the development provider's answer (opaque tokens of its length).
  return JSON.stringify({
    access_token: 'a'.repeat(43),
    expires_in: 3600,
    id_token: idToken,
    refresh_token: 'r'.repeat(43),
    scope: 'openid profile email offline_access',
    token_type: 'Bearer',
  });
}

/** One sign-in's own work in one mode: signIn → openExternal, and handleRedirect → signed-in. */
interface OwnWorkSample {
  readonly clickToOpenMs: number;
  readonly redirectMs: number;
  readonly redirectStartMicros: number;
  readonly redirectEndMicros: number;
}

const config = validateConfig({ issuer: ISSUER, clientId: CLIENT_ID, redirectUri: CUSTOM_SCHEME_REDIRECT, endSessionInBrowser: false });

async function ownWorkOnce(provider: Awaited<ReturnType<typeof inMemoryProvider>>): Promise<OwnWorkSample> {
  let opened: string | undefined;
  let openedAt: number | undefined;
  let signedAt: number | undefined;
  const auth = createAuthService({
    config,
    vault: createMemoryVault(),
    fetch: provider.transport,
    async openExternal(url) {
      openedAt ??= performance.now();
      opened = url;
    },
  });
  let signedMicros = 0;
  auth.onSessionChange((state) => {
    if (state.status === 'signed-in' && signedAt === undefined) {
      signedAt = performance.now();
      signedMicros = Number(process.hrtime.bigint() / 1000n);
    }
  });
  try {
    await auth.ready();
    const clickAt = performance.now();
    await auth.signIn();
    if (!opened || openedAt === undefined) throw new Error('core-cpu: the browser was not opened');
    const params = provider.authorizationParameters(opened);
    await provider.prepareTokenResponse(params.get('nonce') ?? '');
    const callback = `${CUSTOM_SCHEME_REDIRECT}?code=bench-code&state=${encodeURIComponent(params.get('state') ?? '')}&iss=${encodeURIComponent(ISSUER)}`;
    const startMicros = Number(process.hrtime.bigint() / 1000n);
    const start = performance.now();
    await auth.handleRedirect(callback);
    expectSignedIn(auth.getSession(), 'core-cpu');
    if (signedAt === undefined) throw new Error('core-cpu: no signed-in event');
    return { clickToOpenMs: openedAt - clickAt, redirectMs: signedAt - start, redirectStartMicros: startMicros, redirectEndMicros: signedMicros };
  } finally {
    await auth.signOut().catch(() => undefined);
    auth.dispose();
  }
}

/** @param onWindow receives each measured redirect's bounds in µs of process.hrtime (for the profiler). */
export async function measureCoreCpu(runs: number, warmup: number, onWindow?: (startMicros: number, endMicros: number) => void): Promise<CoreCpuResult> {
  const provider = await inMemoryProvider(NEITHER);
  const { transport } = provider;
  const redirectOwnWorkMs: number[] = [];
  for (let i = 0; i < warmup + runs; i += 1) {
    const sample = await ownWorkOnce(provider);
    if (i >= warmup) {
      redirectOwnWorkMs.push(sample.redirectMs);
      onWindow?.(sample.redirectStartMicros, sample.redirectEndMicros);
    }
  }

  // Micro-benchmarks on the same token-sized body.
  const { privateKey: signingKey } = await generateKeyPair('RS256');
  const body = await tokenResponseFor(signingKey, 'n'.repeat(43));
  const bounded = createBoundedFetch(async () => json(body), { timeoutMs: 10_000, maxBodyBytes: DEFAULT_MAX_BODY_BYTES });
  const plain = (async () => json(body)) as typeof fetch;
  const boundedJsonMs: number[] = [];
  const plainJsonMs: number[] = [];
  for (let i = 0; i < warmup + runs; i += 1) {
    const a = performance.now();
    await (await bounded(`${ISSUER}/token`)).json();
    const b = performance.now();
    await (await plain(`${ISSUER}/token`)).json();
    const c = performance.now();
    if (i >= warmup) {
      boundedJsonMs.push(b - a);
      plainJsonMs.push(c - b);
    }
  }
  const deps = { fetch: transport, timeoutMs: 10_000 };
  const meta = await discoverProvider(config, deps);
  const configurationMs: number[] = [];
  for (let i = 0; i < warmup + runs; i += 1) {
    const a = performance.now();
    clientConfiguration(meta, config, deps);
    const b = performance.now();
    if (i >= warmup) configurationMs.push(b - a);
  }
  return { redirectOwnWorkMs, boundedJsonMs, plainJsonMs, configurationMs };
}

export interface OwnWorkByMode {
  readonly mode: OwnWorkMode;
  /** signIn → openExternal: PKCE, state, nonce; with DPoP the key pair and its thumbprint; with PAR the push (answered from memory). */
  readonly clickToOpenMs: number[];
  /** handleRedirect → signed-in: as (2e); with DPoP one proof signed for the token request. */
  readonly redirectOwnWorkMs: number[];
}

/**
 * The core's own work per mode, runs interleaved across the modes in
 * rotating order (so drift falls on all of them alike): no network, no
 * keychain, the provider answering from memory.
 */
export async function measureOwnWorkByMode(modes: readonly OwnWorkMode[], runs: number, warmup: number): Promise<OwnWorkByMode[]> {
  const providers = await Promise.all(modes.map((mode) => inMemoryProvider(mode)));
  const results = modes.map((mode) => ({ mode, clickToOpenMs: [] as number[], redirectOwnWorkMs: [] as number[] }));
  for (let i = 0; i < warmup + runs; i += 1) {
    for (let k = 0; k < modes.length; k += 1) {
      const m = (i + k) % modes.length;
      const sample = await ownWorkOnce(providers[m] as Awaited<ReturnType<typeof inMemoryProvider>>);
      if (i < warmup) continue;
      const result = results[m] as (typeof results)[number];
      result.clickToOpenMs.push(sample.clickToOpenMs);
      result.redirectOwnWorkMs.push(sample.redirectMs);
    }
  }
  return results;
}

export interface RestoreOwnWork {
  /** new service → signed-in, `ready()` and `restore()` together as main/shell/boot.ts calls them: wall clock, ms. */
  readonly wallMs: number[];
  /** The same span in this process's CPU time (user + system), ms. */
  readonly cpuMs: number[];
}

/**
 * The core's own work for one silent restore at start-up: the in-memory
 * provider answers discovery, JWKS and the refresh (an RS256 ID token signed
 * before the clock starts), the keychain is a memory vault holding a
 * version 2 record. What is left is the core's: the record read back, the
 * openid-client configuration, the bounded fetch, the token response, the ID
 * token's signature and claims (OIDC Core §12.2), the session state.
 */
export async function measureRestoreOwnWork(runs: number, warmup: number): Promise<RestoreOwnWork> {
  const provider = await inMemoryProvider(NEITHER);
  // A refreshed ID token carries the original nonce, if any (OIDC Core §12.2): the record's identity says which.
  const nonce = 'n'.repeat(43);
  await provider.prepareTokenResponse(nonce);
  const record = JSON.stringify({
    v: 2,
    refreshToken: 'r'.repeat(43),
    user: { sub: 'demo-user-1', name: 'Dana Demo' },
    identity: { iss: ISSUER, sub: 'demo-user-1', aud: CLIENT_ID, nonce },
    metadata: { issuer: ISSUER, token_endpoint: `${ISSUER}/token`, jwks_uri: `${ISSUER}/jwks`, id_token_signing_alg_values_supported: ['RS256'], token_endpoint_auth_methods_supported: ['none'] },
  });
  const wallMs: number[] = [];
  const cpuMs: number[] = [];
  for (let i = 0; i < warmup + runs; i += 1) {
    const vault = createMemoryVault();
    await vault.set(vaultKey('refresh-token', config), record);
    const cpu = process.cpuUsage();
    const start = performance.now();
    const auth = createAuthService({ config, vault, fetch: provider.transport, openExternal: async () => undefined });
    try {
      await Promise.all([auth.ready(), auth.restore()]);
      const wall = performance.now() - start;
      const used = process.cpuUsage(cpu);
      expectSignedIn(auth.getSession(), 'restore own work');
      if (i >= warmup) {
        wallMs.push(wall);
        cpuMs.push((used.user + used.system) / 1000);
      }
    } finally {
      auth.dispose();
    }
  }
  return { wallMs, cpuMs };
}
