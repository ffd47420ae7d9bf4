/**
 * Measurements 1–4, interleaved run by run so that drift (GC, CPU frequency,
 * the keyring daemon) falls on the baseline and on the core alike:
 *
 * 1. bare token round trip: a plain fetch POST of grant_type=authorization_code
 *    with a fresh code and PKCE pair, until the JSON body is parsed;
 * 2. handleRedirect(callback) → the session listener sees `signed-in`;
 * 3. signIn() → openExternal() (after ready());
 * 4. requests the provider received between signIn() and openExternal(), and
 *    between handleRedirect() and `signed-in`.
 *
 * Each core run uses a fresh createAuthService over the real keychain (as at
 * app start), calls ready() untimed, and signs out afterwards (untimed).
 */
import type { AuthConfig, SecretVault } from '../main/auth/index';
import { obtainCode } from './headless-login';
import { appConfig, benchService, CUSTOM_SCHEME_REDIRECT, expectSignedIn, loginFor, revokeQuietly, type ProviderEndpoints } from './env';
import { createRequestLog, withSimulatedRtt } from './instruments';
import { settleRequests, type ProviderHandle } from './provider-handle';

export interface BaselineSample {
  /** fetch() called → JSON parsed. */
  readonly totalMs: number;
  /** fetch() called → response headers. */
  readonly headersMs: number;
}

export interface CoreSample {
  /** signIn() called → openExternal() called. */
  readonly clickToOpenMs: number;
  /** handleRedirect() called → listener sees signed-in. */
  readonly redirectToSignedInMs: number;
  /** Provider-side counts (read once the phase has settled). */
  readonly requestsBeforeOpen: number;
  readonly requestsAfterRedirect: number;
  /** What the provider saw, e.g. `POST /token`. */
  readonly pathsBeforeOpen: readonly string[];
  readonly pathsAfterRedirect: readonly string[];
  /** The core's token request, and its push under PAR, carried a DPoP proof (RFC 9449 §4). */
  readonly tokenRequestProof: boolean;
  readonly pushProof: boolean | undefined;
  /** Requests the core itself issued (its fetch port) in the same windows, including any not yet received. */
  readonly coreRequestsBeforeOpen: number;
  readonly coreRequestsAfterRedirect: number;
  /** Split of (2): handleRedirect → token request sent; sent → headers received; headers → signed-in. */
  readonly beforeTokenRequestMs: number;
  readonly tokenRequestToHeadersMs: number;
  readonly headersToSignedInMs: number;
}

export interface LatencyResult {
  readonly baseline: BaselineSample[];
  readonly core: CoreSample[];
  /** The same core runs over an in-memory vault: no keychain calls in any window. */
  readonly coreMemoryVault: CoreSample[];
  /** (1) and (2) again with a simulated round trip added to every request (empty when not asked for). */
  readonly rttBaseline: BaselineSample[];
  readonly rttCore: CoreSample[];
  /** One real ID token, kept for the verification micro-benchmark. */
  readonly sampleIdToken: string | undefined;
}

export async function measureLatency(input: {
  readonly provider: ProviderHandle;
  readonly endpoints: ProviderEndpoints;
  readonly vault: SecretVault;
  /** Diagnostic: also runs the core over this vault (e.g. in memory), interleaved. */
  readonly compareVault?: SecretVault;
  readonly runs: number;
  readonly warmup: number;
  /** Diagnostic: `rttRuns` more runs of (1) and (2) with this simulated round trip on every request. */
  readonly simulatedRttMs?: number;
  readonly rttRuns?: number;
  readonly progress: (line: string) => void;
}): Promise<LatencyResult> {
  const { provider, endpoints } = input;
  const config = appConfig(endpoints, CUSTOM_SCHEME_REDIRECT);
  const baseline: BaselineSample[] = [];
  const core: CoreSample[] = [];
  const coreMemoryVault: CoreSample[] = [];
  const rttBaseline: BaselineSample[] = [];
  const rttCore: CoreSample[] = [];
  let sampleIdToken: string | undefined;
  const total = input.warmup + input.runs;

  async function baselineOnce(fetchImpl: typeof fetch = globalThis.fetch): Promise<BaselineSample> {
    const obtained = await obtainCode({
      authorizationEndpoint: endpoints.authorizationEndpoint,
      clientId: endpoints.clientId,
      redirectUri: CUSTOM_SCHEME_REDIRECT,
      scope: config.scopes.join(' '),
    });
    const body = new URLSearchParams({
      grant_type: 'authorization_code',
      code: obtained.code,
      redirect_uri: obtained.redirectUri,
      client_id: endpoints.clientId,
      code_verifier: obtained.verifier,
    }).toString();
    const start = performance.now();
    const response = await fetchImpl(endpoints.tokenEndpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body,
    });
    const headers = performance.now();
    const json = (await response.json()) as Record<string, unknown>;
    const end = performance.now();
    if (response.status !== 200 || typeof json['access_token'] !== 'string' || typeof json['id_token'] !== 'string') {
      throw new Error(`baseline token exchange failed: HTTP ${response.status} ${String(json['error'] ?? '')}`);
    }
    sampleIdToken ??= json['id_token'];
    await revokeQuietly(endpoints, typeof json['refresh_token'] === 'string' ? json['refresh_token'] : undefined);
    return { totalMs: end - start, headersMs: headers - start };
  }

  for (let i = 0; i < total; i += 1) {
    const recording = i >= input.warmup;
    // Rotate the order, so that none of them always runs right after a login or a sign-out.
    const tasks: Array<() => Promise<void>> = [
      async () => {
        const b = await baselineOnce();
        if (recording) baseline.push(b);
      },
      async () => {
        const c = await coreSignIn(provider, config, input.vault);
        if (recording) core.push(c);
      },
    ];
    const compare = input.compareVault;
    if (compare) {
      tasks.push(async () => {
        const m = await coreSignIn(provider, config, compare);
        if (recording) coreMemoryVault.push(m);
      });
    }
    for (let k = 0; k < tasks.length; k += 1) await (tasks[(i + k) % tasks.length] as () => Promise<void>)();
    if ((i + 1) % 50 === 0 || i + 1 === total) input.progress(`latency: ${i + 1}/${total} (${input.warmup} warm-up)`);
  }
  const rtt = input.simulatedRttMs ?? 0;
  const rttRuns = rtt > 0 ? (input.rttRuns ?? 0) : 0;
  for (let i = 0; i < rttRuns; i += 1) {
    // Warm already; alternate the order as above.
    if (i % 2 === 0) {
      rttBaseline.push(await baselineOnce(withSimulatedRtt(globalThis.fetch, rtt)));
      rttCore.push(await coreSignIn(provider, config, input.vault, rtt));
    } else {
      rttCore.push(await coreSignIn(provider, config, input.vault, rtt));
      rttBaseline.push(await baselineOnce(withSimulatedRtt(globalThis.fetch, rtt)));
    }
  }
  if (rttRuns > 0) input.progress(`latency with ${rtt} ms simulated RTT: ${rttRuns} runs`);
  return { baseline, core, coreMemoryVault, rttBaseline, rttCore, sampleIdToken };
}

