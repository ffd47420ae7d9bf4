/**
 * The par-dpop phase: what pushed authorization requests (PAR, RFC 9126)
 * and DPoP (RFC 9449) change on the sign-in path, one development provider
 * per mode (neither, PAR, DPoP, PAR + DPoP), all four running side by side
 * so that the runs can be interleaved (rotating order, as in latency.ts):
 * drift from other work on the machine falls on every mode alike.
 *
 * Per mode, with the real core, keychain and provider (latency.ts's
 * `coreSignIn`): requests at the provider before the browser opens and after
 * the redirect, whether the push and the token request carried a DPoP
 * proof, click → browser and redirect → signed-in on loopback. Then
 * click → browser with a simulated round trip on every request (the push is
 * one round trip before the browser), the core's own work per mode with the
 * provider answering from memory (core-cpu.ts), the DPoP micro-benchmarks
 * (dpop-cost.ts), and silent restore with and without DPoP (restore.ts).
 */
import { createKeytarVault, type AuthConfig } from '../main/auth/index';
import { measureOwnWorkByMode, type OwnWorkByMode } from './core-cpu';
import { measureDpopCost, type DpopCost } from './dpop-cost';
import { appConfig, benchService, CUSTOM_SCHEME_REDIRECT, discoverEndpoints, type ProviderEndpoints } from './env';
import { createRequestLog, timeVault, withSimulatedRtt, type TimedVault } from './instruments';
import { coreSignIn, type CoreSample } from './latency';
import { startProvider, type ProviderFeatures, type ProviderHandle, type ProviderMode } from './provider-handle';
import { measureRestore, type RestoreSample } from './restore';

export interface FeatureMode {
  /** As shown in the table. */
  readonly name: string;
  readonly par: boolean;
  readonly dpop: boolean;
  readonly features: ProviderFeatures;
}

/** In row order: the a/b/c rows of each measure are PAR, DPoP, PAR + DPoP. */
export const FEATURE_MODES: readonly FeatureMode[] = [
  { name: 'neither', par: false, dpop: false, features: { par: 'disabled', dpop: 'disabled' } },
  { name: 'PAR', par: true, dpop: false, features: { par: 'enabled', dpop: 'disabled' } },
  { name: 'DPoP', par: false, dpop: true, features: { par: 'disabled', dpop: 'enabled' } },
  { name: 'PAR + DPoP', par: true, dpop: true, features: { par: 'enabled', dpop: 'enabled' } },
];

export interface ModeResult {
  readonly mode: FeatureMode;
  /** Full sign-ins on loopback (real keychain). */
  readonly core: CoreSample[];
  /** signIn → openExternal with the simulated round trip (empty when none was asked for). */
  readonly clickRttMs: number[];
  /** The core's own work, provider in memory. */
  readonly ownWork: OwnWorkByMode;
  /** Silent restores, for the modes without PAR (PAR does not touch the refresh). */
  readonly restore: RestoreSample[];
}

export interface ParDpopResult {
  readonly modes: ModeResult[];
  readonly dpopCost: DpopCost;
  readonly rttMs: number;
  /** Where each provider listened, for cleaning the keychain afterwards. */
  readonly providers: ReadonlyArray<{ readonly issuer: string; readonly clientId: string }>;
}

