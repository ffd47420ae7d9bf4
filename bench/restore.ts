/**
 * Measurement 5: silent restore at start-up. Each run builds what the app
 * builds when it starts: a fresh keychain vault (real keytar), a fresh
 * createAuthService, then `ready()` and `restore()` together as
 * main/shell/boot.ts does, and stops the clock when the listener sees
 * `signed-in`. The keychain holds the refresh token the previous run rotated
 * in; each run waits (untimed) for that write itself before ending. (Waiting
 * for "the keychain calls in flight" is not enough: the core issues its write
 * only once the keychain call before it has finished, so a slow earlier call
 * left the write unissued, the next run read an empty keychain, and the
 * benchmark failed with "restore run 1: … signed-out".)
 *
 * The vault and fetch ports are timed, so the total splits into the keychain
 * read, discovery + JWKS (which boot runs alongside the read), the refresh
 * round trip, and the core's own work.
 */
import { createKeytarVault, type createAuthService } from '../main/auth/index';
import { appConfig, benchService, CUSTOM_SCHEME_REDIRECT, expectSignedIn, loginFor, type ProviderEndpoints } from './env';
import { createRequestLog, timeVault, withSimulatedRtt } from './instruments';
import { settleRequests, type ProviderHandle } from './provider-handle';

export interface RestoreSample {
  /** New service instance → signed-in. */
  readonly totalMs: number;
  /** vault.get of the refresh token. */
  readonly keychainReadMs: number;
  /** start → ready() resolved (discovery and JWKS, in parallel with the keychain read). */
  readonly metadataMs: number;
  /** start → refresh request sent: what the refresh waited for. */
  readonly beforeRefreshMs: number;
  /** Refresh request sent → response headers (the round trip). */
  readonly refreshRoundTripMs: number;
  /** Response headers → signed-in (body, ID token verification, claims checks, state). */
  readonly afterRefreshMs: number;
  readonly providerRequests: readonly string[];
}

export async function measureRestore(input: {
  readonly provider: ProviderHandle;
  readonly endpoints: ProviderEndpoints;
  readonly keychainService: string;
  readonly runs: number;
  readonly warmup: number;
  /** Added to every request the core makes (see withSimulatedRtt); 0 for loopback as it is. */
  readonly simulatedRttMs?: number;
  /** Another build of the core to measure (a candidate change); default main/auth's. */
  readonly create?: typeof createAuthService;
  /** Seeds the keychain first (default true); false continues from the token the last call left. */
  readonly seed?: boolean;
  readonly progress: (line: string) => void;
}): Promise<RestoreSample[]> {
  const { provider, endpoints } = input;
  const config = appConfig(endpoints, CUSTOM_SCHEME_REDIRECT);

  // Seed the keychain with a refresh token: one real sign-in, then quit without signing out.
  if (input.seed ?? true) {
    const vault = timeVault(createKeytarVault(input.keychainService));
    const seed = benchService({ config, vault });
    await seed.auth.ready();
    const opened = seed.nextOpened();
    await seed.auth.signIn();
    const callback = await loginFor(await opened);
    const beforeRedirect = vault.calls.length;
    await seed.auth.handleRedirect(callback);
    expectSignedIn(seed.auth.getSession(), 'seeding the keychain');
    // Queued behind the pending flow's write, which may still be running: wait for this write itself.
    await vault.completed('set', 'refresh-token', 'the seeded refresh token written to the keychain', { since: beforeRedirect });
    await vault.settled();
    seed.auth.dispose();
  }

  const samples: RestoreSample[] = [];
  const total = input.warmup + input.runs;
  for (let i = 0; i < total; i += 1) {
    const vault = timeVault(createKeytarVault(input.keychainService));
    const log = createRequestLog(withSimulatedRtt(globalThis.fetch, input.simulatedRttMs ?? 0));
    await provider.resetRequests();
    let signedInAt: number | undefined;

    const start = performance.now();
    const service = benchService({ config, vault, fetch: log.fetch, ...(input.create ? { create: input.create } : {}) });
    const { auth } = service;
    auth.onSessionChange((state) => {
      if (state.status === 'signed-in' && signedInAt === undefined) signedInAt = performance.now();
    });
    let readyAt: number | undefined;
    const ready = auth.ready().then(() => {
      readyAt = performance.now();
    });
    await Promise.all([ready, auth.restore()]);
    expectSignedIn(auth.getSession(), `restore run ${i + 1}`);
    if (signedInAt === undefined || readyAt === undefined) throw new Error('restore: no signed-in event');
    // The rotated refresh token must be in the keychain before the next "start": wait for that write itself.
    await vault.completed('set', 'refresh-token', `the rotated refresh token of restore run ${i + 1} written to the keychain`);
    await vault.settled();
    auth.dispose();
    await settleRequests(log);
    const providerRequests = await provider.requestPaths();

    const read = vault.calls.find((c) => c.op === 'get' && c.kind === 'refresh-token');
    const refresh = log.entries.find((e) => e.method === 'POST' && e.path.endsWith('/token'));
    if (!read || read.end === undefined) throw new Error('restore: no keychain read seen');
    if (!refresh || refresh.headers === undefined) throw new Error('restore: no refresh request seen');
    if (i >= input.warmup) {
      samples.push({
        totalMs: signedInAt - start,
        keychainReadMs: read.end - read.start,
        metadataMs: readyAt - start,
        beforeRefreshMs: refresh.start - start,
        refreshRoundTripMs: refresh.headers - refresh.start,
        afterRefreshMs: signedInAt - refresh.headers,
        providerRequests,
      });
    }
    if ((i + 1) % 50 === 0 || i + 1 === total) {
      const rtt = input.simulatedRttMs ? ` with ${input.simulatedRttMs} ms simulated RTT` : '';
      input.progress(`restore${rtt}: ${i + 1}/${total} (${input.warmup} warm-up)`);
    }
  }
  return samples;
}

/** The first keychain call in a fresh process: loads the native addon and opens the D-Bus connection. */
export async function measureFirstKeychainCall(keychainService: string): Promise<number> {
  const vault = createKeytarVault(keychainService);
  const start = performance.now();
  await vault.get('bench-probe');
  return performance.now() - start;
}
