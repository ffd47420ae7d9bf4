/**
 * Diagnostics for measurement (2): the core's own work, without a network.
 *
 * `measureCoreOwnWork` runs handleRedirect → signed-in against an in-memory
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
 */
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { createAuthService, createMemoryVault, validateConfig } from '../main/auth/index';
import { createBoundedFetch, DEFAULT_MAX_BODY_BYTES } from '../main/auth/bounded-fetch';
import { clientConfiguration, discoverProvider } from '../main/auth/provider-metadata';
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

/** @param onWindow receives each measured redirect's bounds in µs of process.hrtime (for the profiler). */
export async function measureCoreCpu(runs: number, warmup: number, onWindow?: (startMicros: number, endMicros: number) => void): Promise<CoreCpuResult> {
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
  };
  let tokenBody = '';
  const json = (body: string): Response => new Response(body, { status: 200, headers: { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) } });
  const transport = (async (input: string | URL | Request): Promise<Response> => {
    const url = new URL(typeof input === 'string' ? input : input instanceof URL ? input.href : input.url);
    switch (url.pathname) {
      case '/.well-known/openid-configuration':
        return json(JSON.stringify(discovery));
      case '/jwks':
        return json(JSON.stringify({ keys: [publicJwk] }));
      case '/token':
        return json(tokenBody);
      case '/token/revocation':
        return new Response(null, { status: 200 });
      default:
        return new Response('not found', { status: 404 });
    }
  }) as typeof fetch;

  async function tokenResponseFor(nonce: string): Promise<string> {
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

  const config = validateConfig({ issuer: ISSUER, clientId: CLIENT_ID, redirectUri: CUSTOM_SCHEME_REDIRECT, endSessionInBrowser: false });
  const redirectOwnWorkMs: number[] = [];
  for (let i = 0; i < warmup + runs; i += 1) {
    let opened: string | undefined;
    let signedAt: number | undefined;
    const auth = createAuthService({
      config,
      vault: createMemoryVault(),
      fetch: transport,
      async openExternal(url) {
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
    await auth.ready();
    await auth.signIn();
    if (!opened) throw new Error('core-cpu: the browser was not opened');
    const params = new URL(opened).searchParams;
    tokenBody = await tokenResponseFor(params.get('nonce') ?? '');
    const callback = `${CUSTOM_SCHEME_REDIRECT}?code=bench-code&state=${encodeURIComponent(params.get('state') ?? '')}&iss=${encodeURIComponent(ISSUER)}`;
    const startMicros = Number(process.hrtime.bigint() / 1000n);
    const start = performance.now();
    await auth.handleRedirect(callback);
    expectSignedIn(auth.getSession(), 'core-cpu');
    if (signedAt === undefined) throw new Error('core-cpu: no signed-in event');
    if (i >= warmup) {
      redirectOwnWorkMs.push(signedAt - start);
      onWindow?.(startMicros, signedMicros);
    }
    await auth.signOut();
    auth.dispose();
  }

  // Micro-benchmarks on the same token-sized body.
  const body = await tokenResponseFor('n'.repeat(43));
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