export async function measureParDpop(input: {
  readonly providerMode: ProviderMode;
  readonly keychainService: string;
  /** Sign-ins, restores and RTT clicks per mode. */
  readonly runs: number;
  readonly warmup: number;
  /** Samples for the in-memory own-work and micro-benchmarks (cheap: the main --runs). */
  readonly ownWorkRuns: number;
  readonly rttMs: number;
  readonly progress: (line: string) => void;
}): Promise<ParDpopResult> {
  const providers = await Promise.all(FEATURE_MODES.map((mode) => startProvider(input.providerMode, mode.features)));
  try {
    const endpoints = await Promise.all(providers.map((p) => discoverEndpoints(p.issuer, p.clientId)));
    checkDiscovery(endpoints, providers);
    const configs = endpoints.map((e) => appConfig(e, CUSTOM_SCHEME_REDIRECT));
    const vault = createKeytarVault(input.keychainService);
    const n = FEATURE_MODES.length;
    const at = <T>(list: readonly T[], i: number): T => list[i] as T;

    const core: CoreSample[][] = FEATURE_MODES.map(() => []);
    const total = input.warmup + input.runs;
    for (let i = 0; i < total; i += 1) {
      for (let k = 0; k < n; k += 1) {
        const m = (i + k) % n;
        const sample = await coreSignIn(at(providers, m), at(configs, m), vault);
        if (i >= input.warmup) at(core, m).push(sample);
      }
      if ((i + 1) % 25 === 0 || i + 1 === total) input.progress(`par-dpop sign-ins: ${i + 1}/${total} per mode (${input.warmup} warm-up)`);
    }

    const clickRtt: number[][] = FEATURE_MODES.map(() => []);
    if (input.rttMs > 0) {
      const clickers = await Promise.all(configs.map((config) => startClicker(config, input.keychainService, input.rttMs)));
      try {
        for (let i = 0; i < input.runs; i += 1) {
          for (let k = 0; k < n; k += 1) {
            const m = (i + k) % n;
            at(clickRtt, m).push(await at(clickers, m).click());
          }
        }
      } finally {
        for (const clicker of clickers) clicker.dispose();
      }
      input.progress(`par-dpop click → browser with ${input.rttMs} ms simulated RTT: ${input.runs} per mode`);
    }

    const ownWork = await measureOwnWorkByMode(FEATURE_MODES, input.ownWorkRuns, input.warmup);
    const dpopCost = await measureDpopCost(input.ownWorkRuns, input.warmup);
    input.progress(`par-dpop own work and DPoP micro-benchmarks: ${input.ownWorkRuns} runs`);

    // Restore: seeded once per provider, then one restore per mode in turn.
    const restoring = FEATURE_MODES.flatMap((mode, m) => (mode.par ? [] : [m]));
    const restore: RestoreSample[][] = FEATURE_MODES.map(() => []);
    const quiet = (): void => undefined;
    for (const m of restoring) {
      await measureRestore({ provider: at(providers, m), endpoints: at(endpoints, m), keychainService: input.keychainService, runs: 0, warmup: input.warmup, progress: quiet });
    }
    for (let i = 0; i < input.runs; i += 1) {
      for (let k = 0; k < restoring.length; k += 1) {
        const m = at(restoring, (i + k) % restoring.length);
        const [sample] = await measureRestore({ provider: at(providers, m), endpoints: at(endpoints, m), keychainService: input.keychainService, runs: 1, warmup: 0, seed: false, progress: quiet });
        if (!sample) throw new Error('par-dpop: a restore run returned no sample');
        at(restore, m).push(sample);
      }
    }
    input.progress(`par-dpop restore: ${input.runs} per mode without PAR`);

    return {
      modes: FEATURE_MODES.map((mode, m) => ({
        mode,
        core: at(core, m),
        clickRttMs: at(clickRtt, m),
        ownWork: at(ownWork, m),
        restore: at(restore, m),
      })),
      dpopCost,
      rttMs: input.rttMs,
      providers: providers.map((p) => ({ issuer: p.issuer, clientId: p.clientId })),
    };
  } finally {
    await Promise.all(providers.map((p) => p.close()));
  }
}

/** Each provider's discovery must offer exactly its mode's features, or the rows would measure something else. */
function checkDiscovery(endpoints: readonly ProviderEndpoints[], providers: readonly ProviderHandle[]): void {
  FEATURE_MODES.forEach((mode, m) => {
    const e = endpoints[m] as ProviderEndpoints;
    if ((e.pushedAuthorizationRequestEndpoint !== undefined) !== mode.par || (e.dpopAlgorithms.length > 0) !== mode.dpop) {
      const p = providers[m] as ProviderHandle;
      throw new Error(`par-dpop: the provider started with par=${p.features.par}, dpop=${p.features.dpop} offers PAR ${e.pushedAuthorizationRequestEndpoint !== undefined}, DPoP [${e.dpopAlgorithms.join(', ')}]`);
    }
  });
}

interface Clicker {
  /** One signIn → openExternal in ms; the sign-in is then cancelled, and its keychain copy deleted, untimed. */
  click(): Promise<number>;
  dispose(): void;
}

/**
 * A long-lived service (ready() once, untimed) whose every request waits the
 * simulated round trip: click → browser then shows how many round trips
 * stand between the click and the browser (one with PAR: the push).
 */
async function startClicker(config: AuthConfig, keychainService: string, rttMs: number): Promise<Clicker> {
  const vault: TimedVault = timeVault(createKeytarVault(keychainService));
  const log = createRequestLog(withSimulatedRtt(globalThis.fetch, rttMs));
  const service = benchService({ config, vault, fetch: log.fetch });
  const { auth } = service;
  await auth.ready();
  return {
    async click() {
      const since = vault.calls.length;
      const opened = service.nextOpened();
      const start = performance.now();
      await auth.signIn();
      const openedAt = service.lastOpenedAt();
      if (openedAt === undefined || openedAt < start) throw new Error('par-dpop: signIn() resolved without opening the browser');
      await opened;
      auth.cancelSignIn();
      // The kept flow is written, then deleted by the cancel: the next click starts from an empty entry.
      await vault.completed('delete', 'pending-flow', 'the cancelled sign-in\'s keychain copy deleted', { since });
      await vault.settled();
      await log.settled();
      return openedAt - start;
    },
    dispose() {
      auth.dispose();
    },
  };
}