/**
 * One sign-in with a fresh service over `vault`, as at app start: ready()
 * untimed, signIn() → openExternal (3, 4a), the headless login untimed,
 * handleRedirect() → signed-in (2, 4b), then sign-out untimed.
 * @param rttMs simulated round trip added to every request the core sends (0: loopback as it is).
 */
export async function coreSignIn(provider: ProviderHandle, config: AuthConfig, vault: SecretVault, rttMs = 0): Promise<CoreSample> {
  const log = createRequestLog(withSimulatedRtt(globalThis.fetch, rttMs));
  let coreAtOpen = -1;
  const service = benchService({
    config,
    vault,
    fetch: log.fetch,
    onOpen: () => {
      coreAtOpen = log.entries.length;
    },
  });
  const { auth } = service;
  let signedInAt: number | undefined;
  let coreAtSignedIn = -1;
  auth.onSessionChange((state) => {
    if (state.status === 'signed-in' && signedInAt === undefined) {
      signedInAt = performance.now();
      coreAtSignedIn = log.entries.length;
    }
  });
  try {
    await auth.ready();

    // 3 and 4a: click → browser.
    await provider.resetRequests();
    const coreBeforeClick = log.entries.length;
    const opened = service.nextOpened();
    const clickAt = performance.now();
    await auth.signIn();
    const openedAt = service.lastOpenedAt();
    if (openedAt === undefined) throw new Error('signIn() resolved without opening the browser');
    const authorizeUrl = await opened;
    await settleRequests(log);
    const pathsBeforeOpen = await provider.requestPaths();

    const callback = await loginFor(authorizeUrl);

    // 2 and 4b: redirect → signed-in.
    await provider.resetRequests();
    const coreBeforeRedirect = log.entries.length;
    const redirectAt = performance.now();
    const handled = await auth.handleRedirect(callback);
    if (!handled) throw new Error('the core did not recognise its own redirect');
    expectSignedIn(auth.getSession(), 'after handleRedirect');
    if (signedInAt === undefined) throw new Error('no signed-in event');
    await settleRequests(log);
    const pathsAfterRedirect = await provider.requestPaths();
    const token = log.entries.slice(coreBeforeRedirect).find((e) => e.method === 'POST' && e.path.endsWith('/token'));
    if (!token || token.headers === undefined) throw new Error('no token request seen at the core\'s fetch');
    const push = log.entries.slice(coreBeforeClick, coreBeforeRedirect).find((e) => e.method === 'POST');
    return {
      clickToOpenMs: openedAt - clickAt,
      redirectToSignedInMs: signedInAt - redirectAt,
      requestsBeforeOpen: pathsBeforeOpen.length,
      requestsAfterRedirect: pathsAfterRedirect.length,
      pathsBeforeOpen,
      pathsAfterRedirect,
      tokenRequestProof: token.dpopProof,
      pushProof: push?.dpopProof,
      coreRequestsBeforeOpen: coreAtOpen - coreBeforeClick,
      coreRequestsAfterRedirect: coreAtSignedIn - coreBeforeRedirect,
      beforeTokenRequestMs: token.start - redirectAt,
      tokenRequestToHeadersMs: token.headers - token.start,
      headersToSignedInMs: signedInAt - token.headers,
    };
  } finally {
    // Untimed: revokes the tokens, clears the keychain entry (after the pending write).
    await auth.signOut().catch(() => undefined);
    auth.dispose();
  }
}
